package examples_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestCacheControl: examples/files sends "no-cache" by default and what
// -cache-control says, on 200 and 304 alike, and none with ""; the
// dashboard's page is "no-cache", its JSON answer "no-store".
func TestCacheControl(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>hi</h1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	get := func(url, etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no-cache"},
		{[]string{"-cache-control", "max-age=3600"}, "max-age=3600"},
		{[]string{"-cache-control", ""}, ""},
	} {
		addr, _, _ := run(t, "files", append([]string{"-dir", dir, "-hz", "10"}, tc.args...)...)
		resp := get("http://"+addr+"/", "")
		got, etag := resp.Header.Values("Cache-Control"), resp.Header.Get("ETag")
		if resp.StatusCode != 200 || len(got) > 1 || (len(got) == 1) != (tc.want != "") || tc.want != "" && got[0] != tc.want {
			t.Errorf("files %q: %d, Cache-Control %q, want %q", tc.args, resp.StatusCode, got, tc.want)
		}
		resp = get("http://"+addr+"/", etag)
		if resp.StatusCode != 304 || resp.Header.Get("Cache-Control") != tc.want {
			t.Errorf("files %q, If-None-Match: %d, Cache-Control %q, want 304 and %q", tc.args, resp.StatusCode, resp.Header.Get("Cache-Control"), tc.want)
		}
	}

	addr, _, _ := run(t, "dashboard")
	for _, path := range []string{"/", "/app.js", "/style.css"} {
		if got := get("http://"+addr+path, "").Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("dashboard %s: Cache-Control %q, want no-cache", path, got)
		}
	}
	resp, err := client.Post("http://"+addr+"/led", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("dashboard POST /led: Cache-Control %q, want no-store", got)
	}
}
