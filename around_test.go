//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// tag is middleware that adds its name to a trace and a field to the
// response, and refuses requests with "X-Refuse: name".
func tag(name string, trace *[]string) func(biplane.Handler) biplane.Handler {
	return func(next biplane.Handler) biplane.Handler {
		return biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			*trace = append(*trace, name)
			if string(r.Header("X-Refuse")) == name {
				return biplane.Response{Status: 403, Body: []byte("refused by " + name)}
			}
			return next.Respond(r).WithHeader("X-"+name, "1")
		})
	}
}

// TestMiddleware: Mux.Use wraps every route, of every kind, and the Mux's
// own answers, outermost first, once per request: on the head for a route
// that takes its body as it arrives, whose final response still gets the
// middleware's fields, and whose refusal by middleware costs no body.
func TestMiddleware(t *testing.T) {
	var trace []string
	var mux biplane.Mux
	mux.Use(tag("a", &trace), tag("b", &trace))
	mux.HandleFunc("GET /plain", func(r *biplane.Request) biplane.Response {
		trace = append(trace, "plain")
		return biplane.Response{Body: []byte("plain")}
	})
	mux.HandleFunc("POST /buffered", func(r *biplane.Request) biplane.Response {
		trace = append(trace, "buffered:"+string(r.Body()))
		return biplane.Response{Body: r.Body()}
	})
	mux.Handle("PUT /up", biplane.Receive(func(r *biplane.Request) biplane.Response {
		trace = append(trace, "up")
		return biplane.Response{Receive: newHasher()}
	}))
	h := servertest.Start(t, &biplane.Server{Handler: &mux})
	c := servertest.NewClient(t)
	for _, tc := range []struct {
		method, path, body, refuse string
		status                     int
		trace                      string
	}{
		{"GET", "/plain", "", "", 200, "a b plain"},
		{"POST", "/buffered", "xyz", "", 200, "a b buffered:xyz"},
		{"PUT", "/up", "hello", "", 200, "a b up"},
		{"PUT", "/up", "hello", "b", 403, "a b"},
		{"GET", "/missing", "", "", 404, "a b"},
		{"DELETE", "/plain", "", "", 405, "a b"},
		{"OPTIONS", "/plain", "", "", 204, "a b"},
	} {
		h.Do(func() { trace = trace[:0] })
		req, _ := http.NewRequest(tc.method, h.URL+tc.path, strings.NewReader(tc.body))
		if tc.body == "" {
			req.Body = nil
		}
		if tc.refuse != "" {
			req.Header.Set("X-Refuse", tc.refuse)
		}
		resp, _ := servertest.RoundTrip(t, c, req)
		var got string
		h.Do(func() { got = strings.Join(trace, " ") })
		if resp.StatusCode != tc.status || got != tc.trace {
			t.Errorf("%s %s: got %d, trace %q; want %d, %q", tc.method, tc.path, resp.StatusCode, got, tc.status, tc.trace)
		}
		if tc.status != 403 && (resp.Header.Get("X-a") != "1" || resp.Header.Get("X-b") != "1") {
			t.Errorf("%s %s: the middleware's fields are missing: %v", tc.method, tc.path, resp.Header)
		}
	}
	// Refused by middleware on the head: no 100 Continue, no body read.
	conn := h.Dial(t)
	conn.Send("PUT /up HTTP/1.1\r\nHost: a\r\nX-Refuse: a\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
	if head := conn.Head(); !strings.HasPrefix(head, "HTTP/1.1 403 ") {
		t.Fatalf("got %q, want 403 before any 100", head)
	}
}

// TestMuxOwnAnswers: NotFound and MethodNotAllowed shape the Mux's 404 and
// 405 (which keeps Allow), and OPTIONS is answered with the methods.
func TestMuxOwnAnswers(t *testing.T) {
	var mux biplane.Mux
	mux.NotFound = biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Status: 404, ContentType: "application/json", Body: []byte(`{"error":"not found"}`)}
	})
	mux.MethodNotAllowed = biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Status: 405, ContentType: "application/json", Body: []byte(`{"error":"method not allowed"}`)}
	})
	mux.HandleFunc("GET /thing", func(r *biplane.Request) biplane.Response { return biplane.Response{} })
	mux.HandleFunc("PUT /thing", func(r *biplane.Request) biplane.Response { return biplane.Response{} })
	h := servertest.Start(t, &biplane.Server{Handler: &mux})
	c := servertest.NewClient(t)
	for _, tc := range []struct {
		method, path string
		status       int
		ct, body     string
		allow        string
	}{
		{"GET", "/nothing", 404, "application/json", `{"error":"not found"}`, ""},
		{"DELETE", "/thing", 405, "application/json", `{"error":"method not allowed"}`, "GET, HEAD, PUT"},
		{"POST", "/thing", 405, "application/json", `{"error":"method not allowed"}`, "GET, HEAD, PUT"},
		{"OPTIONS", "/thing", 204, "", "", "GET, HEAD, PUT, OPTIONS"},
	} {
		req, _ := http.NewRequest(tc.method, h.URL+tc.path, nil)
		resp, body := servertest.RoundTrip(t, c, req)
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ct || body != tc.body || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: got %d %q %q Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, resp.Header.Get("Allow"))
		}
	}
}

// TestOnResponse: the hook sees every response: a handler's, a stream's
// when it ends, and the server's own refusals, with why the connection
// closes.
func TestOnResponse(t *testing.T) {
	type entry struct {
		method, target string
		status         int
		bytes          int64
		refused        bool
		close          string
	}
	var log []entry
	var mux biplane.Mux
	mux.HandleFunc("GET /hello", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: []byte("hello")}
	})
	mux.HandleFunc("POST /p", func(r *biplane.Request) biplane.Response { return biplane.Response{} })
	mux.HandleFunc("GET /stream", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Stream: strings.NewReader(strings.Repeat("s", 10000))}
	})
	srv := &biplane.Server{Handler: &mux, NoDate: true,
		Limits: biplane.Limits{MaxBodyBytes: 100, MaxHeaderBytes: 1024, RequestTimeout: time.Second, MaxConns: 1},
		OnResponse: func(ri *biplane.ResponseInfo) {
			log = append(log, entry{string(ri.Method), string(ri.Target), ri.Status, ri.Bytes, ri.Refused, ri.Close})
		}}
	h := servertest.Start(t, srv)
	last := func() entry {
		var e entry
		h.WaitFor(t, "a report", func() bool {
			if len(log) == 0 {
				return false
			}
			e = log[len(log)-1]
			log = log[:0]
			return true
		})
		return e
	}
	for _, tc := range []struct {
		name, send string
		want       entry
	}{
		{"handler", "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			entry{"GET", "/hello", 200, 62, false, "client asked"}},
		{"stream", "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n",
			entry{"GET", "/stream", 200, 0, false, ""}},
		{"400", "GET /x HTTP/1.1\r\nBad Field: 1\r\n\r\n",
			entry{"GET", "/x", 400, 0, true, "refused"}},
		{"413", "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n",
			entry{"POST", "/p", 413, 0, true, "refused"}},
		{"431", "GET /hello HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 2000) + "\r\n\r\n",
			entry{"GET", "/hello", 431, 0, true, "refused"}},
		{"408", "GET /hello HTTP/1.1\r\nHost: a\r\n",
			entry{"GET", "/hello", 408, 0, true, "refused"}},
		{"505", "GET /hello HTTP/2.0\r\nHost: a\r\n\r\n",
			entry{"", "", 505, 0, true, "refused"}},
	} {
		c := h.Dial(t)
		c.Send(tc.send)
		resp, body := c.Response("GET")
		got := last()
		if tc.want.bytes == 0 {
			got.bytes = 0 // checked below
		}
		if tc.name == "505" {
			got.method, got.target = "", "" // as far as the parser got
		}
		if got != tc.want || resp.StatusCode != tc.want.status {
			t.Errorf("%s: reported %+v (response %d), want %+v", tc.name, got, resp.StatusCode, tc.want)
		}
		if tc.name == "stream" && len(body) != 10000 {
			t.Errorf("stream: %d bytes", len(body))
		}
		c.Close()
		h.WaitConns(t, 0)
	}
	// Over MaxConns: 503 before any request.
	c1 := h.Dial(t)
	c1.Send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
	c1.Response("GET")
	last()
	c2 := h.Dial(t)
	if resp, _ := c2.Response("GET"); resp.StatusCode != 503 {
		t.Fatalf("second connection: %d, want 503", resp.StatusCode)
	}
	if got := last(); got.status != 503 || !got.refused || got.method != "" {
		t.Errorf("503: reported %+v", got)
	}
}

// TestOnResponseAllocs: with a callback that does not allocate, the hook
// costs no allocation per request.
func TestOnResponseAllocs(t *testing.T) {
	c := servertest.NewLoopClient(t, helloMux())
	var n, bytes int64
	c.Server().OnResponse = func(ri *biplane.ResponseInfo) { n++; bytes += ri.Bytes + int64(len(ri.Method)) }
	req := []byte("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
	size := len(c.RoundTrip(req, 0, []byte("</b>")))
	for range 10 {
		c.RoundTrip(req, size, nil)
	}
	if allocs := testing.AllocsPerRun(500, func() { c.RoundTrip(req, size, nil) }); allocs != 0 {
		t.Errorf("got %v allocs per request with OnResponse set, want 0", allocs)
	}
	if n < 511 || bytes < n*int64(size) {
		t.Errorf("reported %d responses, %d bytes; want each of %d bytes", n, bytes, size)
	}
}

// TestRefusal: the program shapes the server's own answers; the framing
// stays the server's.
func TestRefusal(t *testing.T) {
	srv := &biplane.Server{
		Limits: biplane.Limits{MaxBodyBytes: 10},
		Refusal: func(status int, reason string) (string, []byte) {
			return "application/json", []byte(`{"status":` + strconv.Itoa(status) + `,"error":"` + reason + `"}`)
		},
	}
	h := servertest.Start(t, srv)
	c := h.Dial(t)
	c.Send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
	resp, body := c.Response("POST")
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/json" ||
		body != `{"status":413,"error":"request body too large"}` || !resp.Close {
		t.Fatalf("got %d %q %q close=%v", resp.StatusCode, resp.Header.Get("Content-Type"), body, resp.Close)
	}
	c.ExpectEOF()
}

// TestOnShutdown: hooks run on the loop when Shutdown begins.
func TestOnShutdown(t *testing.T) {
	srv := &biplane.Server{}
	ran := make(chan int, 2)
	srv.OnShutdown(func() { ran <- 1 })
	srv.OnShutdown(func() { ran <- 2 })
	h := servertest.Start(t, srv)
	srv.Shutdown(time.Second)
	<-h.Done()
	if a, b := <-ran, <-ran; a != 1 || b != 2 {
		t.Fatalf("hooks ran %d, %d", a, b)
	}
}

// TestWithHeader: WithHeader adds a field without touching a shared array.
func TestWithHeader(t *testing.T) {
	shared := make([]biplane.Field, 1, 4)
	shared[0] = biplane.Field{Name: "A", Value: "1"}
	r1 := biplane.Response{Header: shared}.WithHeader("B", "2")
	r2 := biplane.Response{Header: shared}.WithHeader("C", "3")
	if len(r1.Header) != 2 || r1.Header[1].Name != "B" || r2.Header[1].Name != "C" {
		t.Fatalf("got %v and %v", r1.Header, r2.Header)
	}
}
