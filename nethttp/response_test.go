//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/nethttp"
)

// responseCases are handlers and the response head and body each must
// produce on the wire. Each request is followed on the same connection by
// a pipelined GET /ok, so that a stray body byte or wrong framing shows.
var responseCases = []struct {
	name    string
	method  string
	handler func(w http.ResponseWriter, r *http.Request) error // returns its last Write's error
	status  int
	body    string
	has     []string // lines in the head
	hasNot  []string // substrings absent from the head
	wantErr error    // what the handler's last Write returned
}{
	{name: "nothing written: 200, empty", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error { return nil },
		status:  200, has: []string{"Content-Length: 0"}, hasNot: []string{"Content-Type"}},
	{name: "status and body", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(201)
			_, err := io.WriteString(w, "made")
			return err
		},
		status: 201, body: "made", has: []string{"Content-Type: text/plain", "Content-Length: 4"}},
	{name: "several writes and ReadFrom", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Write([]byte("a"))
			io.WriteString(w, "b")
			_, err := io.Copy(w, io.LimitReader(strings.NewReader("cdef"), 3))
			return err
		},
		status: 200, body: "abcde", has: []string{"Content-Length: 5"}},
	{name: "multiple values, one field line each, sorted by name", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			h := w.Header()
			h.Add("Set-Cookie", "a=1")
			h.Add("Set-Cookie", "b=2")
			h.Add("X-Multi", "one")
			h.Add("X-Multi", "two")
			h.Set("Cache-Control", "no-store")
			return nil
		},
		status: 200, has: []string{"Cache-Control: no-store\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Multi: one\r\nX-Multi: two"}},
	{name: "204: no body, no Content-Length (RFC 9110 §8.6)", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(204)
			_, err := w.Write([]byte("ignored"))
			return err
		},
		status: 204, hasNot: []string{"Content-Length"}, wantErr: http.ErrBodyNotAllowed},
	{name: "304: no Content-Type, no Content-Length (RFC 9110 §15.4.5)", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "10")
			w.Header().Set("ETag", `"x"`)
			w.WriteHeader(304)
			return nil
		},
		status: 304, has: []string{`Etag: "x"`}, hasNot: []string{"Content-Length", "Content-Type"}},
	{name: "103 dropped: the final status only", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(103)
			w.WriteHeader(200)
			_, err := io.WriteString(w, "ok")
			return err
		},
		status: 200, body: "ok", has: []string{"Link: </style.css>; rel=preload"}, hasNot: []string{"103"}},
	{name: "101 without an Upgrade: 500 from the core", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Connection", "Upgrade")
			w.WriteHeader(101)
			return nil
		},
		status: 500, body: "500 internal server error\n"},
	{name: "second WriteHeader ignored", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(202)
			w.WriteHeader(500)
			return nil
		},
		status: 202},
	{name: "header changes after WriteHeader are not sent", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("X-Before", "1")
			w.WriteHeader(200)
			w.Header().Set("X-After", "1")
			return nil
		},
		status: 200, has: []string{"X-Before: 1"}, hasNot: []string{"X-After"}},
	{name: "Content-Length that matches", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "5")
			_, err := io.WriteString(w, "hello")
			return err
		},
		status: 200, body: "hello", has: []string{"Content-Length: 5"}},
	{name: "Content-Length above what was written: 500", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "10")
			_, err := io.WriteString(w, "hello")
			return err
		},
		status: 500, body: "500 internal server error: body length differs from the handler's Content-Length\n"},
	{name: "writing past Content-Length: ErrContentLength, 500", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "3")
			_, err := io.WriteString(w, "hello")
			return err
		},
		status: 500, wantErr: http.ErrContentLength,
		body: "500 internal server error: body length differs from the handler's Content-Length\n"},
	{name: "invalid Content-Length dropped, as net/http", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "five")
			_, err := io.WriteString(w, "hello")
			return err
		},
		status: 200, body: "hello", has: []string{"Content-Length: 5"}, hasNot: []string{"five"}},
	{name: "sniffed Content-Type", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, "<html><body>hi</body></html>")
			return err
		},
		status: 200, body: "<html><body>hi</body></html>", has: []string{"Content-Type: text/html; charset=utf-8"}},
	{name: "Content-Type nil: no sniffing, no field", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header()["Content-Type"] = nil
			_, err := io.WriteString(w, "<html>")
			return err
		},
		status: 200, body: "<html>", hasNot: []string{"Content-Type"}},
	{name: "Content-Encoding: no sniffing", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Encoding", "identity")
			_, err := io.WriteString(w, "<html>")
			return err
		},
		status: 200, body: "<html>", has: []string{"Content-Encoding: identity"}, hasNot: []string{"Content-Type"}},
	{name: "fields the core owns are dropped", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Transfer-Encoding", "chunked")
			w.Header().Set("Date", "Thu, 01 Jan 1970 00:00:00 GMT")
			w.Header().Set("Trailer", "X-Sum")
			w.Header().Set(http.TrailerPrefix+"X-Sum", "1")
			_, err := io.WriteString(w, "body")
			return err
		},
		status: 200, body: "body", has: []string{"Content-Length: 4"},
		hasNot: []string{"Transfer-Encoding", "1970", "Trailer", "X-Sum"}},
	{name: "invalid names dropped, CR LF in values become spaces (as net/http)", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header()["Bad Name"] = []string{"x"}
			w.Header()["X-Split"] = []string{"a\r\nInjected: b"}
			return nil
		},
		status: 200, has: []string{"X-Split: a  Injected: b"}, hasNot: []string{"Bad Name", "\r\nInjected"}},
	{name: "NUL in a value: 500 from the core", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("X-Nul", "a\x00b")
			return nil
		},
		status: 500, body: "500 internal server error\n", hasNot: []string{"X-Nul"}},
	{name: "HEAD: the written length, no body", method: "HEAD",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, "hello")
			return err
		},
		status: 200, has: []string{"Content-Length: 5", "Content-Type: text/plain; charset=utf-8"}},
	{name: "HEAD: nothing written, no length given: no Content-Length", method: "HEAD",
		handler: func(w http.ResponseWriter, r *http.Request) error { return nil },
		status:  200, hasNot: []string{"Content-Length"}},
	{name: "HEAD: the handler's Content-Length", method: "HEAD",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Length", "1234")
			return nil
		},
		status: 200, has: []string{"Content-Length: 1234"}},
	{name: "http.Error", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			http.Error(w, "no such thing", http.StatusNotFound)
			return nil
		},
		status: 404, body: "no such thing\n",
		has: []string{"Content-Type: text/plain; charset=utf-8", "X-Content-Type-Options: nosniff"}},
	{name: "unknown status code", method: "GET",
		handler: func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(299)
			return nil
		},
		status: 299},
}

func TestResponses(t *testing.T) {
	var lastErr error
	var current int
	h := nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, "ok")
			return
		}
		lastErr = responseCases[current].handler(w, r)
	})
	hs := servertest.Start(t, &biplane.Server{Handler: h})
	for i, tc := range responseCases {
		t.Run(tc.name, func(t *testing.T) {
			hs.Do(func() { current, lastErr = i, nil })
			c := hs.Dial(t)
			c.Send(tc.method + " / HTTP/1.1\r\nHost: t\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
			head := c.Head()
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(head)), &http.Request{Method: tc.method})
			if err != nil {
				t.Fatalf("%v: %q", err, head)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %q", resp.StatusCode, tc.status, head)
			}
			body := make([]byte, max(resp.ContentLength, 0))
			if tc.method == "HEAD" || tc.status == 204 || tc.status == 304 {
				body = nil
			}
			if _, err := io.ReadFull(c.Reader, body); err != nil {
				t.Fatalf("body: %v", err)
			}
			if string(body) != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			for _, s := range tc.has {
				if !strings.Contains(head, "\r\n"+s+"\r\n") {
					t.Errorf("head lacks %q: %q", s, head)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(head, s) {
					t.Errorf("head has %q: %q", s, head)
				}
			}
			// The pipelined request is answered right after: framing held.
			if resp, body := c.Response("GET"); resp.StatusCode != 200 || body != "ok" {
				t.Errorf("next request: %d %q", resp.StatusCode, body)
			}
			var err2 error
			hs.Do(func() { err2 = lastErr })
			if !errors.Is(err2, tc.wantErr) {
				t.Errorf("handler's write error %v, want %v", err2, tc.wantErr)
			}
		})
	}
}

// TestConnectionClose: "Connection: close" from the handler closes the
// connection after the response (RFC 9112 §9.6).
func TestConnectionClose(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})})
	c := hs.Dial(t)
	c.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
	resp, body := c.Response("GET")
	if resp.StatusCode != 200 || body != "bye" || !resp.Close {
		t.Errorf("got %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	c.ExpectEOF()
}

// TestResponseBound: bodies up to MaxResponseBytes are sent, larger ones
// are answered 500, whether written with Write, WriteString or ReadFrom.
func TestResponseBound(t *testing.T) {
	const max = 1000
	var errs []error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.URL.Query().Get("n"))
		var err error
		switch r.URL.Path {
		case "/write":
			for i := 0; i < n && err == nil; i += 100 {
				_, err = w.Write([]byte(strings.Repeat("w", min(100, n-i))))
			}
		case "/string":
			_, err = io.WriteString(w, strings.Repeat("s", n))
		case "/readfrom":
			// io.LimitReader hides strings.Reader's WriteTo: ReadFrom runs.
			_, err = io.Copy(w, io.LimitReader(strings.NewReader(strings.Repeat("r", n)), int64(n)))
		}
		errs = append(errs, err)
	})
	hs := servertest.Start(t, &biplane.Server{Handler: &nethttp.Adapter{Handler: h, MaxResponseBytes: max}})
	c := servertest.NewClient(t)
	for _, path := range []string{"/write", "/string", "/readfrom"} {
		for _, n := range []int{0, 1, max - 1, max, max + 1, 3 * max} {
			for _, method := range []string{"GET", "HEAD"} {
				url := hs.URL + path + "?n=" + strings.Repeat("x", n)
				resp, body := servertest.RoundTrip(t, c, newRequest(t, method, url, nil))
				var last error
				hs.Do(func() { last = errs[len(errs)-1] })
				if n <= max {
					if resp.StatusCode != 200 || resp.ContentLength != int64(n) && !(method == "HEAD" && n == 0) ||
						method == "GET" && len(body) != n {
						t.Errorf("%s %s n=%d: status %d, length %d, %d bytes", method, path, n, resp.StatusCode, resp.ContentLength, len(body))
					}
					if last != nil {
						t.Errorf("%s %s n=%d: handler's write error %v", method, path, n, last)
					}
					continue
				}
				if resp.StatusCode != 500 || !strings.Contains(body, "larger than MaxResponseBytes") && method == "GET" {
					t.Errorf("%s %s n=%d: status %d %q, want 500", method, path, n, resp.StatusCode, body)
				}
				if !errors.Is(last, nethttp.ErrResponseTooLarge) {
					t.Errorf("%s %s n=%d: handler's write error %v, want ErrResponseTooLarge", method, path, n, last)
				}
			}
		}
	}
}

// TestPanics: a panic in the handler, http.ErrAbortHandler included, is
// the core's: 500, and OnPanic sees the value; the server goes on.
func TestPanics(t *testing.T) {
	var panics []any // OnPanic's values, on the loop
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/abort":
			io.WriteString(w, "partial")
			panic(http.ErrAbortHandler)
		case "/panic":
			panic("on purpose")
		case "/code":
			w.WriteHeader(42)
		}
		io.WriteString(w, "fine")
	}), OnPanic: func(v any) { panics = append(panics, v) }})
	c := servertest.NewClient(t)
	for _, path := range []string{"/abort", "/panic", "/code"} {
		resp, body := servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+path, nil))
		if resp.StatusCode != 500 || body != "500 internal server error\n" {
			t.Errorf("%s: %d %q, want 500", path, resp.StatusCode, body)
		}
	}
	resp, body := servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+"/", nil))
	if resp.StatusCode != 200 || body != "fine" {
		t.Errorf("after the panics: %d %q", resp.StatusCode, body)
	}
	var p []any
	hs.Do(func() { p = append(p, panics...) })
	if len(p) != 3 || p[0] != http.ErrAbortHandler || p[1] != "on purpose" ||
		!strings.Contains(p[2].(string), "invalid WriteHeader code 42") {
		t.Errorf("OnPanic saw %q", p)
	}
}

// TestUnsupported: what a buffered response cannot do is reported as
// unsupported, not faked: no http.Flusher or http.Hijacker, and
// http.ResponseController says ErrNotSupported.
func TestUnsupported(t *testing.T) {
	var results []string
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, flusher := w.(http.Flusher)
		_, hijacker := w.(http.Hijacker)
		rc := http.NewResponseController(w)
		_, _, hijackErr := rc.Hijack()
		for _, err := range []error{
			rc.Flush(), hijackErr, rc.SetReadDeadline(time.Now()), rc.SetWriteDeadline(time.Now()), rc.EnableFullDuplex(),
		} {
			results = append(results, fmt.Sprint(errors.Is(err, http.ErrNotSupported)))
		}
		results = append(results, fmt.Sprint(flusher, hijacker))
		io.WriteString(w, "done")
	})})
	resp, body := servertest.RoundTrip(t, servertest.NewClient(t), newRequest(t, "GET", hs.URL+"/", nil))
	if resp.StatusCode != 200 || body != "done" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	var got string
	hs.Do(func() { got = strings.Join(results, " ") })
	if want := "true true true true true false false"; got != want {
		t.Errorf("ErrNotSupported from Flush, Hijack, SetReadDeadline, SetWriteDeadline, EnableFullDuplex, then Flusher, Hijacker: %s, want %s", got, want)
	}
}
