//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/nethttp"
)

// seen is what the handler saw of a request, sent back as JSON.
type seen struct {
	Method, RequestURI, Path, RawPath, RawQuery, URLHost, Host, Proto string
	ProtoMajor, ProtoMinor                                            int
	Query                                                             map[string][]string
	Header                                                            map[string][]string
	ContentLength                                                     int64
	TransferEncoding                                                  []string
	Body, RemoteAddr                                                  string
	Close, TLS, CtxLive, NoBody                                       bool
}

func inspect(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	s := seen{
		Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, RawPath: r.URL.RawPath,
		RawQuery: r.URL.RawQuery, URLHost: r.URL.Host, Host: r.Host, Proto: r.Proto,
		ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor, Query: r.URL.Query(), Header: r.Header,
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, Body: string(b),
		RemoteAddr: r.RemoteAddr, Close: r.Close, TLS: r.TLS != nil, CtxLive: r.Context().Err() == nil,
		NoBody: r.Body == http.NoBody,
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

// TestRequestFields sends raw requests and checks the http.Request that
// the handler saw.
func TestRequestFields(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(inspect)})
	cases := []struct {
		name  string
		raw   string
		check func(t *testing.T, s seen)
	}{
		{"origin-form with query and escapes",
			"GET /p%20q/r?q=1&q=2&x=%41 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
			func(t *testing.T, s seen) {
				want := seen{Method: "GET", RequestURI: "/p%20q/r?q=1&q=2&x=%41", Path: "/p q/r",
					RawQuery: "q=1&q=2&x=%41", Host: "example.com:8080", Proto: "HTTP/1.1", ProtoMajor: 1,
					ProtoMinor: 1, Query: map[string][]string{"q": {"1", "2"}, "x": {"A"}},
					Header: map[string][]string{}, CtxLive: true, NoBody: true}
				s.RemoteAddr = ""
				eq(t, s, want)
			}},
		{"encoded slash keeps RawPath",
			"GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Path != "/a/b" || s.RawPath != "/a%2Fb" {
					t.Errorf("Path %q RawPath %q", s.Path, s.RawPath)
				}
			}},
		{"headers: canonical keys, repeated fields in order, Host promoted",
			"GET / HTTP/1.1\r\nhost: h\r\nx-multi: a\r\nX-MULTI: b, c\r\naccept-encoding: gzip\r\nX-Empty:\r\nx-multi: d\r\n\r\n",
			func(t *testing.T, s seen) {
				want := map[string][]string{"X-Multi": {"a", "b, c", "d"}, "Accept-Encoding": {"gzip"}, "X-Empty": {""}}
				eq(t, s.Header, want)
				if s.Host != "h" {
					t.Errorf("Host %q", s.Host)
				}
			}},
		{"Content-Length body",
			"POST /post HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
			func(t *testing.T, s seen) {
				if s.Body != "hello world" || s.ContentLength != 11 || s.TransferEncoding != nil || s.NoBody {
					t.Errorf("body %q length %d TE %q NoBody %v", s.Body, s.ContentLength, s.TransferEncoding, s.NoBody)
				}
			}},
		{"chunked body: complete, with its length",
			"POST /post HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Body != "hello world" || s.ContentLength != 11 || !slices.Equal(s.TransferEncoding, []string{"chunked"}) {
					t.Errorf("body %q length %d TE %q", s.Body, s.ContentLength, s.TransferEncoding)
				}
				if _, ok := s.Header["Transfer-Encoding"]; ok {
					t.Errorf("Transfer-Encoding left in Header, unlike net/http: %v", s.Header)
				}
			}},
		{"HTTP/1.0 closes",
			"GET /old HTTP/1.0\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Proto != "HTTP/1.0" || s.ProtoMinor != 0 || !s.Close || s.Host != "" {
					t.Errorf("Proto %q minor %d Close %v Host %q", s.Proto, s.ProtoMinor, s.Close, s.Host)
				}
			}},
		{"Connection: close",
			"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
			func(t *testing.T, s seen) {
				if !s.Close {
					t.Error("Close is false")
				}
			}},
		{"absolute-form: the authority is the host (RFC 9112 §3.2.2)",
			"GET http://other.example:81/x?y=1 HTTP/1.1\r\nHost: ignored\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Host != "other.example:81" || s.URLHost != "other.example:81" || s.Path != "/x" || s.RawQuery != "y=1" {
					t.Errorf("Host %q URL.Host %q Path %q RawQuery %q", s.Host, s.URLHost, s.Path, s.RawQuery)
				}
			}},
		{"asterisk-form",
			"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Method != "OPTIONS" || s.RequestURI != "*" || s.Path != "*" {
					t.Errorf("Method %q RequestURI %q Path %q", s.Method, s.RequestURI, s.Path)
				}
			}},
		{"extension method",
			"PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n",
			func(t *testing.T, s seen) {
				if s.Method != "PURGE" {
					t.Errorf("Method %q", s.Method)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := hs.Dial(t)
			c.Send(tc.raw)
			resp, body := c.Response("GET")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var s seen
			if err := json.Unmarshal([]byte(body), &s); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			// RemoteAddr is ip:port of the client's end (net/http's format).
			if s.RemoteAddr != c.LocalAddr().String() {
				t.Errorf("RemoteAddr %q, want %q", s.RemoteAddr, c.LocalAddr().String())
			}
			if _, err := netip.ParseAddrPort(s.RemoteAddr); err != nil {
				t.Errorf("RemoteAddr %q: %v", s.RemoteAddr, err)
			}
			tc.check(t, s)
		})
	}
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("got  %s\nwant %s", g, w)
	}
}

// TestRequestLifetime: the context is canceled and the body reads nothing
// once ServeHTTP has returned, so a goroutine that kept them cannot see the
// next request's bytes.
func TestRequestLifetime(t *testing.T) {
	var kept *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept = r
		if r.Context().Err() != nil {
			t.Error("context canceled during ServeHTTP")
		}
		buf := make([]byte, 3)
		n, _ := r.Body.Read(buf)
		w.Write(buf[:n])
	})
	base, cancelBase := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "base"))
	defer cancelBase()
	hs := servertest.Start(t, &biplane.Server{Handler: &nethttp.Adapter{Handler: h, BaseContext: base}})
	resp, body := servertest.RoundTrip(t, servertest.NewClient(t), newRequest(t, "POST", hs.URL+"/", strings.NewReader("abcdef")))
	if resp.StatusCode != 200 || body != "abc" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	var ctxErr, readErr error
	var value any
	hs.Do(func() {
		ctxErr = kept.Context().Err()
		value = kept.Context().Value(ctxKey{})
		_, readErr = kept.Body.Read(make([]byte, 3))
	})
	if ctxErr != context.Canceled {
		t.Errorf("context after ServeHTTP: %v, want context.Canceled", ctxErr)
	}
	if value != "base" {
		t.Errorf("context value from BaseContext: %v", value)
	}
	if readErr == nil || !strings.Contains(readErr.Error(), "after ServeHTTP returned") {
		t.Errorf("body read after ServeHTTP: %v", readErr)
	}
}

type ctxKey struct{}

// TestBodyReads: Close, io.Copy (WriteTo) and partial reads.
func TestBodyReads(t *testing.T) {
	h := nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/copy":
			io.Copy(w, r.Body)
		case "/close":
			r.Body.Close()
			_, err := r.Body.Read(make([]byte, 1))
			io.WriteString(w, err.Error())
		case "/small":
			var out []byte
			buf := make([]byte, 2)
			for {
				n, err := r.Body.Read(buf)
				out = append(out, buf[:n]...)
				if err == io.EOF {
					break
				}
			}
			w.Write(out)
		}
	})
	hs := servertest.Start(t, &biplane.Server{Handler: h})
	c := servertest.NewClient(t)
	for path, want := range map[string]string{
		"/copy":  "0123456789",
		"/close": http.ErrBodyReadAfterClose.Error(),
		"/small": "0123456789",
	} {
		resp, body := servertest.RoundTrip(t, c, newRequest(t, "POST", hs.URL+path, strings.NewReader("0123456789")))
		if resp.StatusCode != 200 || body != want {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, body, want)
		}
	}
}

// TestBadTarget: a target the core accepts but net/url refuses is 400.
func TestBadTarget(t *testing.T) {
	called := false
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true })})
	c := hs.Dial(t)
	// The core accepts "[" in an authority; net/url wants a bracketed IPv6.
	c.Send("GET http://[x/ HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, body := c.Response("GET")
	if resp.StatusCode != 400 {
		t.Errorf("status %d %q, want 400", resp.StatusCode, body)
	}
	hs.Do(func() {
		if called {
			t.Error("handler called")
		}
	})
}

// TestHeaderRoundTrip: repeated request fields reach the handler as
// several values, and several values it sets leave as several fields,
// in order, through Go's client both ways.
func TestHeaderRoundTrip(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			if strings.HasPrefix(k, "X-") {
				for _, v := range vs {
					w.Header().Add("Echo-"+k, v)
				}
			}
		}
	})})
	req := newRequest(t, "GET", hs.URL+"/", nil)
	req.Header["X-A"] = []string{"1", "2", "3"}
	req.Header["X-B"] = []string{"only"}
	req.Header["X-Empty"] = []string{""}
	resp, _ := servertest.RoundTrip(t, servertest.NewClient(t), req)
	for k, want := range map[string][]string{"Echo-X-A": {"1", "2", "3"}, "Echo-X-B": {"only"}, "Echo-X-Empty": {""}} {
		if got := resp.Header[k]; !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}
