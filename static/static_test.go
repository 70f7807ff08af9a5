//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package static_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/static"
)

// A serveCase is one request and what its response must be. Header values
// may hold {etag}, {lastmod}, {lastmod850} and {lastmodAsc}: the file's
// ETag and Last-Modified (in the three HTTP-date forms), learnt from a
// first GET of the same path. want maps field names to values; "-" means
// the field must be absent, "*" that it must be present.
type serveCase struct {
	name   string
	method string // GET if empty
	path   string
	hdr    []string // "Name: value"
	status int
	// statusNoTimes, if not zero, is the status for a site whose files
	// have no modification time (embed.FS), where date conditions are
	// ignored.
	statusNoTimes int
	// file is the site file whose bytes the body must be, [lo, hi) of
	// them if hi > 0; body is the body otherwise.
	file   string
	lo, hi int
	body   string
	want   map[string]string
	// onlyTimes: the case needs big.bin or the extras, absent from the
	// embedded site.
	onlyTimes bool
}

const (
	appJS   = "app.js"
	appSize = 11738
	gzSize  = 638
)

var serveCases = []serveCase{
	// Files, types, directories (RFC 9110 §8.3 for Content-Type).
	{name: "root index", path: "/", status: 200, file: "index.html",
		want: map[string]string{"Content-Type": "text/html; charset=utf-8", "Accept-Ranges": "bytes", "ETag": "*", "Vary": "-"}},
	{name: "index by name", path: "/index.html", status: 200, file: "index.html"},
	{name: "css", path: "/style.css", status: 200, file: "style.css",
		want: map[string]string{"Content-Type": "text/css; charset=utf-8"}},
	{name: "json no charset", path: "/data.json", status: 200, file: "data.json",
		want: map[string]string{"Content-Type": "application/json"}},
	{name: "no extension", path: "/README", status: 200, file: "README",
		want: map[string]string{"Content-Type": "application/octet-stream"}},
	{name: "subdirectory index", path: "/sub/", status: 200, file: "sub/index.html"},
	{name: "directory redirect", path: "/sub", status: 301, body: "",
		want: map[string]string{"Location": "./sub/"}},
	{name: "directory redirect keeps query", path: "/sub?x=1&y=%20", status: 301,
		want: map[string]string{"Location": "./sub/?x=1&y=%20"}},
	{name: "directory without index", path: "/nodir/", status: 404},
	{name: "directory without index redirects first", path: "/nodir", status: 301,
		want: map[string]string{"Location": "./nodir/"}},
	{name: "file in directory", path: "/nodir/x.txt", status: 200, file: "nodir/x.txt",
		want: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
	{name: "file with final slash", path: "/index.html/", status: 404},
	{name: "missing", path: "/missing.txt", status: 404},
	{name: "dotfile hidden", path: "/.secret", status: 404},
	{name: "dot directory hidden", path: "/.well-known/security.txt", status: 404},
	{name: "empty file", path: "/empty.txt", status: 200, body: "",
		want: map[string]string{"Content-Length": "0", "ETag": "*"}},
	{name: "lone gz is itself", path: "/lone.txt.gz", status: 200, file: "lone.txt.gz",
		hdr:  []string{"Accept-Encoding: gzip"},
		want: map[string]string{"Content-Type": "application/gzip", "Content-Encoding": "-", "Vary": "-"}},
	{name: "lone gz has no plain twin", path: "/lone.txt", status: 404, hdr: []string{"Accept-Encoding: gzip"}},
	{name: "percent-encoded space", path: "/with%20space.txt", status: 200, file: "with space.txt", onlyTimes: true},
	{name: "percent-encoded UTF-8", path: "/%C3%BCn%C3%AF.txt", status: 200, file: "ünï.txt", onlyTimes: true},
	{name: "big file", path: "/big.bin", status: 200, file: "big.bin", onlyTimes: true,
		want: map[string]string{"Content-Length": strconv.Itoa(bigSize)}},

	// HEAD (RFC 9110 §9.3.2): GET's header, no content.
	{name: "HEAD", method: "HEAD", path: "/" + appJS, status: 200, body: "",
		want: map[string]string{"Content-Length": strconv.Itoa(appSize), "Content-Type": "text/javascript; charset=utf-8"}},
	{name: "HEAD empty", method: "HEAD", path: "/empty.txt", status: 200, body: "",
		want: map[string]string{"Content-Length": "0"}},

	// Methods (RFC 9110 §15.5.6).
	{name: "POST", method: "POST", path: "/", status: 405, body: "405 method not allowed\n",
		want: map[string]string{"Allow": "GET, HEAD"}},
	{name: "PUT", method: "PUT", path: "/index.html", status: 405, want: map[string]string{"Allow": "GET, HEAD"}},
	{name: "DELETE", method: "DELETE", path: "/index.html", status: 405, want: map[string]string{"Allow": "GET, HEAD"}},
	{name: "OPTIONS", method: "OPTIONS", path: "/", status: 405, want: map[string]string{"Allow": "GET, HEAD"}},

	// Precompressed siblings (RFC 9110 §8.4, §12.5.3).
	{name: "gz sibling not asked for", path: "/" + appJS, status: 200, file: appJS,
		want: map[string]string{"Vary": "Accept-Encoding", "Content-Encoding": "-", "Content-Length": strconv.Itoa(appSize)}},
	{name: "gz sibling", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip, deflate, br"}, status: 200, file: appJS + ".gz",
		want: map[string]string{"Content-Encoding": "gzip", "Vary": "Accept-Encoding",
			"Content-Type": "text/javascript; charset=utf-8", "Content-Length": strconv.Itoa(gzSize)}},
	{name: "gz refused by q=0", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip;q=0, br"}, status: 200, file: appJS,
		want: map[string]string{"Content-Encoding": "-", "Vary": "Accept-Encoding"}},
	{name: "gz through star", path: "/" + appJS, hdr: []string{"Accept-Encoding: br, *;q=0.5"}, status: 200, file: appJS + ".gz",
		want: map[string]string{"Content-Encoding": "gzip"}},
	{name: "gz listed at zero beats star", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip;q=0.000, *"}, status: 200, file: appJS},
	{name: "gz on a second field line", path: "/" + appJS, hdr: []string{"Accept-Encoding: br", "Accept-Encoding: GZIP;Q=0.1"},
		status: 200, file: appJS + ".gz"},
	{name: "gz malformed qvalue", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip;q=2"}, status: 200, file: appJS},
	{name: "no gz sibling", path: "/style.css", hdr: []string{"Accept-Encoding: gzip"}, status: 200, file: "style.css",
		want: map[string]string{"Content-Encoding": "-", "Vary": "-"}},

	// Single ranges (RFC 9110 §14).
	{name: "range first bytes", path: "/" + appJS, hdr: []string{"Range: bytes=0-9"}, status: 206, file: appJS, lo: 0, hi: 10,
		want: map[string]string{"Content-Range": "bytes 0-9/11738", "Content-Length": "10", "Content-Type": "text/javascript; charset=utf-8"}},
	{name: "range open end", path: "/" + appJS, hdr: []string{"Range: bytes=11730-"}, status: 206, file: appJS, lo: 11730, hi: appSize,
		want: map[string]string{"Content-Range": "bytes 11730-11737/11738"}},
	{name: "range suffix", path: "/" + appJS, hdr: []string{"Range: bytes=-5"}, status: 206, file: appJS, lo: appSize - 5, hi: appSize,
		want: map[string]string{"Content-Range": "bytes 11733-11737/11738"}},
	{name: "range suffix longer than file", path: "/" + appJS, hdr: []string{"Range: bytes=-99999"}, status: 206, file: appJS, lo: 0, hi: appSize,
		want: map[string]string{"Content-Range": "bytes 0-11737/11738"}},
	{name: "range last-pos clamped", path: "/" + appJS, hdr: []string{"Range: bytes=100-99999999999999999999999"}, status: 206, file: appJS, lo: 100, hi: appSize,
		want: map[string]string{"Content-Range": "bytes 100-11737/11738"}},
	{name: "range one byte", path: "/" + appJS, hdr: []string{"Range: bytes=5-5"}, status: 206, file: appJS, lo: 5, hi: 6},
	{name: "range unit any case, OWS", path: "/" + appJS, hdr: []string{"Range: BYTES=1-2 ,"}, status: 206, file: appJS, lo: 1, hi: 3},
	{name: "range past end 416", path: "/" + appJS, hdr: []string{"Range: bytes=11738-"}, status: 416,
		want: map[string]string{"Content-Range": "bytes */11738"}},
	{name: "range huge first-pos 416", path: "/" + appJS, hdr: []string{"Range: bytes=99999999999999999999999-"}, status: 416,
		want: map[string]string{"Content-Range": "bytes */11738"}},
	{name: "range zero suffix 416", path: "/" + appJS, hdr: []string{"Range: bytes=-0"}, status: 416,
		want: map[string]string{"Content-Range": "bytes */11738"}},
	{name: "range invalid last before first", path: "/" + appJS, hdr: []string{"Range: bytes=5-2"}, status: 200, file: appJS,
		want: map[string]string{"Content-Range": "-"}},
	{name: "range several: whole file", path: "/" + appJS, hdr: []string{"Range: bytes=0-1,5-6"}, status: 200, file: appJS},
	{name: "range other unit", path: "/" + appJS, hdr: []string{"Range: items=0-1"}, status: 200, file: appJS},
	{name: "range malformed", path: "/" + appJS, hdr: []string{"Range: bytes=abc"}, status: 200, file: appJS},
	{name: "range malformed sign", path: "/" + appJS, hdr: []string{"Range: bytes=+1-2"}, status: 200, file: appJS},
	{name: "range empty set", path: "/" + appJS, hdr: []string{"Range: bytes="}, status: 200, file: appJS},
	{name: "range ignored on HEAD", method: "HEAD", path: "/" + appJS, hdr: []string{"Range: bytes=0-9"}, status: 200,
		want: map[string]string{"Content-Length": strconv.Itoa(appSize), "Content-Range": "-"}},
	{name: "range on empty file ignored", path: "/empty.txt", hdr: []string{"Range: bytes=0-0"}, status: 200, body: ""},
	{name: "range of gz bytes", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip", "Range: bytes=0-9"}, status: 206,
		file: appJS + ".gz", lo: 0, hi: 10,
		want: map[string]string{"Content-Range": "bytes 0-9/638", "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}},
	{name: "range big middle", path: "/big.bin", hdr: []string{"Range: bytes=1000000-2999999"}, status: 206,
		file: "big.bin", lo: 1000000, hi: 3000000, onlyTimes: true},

	// Preconditions (RFC 9110 §13), in §13.2.2's order.
	{name: "If-None-Match same", path: "/style.css", hdr: []string{"If-None-Match: {etag}"}, status: 304, body: "",
		want: map[string]string{"ETag": "{etag}", "Content-Length": "-"}},
	{name: "If-None-Match weak", path: "/style.css", hdr: []string{"If-None-Match: W/{etag}"}, status: 304},
	{name: "If-None-Match in list", path: "/style.css", hdr: []string{`If-None-Match: "x", {etag}`}, status: 304},
	{name: "If-None-Match second line", path: "/style.css", hdr: []string{`If-None-Match: "x"`, "If-None-Match: {etag}"}, status: 304},
	{name: "If-None-Match star", path: "/style.css", hdr: []string{"If-None-Match: *"}, status: 304},
	{name: "If-None-Match other", path: "/style.css", hdr: []string{`If-None-Match: "x"`}, status: 200, file: "style.css"},
	{name: "If-None-Match HEAD", method: "HEAD", path: "/style.css", hdr: []string{"If-None-Match: {etag}"}, status: 304},
	{name: "If-None-Match on gz needs gz tag", path: "/" + appJS, hdr: []string{"Accept-Encoding: gzip", "If-None-Match: {etag}"},
		status: 200, file: appJS + ".gz"},
	{name: "If-Modified-Since same", path: "/style.css", hdr: []string{"If-Modified-Since: {lastmod}"}, status: 304, statusNoTimes: 200},
	{name: "If-Modified-Since rfc850", path: "/style.css", hdr: []string{"If-Modified-Since: {lastmod850}"}, status: 304, statusNoTimes: 200},
	{name: "If-Modified-Since asctime", path: "/style.css", hdr: []string{"If-Modified-Since: {lastmodAsc}"}, status: 304, statusNoTimes: 200},
	{name: "If-Modified-Since later", path: "/style.css", hdr: []string{"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"}, status: 304, statusNoTimes: 200},
	{name: "If-Modified-Since earlier", path: "/style.css", hdr: []string{"If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"}, status: 200, file: "style.css"},
	{name: "If-Modified-Since malformed", path: "/style.css", hdr: []string{"If-Modified-Since: yesterday"}, status: 200, file: "style.css"},
	{name: "If-Modified-Since ignored with If-None-Match", path: "/style.css",
		hdr: []string{`If-None-Match: "x"`, "If-Modified-Since: {lastmod}"}, status: 200, file: "style.css"},
	{name: "If-Match other", path: "/style.css", hdr: []string{`If-Match: "x"`}, status: 412, body: "412 precondition failed\n"},
	{name: "If-Match same", path: "/style.css", hdr: []string{"If-Match: {etag}"}, status: 200, file: "style.css"},
	{name: "If-Match weak never matches", path: "/style.css", hdr: []string{"If-Match: W/{etag}"}, status: 412},
	{name: "If-Match star", path: "/style.css", hdr: []string{"If-Match: *"}, status: 200, file: "style.css"},
	{name: "If-Match before If-None-Match", path: "/style.css", hdr: []string{`If-Match: "x"`, "If-None-Match: {etag}"}, status: 412},
	{name: "If-Unmodified-Since earlier", path: "/style.css", hdr: []string{"If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"},
		status: 412, statusNoTimes: 200},
	{name: "If-Unmodified-Since same", path: "/style.css", hdr: []string{"If-Unmodified-Since: {lastmod}"}, status: 200, file: "style.css"},
	{name: "If-Unmodified-Since ignored with If-Match", path: "/style.css",
		hdr: []string{"If-Match: {etag}", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"}, status: 200, file: "style.css"},
	{name: "If-Range same tag", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-Range: {etag}"}, status: 206,
		file: "style.css", lo: 0, hi: 4},
	{name: "If-Range other tag", path: "/style.css", hdr: []string{"Range: bytes=0-3", `If-Range: "x"`}, status: 200, file: "style.css"},
	{name: "If-Range weak tag", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-Range: W/{etag}"}, status: 200, file: "style.css"},
	{name: "If-Range date", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-Range: {lastmod}"}, status: 206, statusNoTimes: 200,
		file: "style.css", lo: 0, hi: 4},
	{name: "If-Range other date", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT"}, status: 200, file: "style.css"},
	{name: "If-None-Match before Range", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-None-Match: {etag}"}, status: 304},
	{name: "If-Match then Range", path: "/style.css", hdr: []string{"Range: bytes=0-3", "If-Match: {etag}"}, status: 206, file: "style.css", lo: 0, hi: 4},
}

// TestServe runs serveCases against each site through Go's net/http client.
func TestServe(t *testing.T) {
	for _, st := range sites(t) {
		t.Run(st.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: st.fsys}})
			client := servertest.NewClient(t)
			for _, tc := range serveCases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.onlyTimes && !st.hasTimes {
						t.Skip("file not in the embedded site")
					}
					runCase(t, client, hs, st, tc)
				})
			}
		})
	}
}

// validators fetches path and returns its ETag and Last-Modified, for
// the given Accept-Encoding.
func validators(t *testing.T, client *http.Client, hs *servertest.Harness, path string) (etag, lastmod string) {
	t.Helper()
	resp, err := client.Get(hs.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
}

func runCase(t *testing.T, client *http.Client, hs *servertest.Harness, st site, tc serveCase) {
	t.Helper()
	etag, lastmod := validators(t, client, hs, strings.SplitN(tc.path, "?", 2)[0])
	vars := map[string]string{"{etag}": etag, "{lastmod}": lastmod}
	if lm, err := http.ParseTime(lastmod); err == nil {
		vars["{lastmod850}"] = lm.Format("Monday, 02-Jan-06 15:04:05 GMT")
		vars["{lastmodAsc}"] = lm.Format(time.ANSIC)
	}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	method := tc.method
	if method == "" {
		method = "GET"
	}
	req, err := http.NewRequest(method, hs.URL+tc.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range tc.hdr {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Add(name, expand(value))
	}
	resp, text := servertest.RoundTrip(t, client, req)
	body := []byte(text)
	want := tc.status
	if !st.hasTimes && tc.statusNoTimes != 0 {
		want = tc.statusNoTimes
	}
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, want, trunc(body))
	}
	switch {
	case want != tc.status:
		// Only the status is known for the other outcome.
	case tc.file != "":
		wantBody := readFile(t, st.fsys, tc.file)
		if tc.hi > 0 {
			wantBody = wantBody[tc.lo:tc.hi]
		}
		if string(body) != wantBody {
			t.Errorf("body: %d bytes %q, want %d bytes of %s", len(body), trunc(body), len(wantBody), tc.file)
		}
	case tc.body != "":
		if string(body) != tc.body {
			t.Errorf("body %q, want %q", body, tc.body)
		}
	case method == "HEAD" || want == 301 || want == 304 || want == 200:
		if len(body) != 0 {
			t.Errorf("body %q, want none", trunc(body))
		}
	}
	if method == "GET" && resp.StatusCode != 304 && resp.ContentLength != int64(len(body)) {
		t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, len(body))
	}
	if bytes.Contains(body, []byte(secret)) {
		t.Errorf("body holds the secret: %q", trunc(body))
	}
	for name, v := range tc.want {
		got, present := resp.Header[http.CanonicalHeaderKey(name)]
		if name == "Content-Length" {
			got, present = []string{strconv.FormatInt(resp.ContentLength, 10)}, resp.ContentLength >= 0
			if resp.StatusCode == 304 {
				present = resp.Header.Get("Content-Length") != ""
			}
		}
		switch v = expand(v); v {
		case "-":
			if present {
				t.Errorf("%s: %q, want none", name, got)
			}
		case "*":
			if !present || got[0] == "" {
				t.Errorf("%s missing", name)
			}
		default:
			if !present || len(got) != 1 || got[0] != v {
				t.Errorf("%s: %q, want %q", name, got, v)
			}
		}
	}
	// Every answer about a file carries its validators.
	if resp.StatusCode == 200 && tc.file != "" || resp.StatusCode == 206 || resp.StatusCode == 304 {
		if resp.Header.Get("ETag") == "" {
			t.Errorf("no ETag")
		}
		if got := resp.Header.Get("Last-Modified") != ""; got != st.hasTimes {
			t.Errorf("Last-Modified present: %v, want %v", got, st.hasTimes)
		}
	}
}

func trunc(b []byte) []byte {
	if len(b) > 80 {
		return append(b[:80:80], "..."...)
	}
	return b
}

// TestValidators checks the forms of ETag and Last-Modified (RFC 9110
// §8.8): size and time for files with one, a content hash otherwise, one
// tag per content and encoding.
func TestValidators(t *testing.T) {
	for _, st := range sites(t) {
		t.Run(st.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: st.fsys}})
			client := servertest.NewClient(t)
			tag := func(path, ae string) (string, string) {
				req, _ := http.NewRequest("GET", hs.URL+path, nil)
				if ae != "" {
					req.Header.Set("Accept-Encoding", ae)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			}
			css, lm := tag("/style.css", "")
			css2, _ := tag("/style.css", "")
			js, _ := tag("/app.js", "")
			jsgz, _ := tag("/app.js", "gzip")
			if css != css2 {
				t.Errorf("ETag changed between requests: %s, %s", css, css2)
			}
			if css == js || js == jsgz {
				t.Errorf("ETags not distinct: css %s, js %s, js.gz %s", css, js, jsgz)
			}
			if !strings.HasSuffix(jsgz, `-gz"`) {
				t.Errorf("gzip response's ETag %s does not end in -gz", jsgz)
			}
			for _, e := range []string{css, js, jsgz} {
				if len(e) < 3 || e[0] != '"' || e[len(e)-1] != '"' || strings.HasPrefix(e, "W/") {
					t.Errorf("ETag %q is not a strong entity-tag", e)
				}
			}
			if st.hasTimes {
				if want := modTime.Format(http.TimeFormat); lm != want {
					t.Errorf("Last-Modified %q, want %q", lm, want)
				}
				wantTag := fmt.Sprintf(`"%x-%x"`, 67, modTime.UnixNano())
				if css != wantTag {
					t.Errorf("ETag %s, want %s", css, wantTag)
				}
			} else if lm != "" || !strings.HasPrefix(css, `"h`) {
				t.Errorf("no modification time: Last-Modified %q and ETag %s, want none and a hash", lm, css)
			}
		})
	}
}

// TestContentHashTag: a file without a modification time whose content
// and size change gets a new ETag.
func TestContentHashTag(t *testing.T) {
	m := fstest.MapFS{"a.txt": {Data: []byte("one")}}
	srv := &static.Server{FS: m}
	hs := servertest.Start(t, &biplane.Server{Handler: srv})
	client := servertest.NewClient(t)
	get := func() string {
		resp, err := client.Get(hs.URL + "/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("ETag")
	}
	first := get()
	hs.Do(func() { m["a.txt"] = &fstest.MapFile{Data: []byte("three")} })
	second := get()
	if first == second || first == "" {
		t.Errorf("ETag %s after the content changed, was %s", second, first)
	}
}

// TestCacheControl: the field goes on 200, 206 and 304, not on errors.
func TestCacheControl(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: mapSite(t), CacheControl: "max-age=60"}})
	client := servertest.NewClient(t)
	etag, _ := validators(t, client, hs, "/style.css")
	for _, tc := range []struct {
		path, hdr string
		status    int
		want      string
	}{
		{"/style.css", "", 200, "max-age=60"},
		{"/style.css", "Range: bytes=0-1", 206, "max-age=60"},
		{"/style.css", "If-None-Match: " + etag, 304, "max-age=60"},
		{"/missing", "", 404, ""},
		{"/style.css", `If-Match: "x"`, 412, ""},
	} {
		req, _ := http.NewRequest("GET", hs.URL+tc.path, nil)
		if name, v, ok := strings.Cut(tc.hdr, ": "); ok {
			req.Header.Set(name, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Cache-Control") != tc.want {
			t.Errorf("%s %s: %d with Cache-Control %q, want %d with %q", tc.path, tc.hdr,
				resp.StatusCode, resp.Header.Get("Cache-Control"), tc.status, tc.want)
		}
	}
}

// TestOptions: Dotfiles, NoGzip, Types and a nil FS.
func TestOptions(t *testing.T) {
	site := mapSite(t)
	for _, tc := range []struct {
		name   string
		srv    *static.Server
		path   string
		ae     string
		status int
		want   map[string]string
	}{
		{"dotfiles served", &static.Server{FS: site, Dotfiles: true}, "/.well-known/security.txt", "", 200, nil},
		{"dotfile served", &static.Server{FS: site, Dotfiles: true}, "/.secret", "", 200, nil},
		{"dot segments still refused", &static.Server{FS: site, Dotfiles: true}, "/sub/./index.html", "", 400, nil},
		{"NoGzip", &static.Server{FS: site, NoGzip: true}, "/app.js", "gzip", 200,
			map[string]string{"Content-Encoding": "", "Vary": ""}},
		{"Types", &static.Server{FS: site, Types: map[string]string{"css": "text/x-test", "readme": "x"}}, "/style.css", "", 200,
			map[string]string{"Content-Type": "text/x-test"}},
		{"Types fall back to the table", &static.Server{FS: site, Types: map[string]string{"css": "text/x-test"}}, "/app.js", "", 200,
			map[string]string{"Content-Type": "text/javascript; charset=utf-8"}},
		{"nil FS", &static.Server{}, "/index.html", "", 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: tc.srv})
			client := servertest.NewClient(t)
			req, _ := http.NewRequest("GET", hs.URL+tc.path, nil)
			if tc.ae != "" {
				req.Header.Set("Accept-Encoding", tc.ae)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestPrefix mounts a Server under a Mux pattern with Prefix, as
// net/http's StripPrefix would.
func TestPrefix(t *testing.T) {
	site := mapSite(t)
	for _, prefix := range []string{"/assets", "/assets/"} {
		t.Run(prefix, func(t *testing.T) {
			var mux biplane.Mux
			mux.Handle("GET /assets/", &static.Server{FS: site, Prefix: prefix})
			mux.Handle("GET /assets", &static.Server{FS: site, Prefix: prefix})
			mux.HandleFunc("GET /{$}", func(*biplane.Request) biplane.Response {
				return biplane.Response{Body: []byte("home")}
			})
			hs := servertest.Start(t, &biplane.Server{Handler: &mux})
			client := servertest.NewClient(t)
			for _, tc := range []struct {
				method, path string
				status       int
				body, loc    string
			}{
				{"GET", "/assets/style.css", 200, readFile(t, site, "style.css"), ""},
				{"GET", "/%61ssets/style.css", 200, readFile(t, site, "style.css"), ""}, // the Mux decodes too
				{"GET", "/assets/", 200, readFile(t, site, "index.html"), ""},
				{"GET", "/assets", 301, "", "./assets/"},
				{"GET", "/assets/sub", 301, "", "./sub/"},
				{"GET", "/assets/sub/", 200, "sub index\n", ""},
				{"GET", "/", 200, "home", ""},
				{"GET", "/style.css", 404, "", ""},
				{"GET", "/assets/../style.css", 400, "", ""},
				{"POST", "/assets/style.css", 405, "", ""}, // the Mux's 405
			} {
				req, _ := http.NewRequest(tc.method, hs.URL+tc.path, nil)
				req.URL.Opaque = tc.path // sent as written, ".." and all
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || tc.body != "" && string(body) != tc.body ||
					resp.Header.Get("Location") != tc.loc {
					t.Errorf("%s %s: %d %q Location %q, want %d %q %q", tc.method, tc.path,
						resp.StatusCode, trunc(body), resp.Header.Get("Location"), tc.status, tc.body, tc.loc)
				}
			}
		})
	}
	t.Run("outside prefix without Mux", func(t *testing.T) {
		hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: site, Prefix: "/assets"}})
		for path, want := range map[string]int{"/style.css": 404, "/assetsX/style.css": 404, "/assets/style.css": 200} {
			resp, err := servertest.NewClient(t).Get(hs.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
			}
		}
	})
}

// TestRedirectFollowed: net/http's client follows the relative Location
// of a directory redirect to the directory's index.
func TestRedirectFollowed(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: mapSite(t)}})
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(hs.URL + "/sub?q=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "sub index\n" || resp.Request.URL.RequestURI() != "/sub/?q=1" {
		t.Fatalf("got %d %q at %s", resp.StatusCode, body, resp.Request.URL)
	}
}

// TestMalformedPaths sends path traversal attempts and other malformed
// paths over raw TCP, against a directory with a secret beside it and a
// dotfile in it: each is refused (by the core's parser or by Server) and
// no response holds the secret.
func TestMalformedPaths(t *testing.T) {
	root := dirSite(t)
	for _, st := range []struct {
		name string
		fsys fs.FS
	}{{"DirFS", os.DirFS(root)}, {"MapFS", mapSite(t)}} {
		t.Run(st.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: st.fsys}})
			for _, tc := range []struct {
				target string
				status int
			}{
				{"/../secret.txt", 400},
				{"/../../../../../../etc/passwd", 400},
				{"/..", 400},
				{"/../", 400},
				{"/.", 400},
				{"/./index.html", 400},
				{"/sub/../index.html", 400},
				{"/sub/../../secret.txt", 400},
				{"/%2e%2e/secret.txt", 400},
				{"/%2E%2E/secret.txt", 400},
				{"/%2e%2e/", 400},
				{"/.%2e/secret.txt", 400},
				{"/sub/%2e%2e/%2e%2e/secret.txt", 400},
				{"/a%2fb", 400},
				{"/a%2Fb", 400},
				{"/..%2fsecret.txt", 400},
				{"/%2f..%2fsecret.txt", 400},
				{"/sub%2findex.html", 400},
				{"/a%00b", 400},
				{"/index.html%00.txt", 400},
				{"/index.html%0a", 400},
				{"/index.html%7f", 400},
				{`/\..\secret.txt`, 400},
				{`/..\secret.txt`, 400},
				{"/..%5csecret.txt", 400},
				{"/%5c..%5csecret.txt", 400},
				{"//secret.txt", 400},
				{"//index.html", 400},
				{"/sub//index.html", 400},
				{"/%c0%ae%c0%ae/secret.txt", 400}, // overlong UTF-8 for ".."
				{"/%ff", 400},
				{"/.secret", 404},
				{"/%2esecret", 404},
				{"/.well-known/security.txt", 404},
				{"http://t/../secret.txt", 400},
				{"http://t/index.html", 200},
				{"*", 400},
				{"/index.html", 200},
			} {
				t.Run(tc.target, func(t *testing.T) {
					c := hs.Dial(t)
					c.Send("GET " + tc.target + " HTTP/1.1\r\nHost: t\r\n\r\n")
					resp, body := c.Response("GET")
					if resp.StatusCode != tc.status {
						t.Errorf("status %d, want %d (%q)", resp.StatusCode, tc.status, body)
					}
					if strings.Contains(body, secret) {
						t.Errorf("the secret leaked: %q", body)
					}
				})
			}
		})
	}
}

// TestRootFS: the FS of an os.Root does not follow a symbolic link out of
// its directory, where os.DirFS would; Server answers 404.
func TestRootFS(t *testing.T) {
	root := dirSite(t)
	if err := os.Symlink(filepath.Join("..", "secret.txt"), filepath.Join(root, "escape.txt")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: r.FS()}})
	client := servertest.NewClient(t)
	for path, want := range map[string]int{"/escape.txt": 404, "/style.css": 200, "/sub": 301, "/sub/": 200} {
		resp, err := client.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || strings.Contains(string(body), secret) {
			t.Errorf("%s: %d %q, want %d", path, resp.StatusCode, trunc(body), want)
		}
	}
}

// TestNotRegular: a FIFO in a DirFS is answered 404 without being opened
// (opening it would block the loop until a writer came).
func TestNotRegular(t *testing.T) {
	root := dirSite(t)
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Skip("no FIFOs:", err)
	}
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: os.DirFS(root)}})
	resp, err := servertest.NewClient(t).Get(hs.URL + "/fifo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

// TestPipelined: several requests in one write, each answered in order on
// one connection, streamed bodies included (RFC 9112 §9.3.2).
func TestPipelined(t *testing.T) {
	site := mapSite(t)
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: site}})
	c := hs.Dial(t)
	c.Send(lines("GET /style.css HTTP/1.1\nHost: t\n\n" +
		"HEAD /app.js HTTP/1.1\nHost: t\n\n" +
		"GET /app.js HTTP/1.1\nHost: t\nRange: bytes=-3\n\n" +
		"GET /big.bin HTTP/1.1\nHost: t\n\n" +
		"GET /missing HTTP/1.1\nHost: t\n\n" +
		"GET /empty.txt HTTP/1.1\nHost: t\n\n"))
	big := readFile(t, site, "big.bin")
	app := readFile(t, site, "app.js")
	for i, want := range []struct {
		method string
		status int
		body   string
	}{
		{"GET", 200, readFile(t, site, "style.css")},
		{"HEAD", 200, ""},
		{"GET", 206, app[len(app)-3:]},
		{"GET", 200, big},
		{"GET", 404, "404 page not found\n"},
		{"GET", 200, ""},
	} {
		resp, body := c.Response(want.method)
		if resp.StatusCode != want.status || body != want.body {
			t.Errorf("response %d: %d with %d bytes, want %d with %d", i, resp.StatusCode, len(body), want.status, len(want.body))
		}
	}
}

// countFS counts the files of an FS open at once.
type countFS struct {
	fs.FS
	open atomic.Int64
}

func (c *countFS) Open(name string) (fs.File, error) {
	var f fs.File = &hugeFile{}
	var err error
	if name != "huge.bin" {
		f, err = c.FS.Open(name)
	}
	if err != nil {
		return nil, err
	}
	c.open.Add(1)
	// Keep Seek and ReadAt visible, as the underlying file has them.
	return &countFile{File: f, c: c}, nil
}

type countFile struct {
	fs.File
	c      *countFS
	closed bool
}

func (f *countFile) Close() error {
	if f.closed {
		panic("file closed twice")
	}
	f.closed = true
	f.c.open.Add(-1)
	return f.File.Close()
}

func (f *countFile) Seek(off int64, whence int) (int64, error) {
	return f.File.(io.Seeker).Seek(off, whence)
}

// A hugeFile is a file of hugeSize zero bytes, larger than any socket
// buffer, whose download cannot end while a test holds it.
type hugeFile struct{ off int64 }

const hugeSize = 1 << 40

func (f *hugeFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *hugeFile) Read(p []byte) (int, error) {
	n := int(min(int64(len(p)), hugeSize-f.off))
	clear(p[:n])
	f.off += int64(n)
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
func (f *hugeFile) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart {
		return 0, fmt.Errorf("hugeFile: whence %d", whence)
	}
	f.off = off
	return off, nil
}
func (f *hugeFile) Close() error       { return nil }
func (f *hugeFile) Name() string       { return "huge.bin" }
func (f *hugeFile) Size() int64        { return hugeSize }
func (f *hugeFile) Mode() fs.FileMode  { return 0o444 }
func (f *hugeFile) ModTime() time.Time { return modTime }
func (f *hugeFile) IsDir() bool        { return false }
func (f *hugeFile) Sys() any           { return nil }

// TestFilesClosed: every file opened is closed once its response ends,
// whatever the response: sent whole, ranged, HEAD, 304, 412, 416, empty,
// a client that goes away mid-body, and a server closed mid-body.
func TestFilesClosed(t *testing.T) {
	cfs := &countFS{FS: mapSite(t)}
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: cfs}})
	client := servertest.NewClient(t)
	etag, _ := validators(t, client, hs, "/app.js")
	for _, hdr := range [][]string{
		nil,
		{"Range: bytes=0-9"},
		{"Range: bytes=999999-"},
		{"If-None-Match: " + etag},
		{`If-Match: "x"`},
		{"Accept-Encoding: gzip"},
		{"Accept-Encoding: gzip", "Range: bytes=1-2"},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			req, _ := http.NewRequest(method, hs.URL+"/app.js", nil)
			for _, h := range hdr {
				name, v, _ := strings.Cut(h, ": ")
				req.Header.Set(name, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n := cfs.open.Load(); n != 0 {
				t.Fatalf("%s %v: %d files open after the response", method, hdr, n)
			}
		}
	}
	for _, path := range []string{"/empty.txt", "/sub", "/sub/", "/nodir/", "/missing"} {
		resp, err := client.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if n := cfs.open.Load(); n != 0 {
			t.Fatalf("%s: %d files open after the response", path, n)
		}
	}

	// A client that reads a little of a big file and goes away.
	c := hs.Dial(t)
	c.Send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
	if _, err := c.Reader.Peek(1000); err != nil {
		t.Fatal(err)
	}
	c.Close()
	hs.WaitFor(t, "no open files", func() bool { return cfs.open.Load() == 0 })

	// A client that stops reading, then the server closes.
	c2 := hs.Dial(t)
	c2.Send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n")
	if _, err := c2.Reader.Peek(1000); err != nil {
		t.Fatal(err)
	}
	if n := cfs.open.Load(); n != 1 {
		t.Fatalf("%d files open during a download, want 1", n)
	}
	hs.Close()
	if n := cfs.open.Load(); n != 0 {
		t.Fatalf("%d files open after the server closed", n)
	}
}

// TestCurl: curl fetches a range, a whole big file, and a gzip file it
// decodes itself, and sends a traversal attempt as written.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	site := os.DirFS(dirSite(t))
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: site}})
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, curl, append([]string{"-sS", "--max-time", "50"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return out
	}
	dir := t.TempDir()
	app := readFile(t, site, "app.js")
	big := readFile(t, site, "big.bin")

	t.Run("range", func(t *testing.T) {
		f := filepath.Join(dir, "part")
		out := run("-r", "100-199", "-o", f, "-w", "%{http_code} %{size_download}", hs.URL+"/app.js")
		got, _ := os.ReadFile(f)
		if string(out) != "206 100" || string(got) != app[100:200] {
			t.Fatalf("curl -r 100-199: %q and %q", out, trunc(got))
		}
	})
	t.Run("download", func(t *testing.T) {
		f := filepath.Join(dir, "big")
		out := run("-o", f, "-w", "%{http_code} %{size_download}", hs.URL+"/big.bin")
		got, _ := os.ReadFile(f)
		if string(out) != fmt.Sprintf("200 %d", bigSize) || sha(got) != sha([]byte(big)) {
			t.Fatalf("curl download: %q, %d bytes", out, len(got))
		}
	})
	t.Run("resume", func(t *testing.T) {
		// curl -C - asks for the rest of a partial download with Range.
		f := filepath.Join(dir, "resumed")
		os.WriteFile(f, []byte(big[:1<<20]), 0o644)
		out := run("-C", "-", "-o", f, "-w", "%{http_code} %{size_download}", hs.URL+"/big.bin")
		got, _ := os.ReadFile(f)
		if string(out) != fmt.Sprintf("206 %d", bigSize-1<<20) || sha(got) != sha([]byte(big)) {
			t.Fatalf("curl -C -: %q, %d bytes", out, len(got))
		}
	})
	t.Run("compressed", func(t *testing.T) {
		out := run("--compressed", "-D", filepath.Join(dir, "head"), hs.URL+"/app.js")
		head, _ := os.ReadFile(filepath.Join(dir, "head"))
		if string(out) != app || !strings.Contains(strings.ToLower(string(head)), "content-encoding: gzip") {
			t.Fatalf("curl --compressed: %d bytes, head %q", len(out), head)
		}
	})
	t.Run("traversal", func(t *testing.T) {
		out := run("--path-as-is", "-w", "\n%{http_code}", hs.URL+"/../secret.txt")
		if string(out) != "400 bad request\n\n400" {
			t.Fatalf("curl --path-as-is /../secret.txt: %q", out)
		}
	})
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wrapFS hides the Seek method of its files, and with plain also ReadAt.
type wrapFS struct {
	fs.FS
	plain bool
}

type readerAtFile struct {
	fs.File
	io.ReaderAt
}

type plainFile struct{ fs.File }

func (w wrapFS) Open(name string) (fs.File, error) {
	f, err := w.FS.Open(name)
	if err != nil || w.plain {
		return plainFile{f}, err
	}
	return readerAtFile{f, f.(io.ReaderAt)}, nil
}

// TestRangeWithoutSeek: a file that is an io.ReaderAt but not an
// io.Seeker serves ranges through ReadAt; one that is neither is sent
// whole.
func TestRangeWithoutSeek(t *testing.T) {
	site := mapSite(t)
	big := readFile(t, site, "big.bin")
	for _, tc := range []struct {
		name   string
		plain  bool
		rng    string
		status int
		body   string
	}{
		{"ReaderAt", false, "bytes=1000000-2999999", 206, big[1000000:3000000]},
		{"ReaderAt to the end", false, "bytes=-70000", 206, big[len(big)-70000:]},
		{"ReaderAt one byte", false, "bytes=5-5", 206, big[5:6]},
		{"neither", true, "bytes=0-9", 200, big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: wrapFS{site, tc.plain}}})
			req, _ := http.NewRequest("GET", hs.URL+"/big.bin", nil)
			req.Header.Set("Range", tc.rng)
			resp, body := servertest.RoundTrip(t, servertest.NewClient(t), req)
			if resp.StatusCode != tc.status || body != tc.body {
				t.Fatalf("%d with %d bytes, want %d with %d", resp.StatusCode, len(body), tc.status, len(tc.body))
			}
		})
	}
}

// TestSharedByLoops: one Server serves two loops, each in its own
// goroutine, at once; its remembered content-hash ETags are shared
// (run with -race).
func TestSharedByLoops(t *testing.T) {
	site := embedSite(t)
	srv := &static.Server{FS: site}
	hss := []*servertest.Harness{servertest.Start(t, &biplane.Server{Handler: srv}), servertest.Start(t, &biplane.Server{Handler: srv})}
	client := servertest.NewClient(t)
	names := []string{"index.html", "style.css", "app.js", "sub/index.html", "README"}
	want := map[string]string{}
	for _, name := range names {
		want[name] = readFile(t, site, name)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			hs := hss[i%2]
			for j := range 20 {
				name := names[(i+j)%len(names)]
				resp, err := client.Get(hs.URL + "/" + name)
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(body) != want[name] ||
					!strings.HasPrefix(resp.Header.Get("ETag"), `"h`) {
					errs <- fmt.Errorf("%s: %d, %d bytes, ETag %s, %v", name, resp.StatusCode, len(body), resp.Header.Get("ETag"), err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
