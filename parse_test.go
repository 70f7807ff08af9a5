package biplane

import (
	"errors"
	"strings"
	"testing"
)

// parseCase is one request head and what parsing it must give: status 0
// means a valid head.
type parseCase struct {
	name   string
	in     string
	status int
	method string
	path   string
	query  string
	host   string
	close  bool
	cl     int64
}

var parseCases = []parseCase{
	{name: "simple GET", in: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", path: "/", host: "a"},
	{name: "query", in: "GET /p/q?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", path: "/p/q", query: "x=1&y=%20", host: "a"},
	{name: "percent-decoded path", in: "GET /a%20b/%2F HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", path: "/a b//", host: "a"},
	{name: "HTTP/1.0 closes by default §9.3", in: "GET / HTTP/1.0\r\n\r\n", method: "GET", path: "/", close: true},
	{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "GET", path: "/"},
	{name: "Connection close list", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n", method: "GET", path: "/", host: "a", close: true},
	{name: "Content-Length", in: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", method: "POST", path: "/x", host: "a", cl: 12},
	{name: "same Content-Length twice §6.3", in: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", method: "POST", path: "/x", host: "a", cl: 3},
	{name: "Content-Length list same §6.3", in: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", method: "POST", path: "/x", host: "a", cl: 3},
	{name: "chunked", in: "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", method: "POST", path: "/x", host: "a", cl: -1},
	{name: "one leading CRLF §2.2", in: "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", path: "/", host: "a"},
	{name: "absolute-form §3.2.2", in: "GET http://example.com/x?y HTTP/1.1\r\nHost: other\r\n\r\n", method: "GET", path: "/x", query: "y", host: "example.com"},
	{name: "absolute-form empty path", in: "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", method: "GET", path: "/", host: "example.com"},
	{name: "asterisk-form §3.2.4", in: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", method: "OPTIONS", path: "*", host: "a"},
	{name: "extension method", in: "PURGE / HTTP/1.1\r\nHost: a\r\n\r\n", method: "PURGE", path: "/", host: "a"},
	{name: "empty Host allowed §3.2", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n", method: "GET", path: "/", host: ""},
	{name: "OWS around value", in: "GET / HTTP/1.1\r\nHost: \t a \t\r\nX:  v  \r\n\r\n", method: "GET", path: "/", host: "a"},
	{name: "obs-text in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n", method: "GET", path: "/", host: "a"},
	{name: "HTTP/1.2 served as 1.1 (RFC 9110 §6.2)", in: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", method: "GET", path: "/", host: "a"},
	{name: "Expect 100-continue", in: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", method: "POST", path: "/", host: "a", cl: 1},

	{name: "Host with port", in: "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", method: "GET", path: "/", host: "a.example:8080"},
	{name: "Host IPv6 literal", in: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", method: "GET", path: "/", host: "[::1]:80"},
	{name: "Host empty port (RFC 3986 §3.2.3)", in: "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", method: "GET", path: "/", host: "a:"},
	{name: "Host non-numeric port §3.2", in: "GET / HTTP/1.1\r\nHost: a:abc\r\n\r\n", status: 400},
	{name: "Host two colons", in: "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", status: 400},
	{name: "Host bad IPv6 literal", in: "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", status: 400},
	{name: "Host junk after literal", in: "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", status: 400},
	{name: "CONNECT origin-form §3.2.3", in: "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", status: 501},
	{name: "missing Host §3.2", in: "GET / HTTP/1.1\r\n\r\n", status: 400},
	{name: "two Host fields §3.2", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400},
	{name: "invalid Host", in: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400},
	{name: "Host with userinfo", in: "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", status: 400},
	{name: "HTTP/2.0 §2.3", in: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505},
	{name: "HTTP/0.9 version", in: "GET / HTTP/0.9\r\nHost: a\r\n\r\n", status: 505},
	{name: "HTTP/3.0", in: "GET / HTTP/3.0\r\n\r\n", status: 505},
	{name: "lowercase http", in: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "HTTP/1.10", in: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", status: 400},
	{name: "HTTP/0.9 request line", in: "GET /\r\n\r\n", status: 400},
	{name: "bare LF §2.2", in: "GET / HTTP/1.1\nHost: a\n\n", status: 400},
	{name: "bare LF in fields", in: "GET / HTTP/1.1\r\nHost: a\n\r\n", status: 400},
	{name: "bare CR in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", status: 400},
	{name: "bare CR in target", in: "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "NUL in value §5.5", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", status: 400},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", status: 400},
	{name: "space before colon §5.1", in: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400},
	{name: "tab before colon", in: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", status: 400},
	{name: "obs-fold §5.2", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", status: 400},
	{name: "whitespace before first field §2.2", in: "GET / HTTP/1.1\r\n Host: a\r\n\r\n", status: 400},
	{name: "empty field name", in: "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", status: 400},
	{name: "no colon", in: "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", status: 400},
	{name: "non-token name", in: "GET / HTTP/1.1\r\nHost: a\r\nX(y): v\r\n\r\n", status: 400},
	{name: "two leading CRLF", in: "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "leading space", in: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "double space", in: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "trailing space", in: "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", status: 400},
	{name: "non-token method", in: "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "space in target", in: "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "fragment in target", in: "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bad percent", in: "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "truncated percent", in: "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "non-ASCII target", in: "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "relative target", in: "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "asterisk with GET", in: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "absolute-form userinfo", in: "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "absolute-form other scheme", in: "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "absolute-form unclosed IP-literal §4.2.1", in: "GET http://[ HTTP/1.0\r\n\r\n", status: 400},
	{name: "absolute-form port not digits §4.2.1", in: "GET http://a:b/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "absolute-form junk after IP-literal §4.2.1", in: "GET http://[::1]x/ HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "absolute-form IPv6 with port", in: "GET http://[::1]:8080/p HTTP/1.1\r\nHost: a\r\n\r\n", method: "GET", path: "/p", host: "[::1]:8080"},
	{name: "CONNECT authority-form", in: "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", status: 501},
	{name: "Content-Length sign", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", status: 400},
	{name: "Content-Length negative", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400},
	{name: "Content-Length hex", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", status: 400},
	{name: "Content-Length empty", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", status: 400},
	{name: "Content-Length overflow", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", status: 400},
	{name: "Content-Length differing §6.3", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 400},
	{name: "Content-Length list differing", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", status: 400},
	{name: "CL.TE §6.1", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE.CL §6.1", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", status: 400},
	{name: "TE chunked twice", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400},
	{name: "TE chunked not final", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400},
	{name: "TE unknown §6.1", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501},
	{name: "TE obfuscated", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", status: 501},
	{name: "TE empty", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", status: 400},
	{name: "TE in HTTP/1.0 §6.1", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "unknown expectation §10.1.1", in: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", status: 417},
}

// feed parses in, split into pieces of at most step bytes (0: whole), the
// way a connection receives it.
func feed(p *Parser, in string, step int) (int, error) {
	data := []byte(in)
	if step == 0 {
		step = len(data)
	}
	for end := min(step, len(data)); ; end = min(end+step, len(data)) {
		n, err := p.Parse(data[:end])
		if err != nil || n > 0 || end == len(data) {
			return n, err
		}
	}
}

func TestParse(t *testing.T) {
	const next = "GET /next HTTP/1.1\r\nHost: n\r\n\r\n"
	for _, tc := range parseCases {
		for _, mode := range []string{"whole", "bytewise", "pipelined"} {
			subtest(t, tc.name+"/"+mode, func(t *testing.T) {
				var p Parser
				in, step := tc.in, 0
				switch mode {
				case "bytewise":
					step = 1
				case "pipelined":
					in += next
				}
				n, err := feed(&p, in, step)
				if tc.status != 0 {
					var pe *ProtocolError
					if !errors.As(err, &pe) {
						t.Fatalf("got n=%d err=%v, want status %d", n, err, tc.status)
					}
					if pe.Status != tc.status {
						t.Fatalf("got status %d (%v), want %d", pe.Status, err, tc.status)
					}
					return
				}
				if err != nil || n != len(tc.in) {
					t.Fatalf("got n=%d err=%v, want n=%d", n, err, len(tc.in))
				}
				r := p.Request()
				check := func(what, got, want string) {
					t.Helper()
					if got != want {
						t.Errorf("%s: got %q, want %q", what, got, want)
					}
				}
				check("method", r.Method(), tc.method)
				check("path", string(r.Path()), tc.path)
				check("query", string(r.RawQuery()), tc.query)
				check("host", string(r.Host()), tc.host)
				if r.Close() != tc.close {
					t.Errorf("Close: got %v, want %v", r.Close(), tc.close)
				}
				if r.ContentLength() != tc.cl {
					t.Errorf("ContentLength: got %d, want %d", r.ContentLength(), tc.cl)
				}
				if mode == "pipelined" {
					// The next request parses from where this one ended.
					p.Reset()
					n2, err := p.Parse([]byte(in[n:]))
					if err != nil || n2 != len(next) || string(p.Request().Path()) != "/next" {
						t.Errorf("pipelined request: n=%d err=%v path=%q", n2, err, p.Request().Path())
					}
				}
			})
		}
	}
}

// TestParsePrefixes feeds every proper prefix of each valid request (as
// picohttpparser's tests do) and expects "need more", never an error.
func TestParsePrefixes(t *testing.T) {
	for _, tc := range parseCases {
		if tc.status != 0 {
			continue
		}
		for i := 0; i < len(tc.in); i++ {
			var p Parser
			if n, err := p.Parse([]byte(tc.in[:i])); n != 0 || err != nil {
				t.Errorf("%s: prefix of %d bytes: got n=%d err=%v, want incomplete", tc.name, i, n, err)
			}
		}
	}
}

func TestParseHeaders(t *testing.T) {
	var p Parser
	in := "GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nx-two:2\r\nX-One: again\r\n\r\n"
	if n, err := p.Parse([]byte(in)); n != len(in) || err != nil {
		t.Fatalf("Parse: n=%d err=%v", n, err)
	}
	r := p.Request()
	for _, tc := range []struct{ name, want string }{
		{"x-one", "1"}, {"X-TWO", "2"}, {"host", "a"}, {"missing", ""},
	} {
		if got := string(r.Header(tc.name)); got != tc.want {
			t.Errorf("Header(%q): got %q, want %q", tc.name, got, tc.want)
		}
	}
	var got []string
	for name, value := range r.Headers() {
		got = append(got, string(name)+"="+string(value))
	}
	if want := "Host=a X-One=1 x-two=2 X-One=again"; strings.Join(got, " ") != want {
		t.Errorf("Headers: got %q, want %q", strings.Join(got, " "), want)
	}
}

func TestParseLimits(t *testing.T) {
	p := Parser{Limits: Limits{MaxRequestLine: 32, MaxHeaderBytes: 64, MaxHeaderFields: 2}}
	for _, tc := range []struct {
		in     string
		status int
	}{
		{"GET /" + strings.Repeat("a", 40), 414}, // refused before the line ends
		{"GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("b", 70), 431},
		{"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", 431},
	} {
		p.Reset()
		_, err := p.Parse([]byte(tc.in))
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Status != tc.status {
			t.Errorf("%.30q: got %v, want status %d", tc.in, err, tc.status)
		}
	}
}

// TestParseAllocs: a valid request is parsed without allocating.
func TestParseAllocs(t *testing.T) {
	in := []byte("GET /x?y=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n")
	var p Parser
	allocs := testing.AllocsPerRun(100, func() {
		p.Reset()
		if n, err := p.Parse(in); n != len(in) || err != nil {
			t.Fatal(n, err)
		}
		_ = p.Request().Header("accept")
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per parse, want 0", allocs)
	}
}

// TestParseResumeLinear checks that byte-at-a-time input costs O(n): the
// parser must not rescan what it has seen. It counts scanned bytes through
// the parser's position rather than timing anything.
func TestParseResumeLinear(t *testing.T) {
	in := []byte("GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("v", 4000) + "\r\n\r\n")
	var p Parser
	for i := 1; i < len(in); i++ {
		if n, err := p.Parse(in[:i]); n != 0 || err != nil {
			t.Fatalf("prefix %d: n=%d err=%v", i, n, err)
		}
		if int(p.pos) != i {
			t.Fatalf("after %d bytes the parser resumes at %d", i, p.pos)
		}
	}
}
