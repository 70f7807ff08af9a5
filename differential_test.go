//go:build !tinygo

package biplane

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// The differential test feeds the same head to our Parser and to
// net/http.ReadRequest and compares accept/reject. We are stricter than
// net/http by design where RFC 9110/9112 allow or require refusing; each
// such refusal reason is listed here with its justification. Anything we
// refuse for another reason, or accept where net/http refuses outside the
// listed exceptions, fails the test.
var stricterThanNetHTTP = map[string]string{
	"line not terminated by CRLF":                           "RFC 9112 §2.2 allows refusing bare LF; net/http accepts it",
	"obsolete line folding or leading whitespace":           "RFC 9112 §5.2 allows 400 for obs-fold; net/http unfolds it",
	"missing Host header field":                             "RFC 9112 §3.2 requires 400; net/http checks it in its server, not ReadRequest",
	"duplicate Host header field":                           "RFC 9112 §3.2 requires 400; likewise",
	"invalid Host header field":                             "RFC 9112 §3.2 requires 400; likewise",
	"both Transfer-Encoding and Content-Length":             "RFC 9112 §6.1 allows refusing; net/http drops Content-Length",
	"unsupported expectation":                               "RFC 9110 §10.1.1 417; net/http's server answers it later",
	"invalid byte in request target":                        "RFC 9112 §3.2 / RFC 3986 grammar; net/http accepts most bytes",
	"invalid request target":                                "only origin, absolute, asterisk forms; net/http accepts more",
	"asterisk-form target with a method other than OPTIONS": "RFC 9112 §3.2.4",
	"invalid byte in request target authority":              "RFC 3986 §3.2",
	"userinfo in request target":                            "RFC 9110 §4.2.4",
	"empty authority in request target":                     "RFC 9110 §4.2.1: http URIs need a host",
	"invalid authority in request target":                   "RFC 9110 §4.2.1, RFC 3986 §3.2.2: host [ \":\" port ]; net/http accepts some malformed ones, such as \"http://]\"",
	"CONNECT not implemented":                               "501: biplane is not a proxy",
	"malformed request line":                                "exactly one SP between parts (RFC 9112 §3); net/http splits more loosely",
	"whitespace before the request line":                    "RFC 9112 §2.2",
	"HTTP version not supported":                            "RFC 9110 §15.6.6: 505 for major versions other than 1; net/http parses HTTP/2.0 heads",
	"malformed HTTP version":                                "RFC 9112 §2.3 grammar",
	"invalid Content-Length":                                "RFC 9110 §8.6: 1*DIGIT",
	"empty Content-Length":                                  "RFC 9110 §8.6",
	"Transfer-Encoding in an HTTP/1.0 request":              "RFC 9112 §6.1: faulty framing",
	"empty Transfer-Encoding":                               "RFC 9112 §6.1",
	"invalid Transfer-Encoding":                             "RFC 9112 §6.1",
	"transfer coding not implemented":                       "RFC 9112 §6.1: 501 for an unknown coding; net/http ignores Transfer-Encoding on HTTP/1.0",
	"empty request target":                                  "RFC 9112 §3",
	"invalid header field name":                             "RFC 9110 §5.1 token; net/http accepts a few more in names",
	"invalid byte in header field value":                    "RFC 9110 §5.5",
}

// weAccept lists heads we accept and net/http refuses, with why.
func acceptedException(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\r\n")):
		return "RFC 9112 §2.2: one leading empty line is ignored; net/http refuses it"
	case bytes.Contains(bytes.ToLower(data), []byte("content-length")) && bytes.Contains(data, []byte(",")):
		return "RFC 9110 §8.6: a list of identical Content-Length values may be accepted"
	}
	return ""
}

func differential(t *testing.T, data []byte) {
	var p Parser
	n, err := p.Parse(data)
	if n == 0 && err == nil {
		return // incomplete: nothing to compare
	}
	if n > 0 {
		data = data[:n]
	}
	_, herr := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	var pe *ProtocolError
	switch {
	case err == nil && herr != nil:
		if acceptedException(data) == "" {
			t.Errorf("we accept, net/http refuses (%v): %q", herr, data)
		}
	case err != nil && herr == nil:
		if !errors.As(err, &pe) {
			t.Fatalf("not a ProtocolError: %v", err)
		}
		if _, ok := stricterThanNetHTTP[pe.Reason]; !ok && pe.Status != 431 && pe.Status != 414 {
			t.Errorf("we refuse (%v), net/http accepts, and the reason is not a listed exception: %q", err, data)
		}
	}
}

func TestDifferential(t *testing.T) {
	for _, tc := range parseCases {
		if len(tc.in) < 4096 {
			differential(t, []byte(tc.in))
		}
	}
	for _, s := range seedRequests {
		differential(t, []byte(s))
	}
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n",
		"GET /?a=b&c HTTP/1.1\r\nHost: a:80\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
		strings.Replace("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "M-SEARCH", 1),
	} {
		differential(t, []byte(s))
	}
}

func FuzzDifferential(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return // limits differ by design; the other targets cover them
		}
		differential(t, data)
	})
}
