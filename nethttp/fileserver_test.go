//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/nethttp"
)

var (
	modTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	testFS  = fstest.MapFS{
		"index.html": {Data: []byte("<h1>home</h1>\n"), ModTime: modTime},
		"a.txt":      {Data: []byte("0123456789abcdef"), ModTime: modTime},
		"dir/b.txt":  {Data: []byte("bee\n"), ModTime: modTime},
	}
	lastModified = modTime.Format(http.TimeFormat)
)

// fileCases are requests to http.FileServerFS(testFS) through the adapter.
var fileCases = []struct {
	name       string
	method     string
	path       string
	header     map[string]string
	status     int
	body       string            // exact body, unless contains is set
	contains   []string          // substrings of the body
	wantHeader map[string]string // "" means absent
	wantPrefix map[string]string
}{
	{name: "GET", method: "GET", path: "/a.txt", status: 200, body: "0123456789abcdef",
		wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8", "Content-Length": "16",
			"Last-Modified": lastModified, "Accept-Ranges": "bytes"}},
	{name: "HEAD has the GET's length and no body (RFC 9110 §9.3.2)", method: "HEAD", path: "/a.txt", status: 200,
		wantHeader: map[string]string{"Content-Length": "16", "Content-Type": "text/plain; charset=utf-8"}},
	{name: "Range: one range gets 206 (RFC 9110 §14.2, §15.3.7)", method: "GET", path: "/a.txt",
		header: map[string]string{"Range": "bytes=2-5"}, status: 206, body: "2345",
		wantHeader: map[string]string{"Content-Range": "bytes 2-5/16", "Content-Length": "4"}},
	{name: "Range: suffix", method: "GET", path: "/a.txt",
		header: map[string]string{"Range": "bytes=-3"}, status: 206, body: "def",
		wantHeader: map[string]string{"Content-Range": "bytes 13-15/16"}},
	{name: "Range: several ranges get multipart/byteranges (RFC 9110 §14.6)", method: "GET", path: "/a.txt",
		header: map[string]string{"Range": "bytes=0-1,4-5"}, status: 206,
		contains:   []string{"Content-Range: bytes 0-1/16\r\n", "\r\n\r\n01\r\n", "Content-Range: bytes 4-5/16\r\n", "\r\n\r\n45\r\n"},
		wantPrefix: map[string]string{"Content-Type": "multipart/byteranges; boundary="}},
	{name: "Range: unsatisfiable gets 416 (RFC 9110 §15.5.17)", method: "GET", path: "/a.txt",
		header: map[string]string{"Range": "bytes=20-30"}, status: 416, contains: []string{"invalid range"},
		wantHeader: map[string]string{"Content-Range": "bytes */16"}},
	{name: "If-Modified-Since: not modified gets 304 (RFC 9110 §13.1.3)", method: "GET", path: "/a.txt",
		header: map[string]string{"If-Modified-Since": lastModified}, status: 304,
		wantHeader: map[string]string{"Content-Length": "", "Content-Type": "", "Last-Modified": lastModified}},
	{name: "If-Modified-Since: modified since gets 200", method: "GET", path: "/a.txt",
		header: map[string]string{"If-Modified-Since": modTime.Add(-time.Hour).Format(http.TimeFormat)},
		status: 200, body: "0123456789abcdef"},
	{name: "If-Unmodified-Since: modified gets 412 (RFC 9110 §13.1.4)", method: "GET", path: "/a.txt",
		header: map[string]string{"If-Unmodified-Since": modTime.Add(-time.Hour).Format(http.TimeFormat)},
		status: 412},
	{name: "If-Range with the date gets the range", method: "GET", path: "/a.txt",
		header: map[string]string{"Range": "bytes=0-0", "If-Range": lastModified}, status: 206, body: "0"},
	{name: "directory without slash redirects", method: "GET", path: "/dir", status: 301,
		wantHeader: map[string]string{"Location": "dir/"}},
	{name: "directory listing", method: "GET", path: "/dir/", status: 200,
		contains: []string{`<a href="b.txt">b.txt</a>`}, wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
	{name: "index.html redirects to ./", method: "GET", path: "/index.html", status: 301,
		wantHeader: map[string]string{"Location": "./"}},
	{name: "index.html served for /", method: "GET", path: "/", status: 200, body: "<h1>home</h1>\n"},
	{name: "missing file", method: "GET", path: "/missing", status: 404, contains: []string{"404 page not found"}},
}

func TestFileServer(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.Handler(http.FileServerFS(testFS))})
	c := servertest.NewClient(t)
	for _, tc := range fileCases {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, tc.method, hs.URL+tc.path, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, body := servertest.RoundTrip(t, c, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tc.status, body)
			}
			if tc.contains == nil && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			for _, s := range tc.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body %q lacks %q", body, s)
				}
			}
			for k, v := range tc.wantPrefix {
				if got := resp.Header.Get(k); !strings.HasPrefix(got, v) {
					t.Errorf("%s: %q, want it to start with %q", k, got, v)
				}
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestFileServerRaw checks on the wire what a client library would hide:
// a HEAD or 304 response carries no body bytes, so that a request
// pipelined behind it is answered correctly.
func TestFileServerRaw(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.Handler(http.FileServerFS(testFS))})
	c := hs.Dial(t)
	c.Send("HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n" +
		"GET /a.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: " + lastModified + "\r\n\r\n" +
		"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	head := c.Head()
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "\r\nContent-Length: 16\r\n") {
		t.Errorf("HEAD: %q", head)
	}
	head = c.Head()
	if !strings.HasPrefix(head, "HTTP/1.1 304 Not Modified\r\n") || strings.Contains(head, "Content-Length") ||
		strings.Contains(head, "Content-Type") {
		t.Errorf("304: %q", head)
	}
	resp, body := c.Response("GET")
	if resp.StatusCode != 200 || body != "0123456789abcdef" {
		t.Errorf("GET after HEAD and 304: %d %q", resp.StatusCode, body)
	}
	c.ExpectEOF()
}

// TestFileServerDir serves files from a real directory, one larger than
// the write buffer, and shows that the response bound holds for whole
// files while a range within it is still served.
func TestFileServerDir(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 300<<10/16) // 300 KiB
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), []byte("small\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var mux biplane.Mux
	mux.Handle("/", nethttp.Handler(http.FileServer(http.Dir(dir))))
	mux.Handle("/bounded/", &nethttp.Adapter{
		Handler:          http.StripPrefix("/bounded", http.FileServer(http.Dir(dir))),
		MaxResponseBytes: 64 << 10,
	})
	hs := servertest.Start(t, &biplane.Server{Handler: &mux})
	c := servertest.NewClient(t)

	resp, body := servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+"/big.bin", nil))
	if resp.StatusCode != 200 || body != string(big) {
		t.Errorf("big.bin: status %d, %d bytes, want 200 and %d bytes", resp.StatusCode, len(body), len(big))
	}
	resp, body = servertest.RoundTrip(t, c, newRequest(t, "GET", hs.URL+"/bounded/small.txt", nil))
	if resp.StatusCode != 200 || body != "small\n" {
		t.Errorf("bounded small.txt: %d %q", resp.StatusCode, body)
	}
	for _, method := range []string{"GET", "HEAD"} {
		resp, body = servertest.RoundTrip(t, c, newRequest(t, method, hs.URL+"/bounded/big.bin", nil))
		if resp.StatusCode != 500 {
			t.Errorf("%s bounded big.bin: status %d, want 500 (over MaxResponseBytes); body %.100q", method, resp.StatusCode, body)
		}
	}
	req := newRequest(t, "GET", hs.URL+"/bounded/big.bin", nil)
	req.Header.Set("Range", "bytes=1000-1999")
	resp, body = servertest.RoundTrip(t, c, req)
	if resp.StatusCode != 206 || body != string(big[1000:2000]) {
		t.Errorf("range of bounded big.bin: status %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestFileServerCurl(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: nethttp.Handler(http.FileServerFS(testFS))})
	cases := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"GET", []string{"-i", hs.URL + "/a.txt"},
			[]string{"HTTP/1.1 200 OK\r\n", "Content-Length: 16\r\n", "\r\n\r\n0123456789abcdef"}, nil},
		{"HEAD", []string{"-I", hs.URL + "/a.txt"},
			[]string{"HTTP/1.1 200 OK\r\n", "Content-Length: 16\r\n", "Last-Modified: " + lastModified}, []string{"0123"}},
		{"range", []string{"-i", "--range", "3-6", hs.URL + "/a.txt"},
			[]string{"HTTP/1.1 206 Partial Content\r\n", "Content-Range: bytes 3-6/16\r\n", "\r\n\r\n3456"}, nil},
		{"If-Modified-Since", []string{"-i", "-z", lastModified, hs.URL + "/a.txt"},
			[]string{"HTTP/1.1 304 Not Modified\r\n"}, []string{"0123"}},
		{"redirect followed", []string{"-i", "-L", hs.URL + "/dir"},
			[]string{"HTTP/1.1 301 Moved Permanently\r\n", "Location: dir/\r\n", "HTTP/1.1 200 OK\r\n", "b.txt"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := servertest.Curl(t, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("curl output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("curl output has %q:\n%s", n, out)
				}
			}
		})
	}
}
