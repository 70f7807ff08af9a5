//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/nethttp"
)

func itemsMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s (%s)", r.PathValue("id"), r.Pattern)
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Location", "/items/"+string(b))
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "file "+r.PathValue("path"))
	})
	mux.HandleFunc("GET /dir/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "dir "+r.URL.Path)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "root")
	})
	return mux
}

// TestServeMux runs an http.ServeMux with Go 1.22 patterns through the
// adapter: methods, wildcards, 405 with Allow, redirects, 404.
func TestServeMux(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.Handler(itemsMux())})
	c := servertest.NewClient(t)
	cases := []struct {
		method, path, body string
		status             int
		want               string
		header             map[string]string
	}{
		{method: "GET", path: "/items/42", status: 200, want: "item 42 (GET /items/{id})"},
		{method: "GET", path: "/items/a%2Fb", status: 200, want: "item a/b (GET /items/{id})"},
		{method: "HEAD", path: "/items/42", status: 200, want: "",
			header: map[string]string{"Content-Length": "25"}},
		{method: "POST", path: "/items", body: "7", status: 201,
			header: map[string]string{"Location": "/items/7"}},
		{method: "DELETE", path: "/items/42", status: 405, want: "Method Not Allowed\n",
			header: map[string]string{"Allow": "GET, HEAD", "Content-Type": "text/plain; charset=utf-8"}},
		{method: "GET", path: "/files/a/b/c.txt", status: 200, want: "file a/b/c.txt"},
		{method: "PUT", path: "/files/x", status: 200, want: "file x"},
		{method: "GET", path: "/dir", status: 307, want: "<a href=\"/dir/\">Temporary Redirect</a>.\n\n", header: map[string]string{"Location": "/dir/"}},
		{method: "GET", path: "/dir/x/y", status: 200, want: "dir /dir/x/y"},
		{method: "GET", path: "/", status: 200, want: "root"},
		{method: "GET", path: "/nothing", status: 404, want: "404 page not found\n"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			resp, got := servertest.RoundTrip(t, c, newRequest(t, tc.method, hs.URL+tc.path, body))
			if resp.StatusCode != tc.status || got != tc.want {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tc.status, tc.want)
			}
			for k, v := range tc.header {
				if g := resp.Header.Get(k); g != v {
					t.Errorf("%s: %q, want %q", k, g, v)
				}
			}
		})
	}
	t.Run("path cleaned and redirected", func(t *testing.T) {
		// net/http's client would not send "..": the raw connection does.
		c := hs.Dial(t)
		c.Send("GET /items/../items/7 HTTP/1.1\r\nHost: t\r\n\r\n")
		resp, _ := c.Response("GET")
		if resp.StatusCode != 307 || resp.Header.Get("Location") != "/items/7" {
			t.Errorf("got %d, Location %q; want 307 to /items/7", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// TestBiplaneMuxPathValues mounts http handlers on a biplane.Mux: the
// pattern and wildcards it matched reach r.Pattern and r.PathValue.
func TestBiplaneMuxPathValues(t *testing.T) {
	var mux biplane.Mux
	mux.Handle("GET /b/{id}/{rest...}", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", r.Pattern, r.PathValue("id"), r.PathValue("rest"))
	}))
	mux.Handle("GET /exact/{$}", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%q", r.Pattern, r.PathValue("$"))
	}))
	mux.Handle("/api/", nethttp.Handler(http.StripPrefix("/api", itemsMux())))
	hs := servertest.Start(t, &biplane.Server{Handler: &mux})
	c := servertest.NewClient(t)
	cases := []struct{ path, want string }{
		{"/b/x%20y/c/d", "GET /b/{id}/{rest...}|x y|c/d"},
		{"/b/1/", "GET /b/{id}/{rest...}|1|"},
		{"/exact/", `GET /exact/{$}|""`},
		{"/api/items/9", "item 9 (GET /items/{id})"}, // the ServeMux's own pattern wins
	}
	for _, tc := range cases {
		resp, got := servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+tc.path, nil))
		if resp.StatusCode != 200 || got != tc.want {
			t.Errorf("%s: got %d %q, want 200 %q", tc.path, resp.StatusCode, got, tc.want)
		}
	}
}

// TestMiddleware runs typical net/http middleware through the adapter.
func TestMiddleware(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			// What http.MaxBytesReader's users do.
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		w.Write(b)
	})
	addHeader := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Middleware", "yes")
			next.ServeHTTP(w, r)
		})
	}
	var mux biplane.Mux
	mux.Handle("/limited/", nethttp.Handler(http.MaxBytesHandler(echo, 10)))
	mux.Handle("/wrapped/", nethttp.Handler(addHeader(http.StripPrefix("/wrapped", http.FileServerFS(testFS)))))
	calls := 0
	mux.Handle("/counted", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		echo(w, r)
	}))
	hs := servertest.Start(t, &biplane.Server{Handler: &mux, Limits: biplane.Limits{MaxBodyBytes: 64}})
	c := servertest.NewClient(t)

	resp, got := servertest.RoundTrip(t, c, newRequest(t, "POST", hs.URL+"/limited/", strings.NewReader("0123456789")))
	if resp.StatusCode != 200 || got != "0123456789" {
		t.Errorf("MaxBytesHandler, 10 bytes: %d %q", resp.StatusCode, got)
	}
	resp, got = servertest.RoundTrip(t, c, newRequest(t, "POST", hs.URL+"/limited/", strings.NewReader("0123456789a")))
	if resp.StatusCode != 413 || !strings.Contains(got, "request body too large") {
		t.Errorf("MaxBytesHandler, 11 bytes: %d %q, want the handler's 413", resp.StatusCode, got)
	}
	resp, got = servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+"/wrapped/a.txt", nil))
	if resp.StatusCode != 200 || got != "0123456789abcdef" || resp.Header.Get("X-Middleware") != "yes" {
		t.Errorf("StripPrefix + header middleware: %d %q %v", resp.StatusCode, got, resp.Header)
	}

	// The core's MaxBodyBytes holds with the adapter mounted: 413 before
	// the handler runs (RFC 9110 §15.5.14).
	resp, got = servertest.RoundTrip(t, c, newRequest(t, "POST", hs.URL+"/counted", strings.NewReader(strings.Repeat("x", 65))))
	if resp.StatusCode != 413 {
		t.Errorf("over MaxBodyBytes: %d %q, want 413", resp.StatusCode, got)
	}
	resp, got = servertest.RoundTrip(t, c, newRequest(t, "POST", hs.URL+"/counted", strings.NewReader(strings.Repeat("x", 64))))
	if resp.StatusCode != 200 || len(got) != 64 {
		t.Errorf("at MaxBodyBytes: %d, %d bytes, want 200 and 64", resp.StatusCode, len(got))
	}
	var n int
	hs.Do(func() { n = calls })
	if n != 1 {
		t.Errorf("handler ran %d times, want 1 (not for the 413)", n)
	}
}
