package web_test

import (
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

func TestRedirect(t *testing.T) {
	cases := []struct {
		status   int
		location string
		want     string // the Location field; "" for the 500
		body     string
	}{
		{301, "/new", "/new", "<a href=\"/new\">Moved Permanently</a>.\n"},
		{302, "https://example.com/a?b=c", "https://example.com/a?b=c", "<a href=\"https://example.com/a?b=c\">Found</a>.\n"},
		{303, "done", "done", "<a href=\"done\">See Other</a>.\n"},
		{307, "/a b", "/a%20b", "<a href=\"/a%20b\">Temporary Redirect</a>.\n"},
		{308, "/café", "/caf%C3%A9", "<a href=\"/caf%C3%A9\">Permanent Redirect</a>.\n"},
		{302, `/q?x="<b>"&y`, `/q?x="<b>"&y`, "<a href=\"/q?x=&#34;&lt;b&gt;&#34;&amp;y\">Found</a>.\n"},
		{302, "", "", "<a href=\"\">Found</a>.\n"},
		{302, "/x\r\nSet-Cookie: a=b", "", "500 Internal Server Error\n"},
		{302, "/x\x00", "", "500 Internal Server Error\n"},
		{302, "/x\x7f", "", "500 Internal Server Error\n"},
		{302, "/x\ty", "", "500 Internal Server Error\n"},
	}
	for _, tc := range cases {
		resp := web.Redirect(tc.status, tc.location)
		if tc.want == "" && tc.location != "" {
			if resp.Status != 500 || len(resp.Header) != 0 || string(resp.Body) != tc.body {
				t.Errorf("Redirect(%d, %q): %d %v %q, want a 500", tc.status, tc.location, resp.Status, resp.Header, resp.Body)
			}
			continue
		}
		if resp.Status != tc.status || len(resp.Header) != 1 || resp.Header[0].Name != "Location" ||
			resp.Header[0].Value != tc.want || string(resp.Body) != tc.body || resp.ContentType != "text/html; charset=utf-8" {
			t.Errorf("Redirect(%d, %q): %d %v %q %q; want Location %q, body %q", tc.status, tc.location,
				resp.Status, resp.Header, resp.ContentType, resp.Body, tc.want, tc.body)
		}
	}
}

// TestRedirectOnTheWire: the core sends the body on GET and leaves it out
// on HEAD (RFC 9110 §9.3.2).
func TestRedirectOnTheWire(t *testing.T) {
	h := biplane.HandlerFunc(func(*biplane.Request) biplane.Response { return web.Redirect(303, "/done") })
	got := serve(h, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\nHEAD /form HTTP/1.1\r\nHost: h\r\n\r\n")
	want := "HTTP/1.1 303 See Other\nContent-Type: text/html; charset=utf-8\nContent-Length: 31\nLocation: /done\n\n" +
		"<a href=\"/done\">See Other</a>.\n" +
		"HTTP/1.1 303 See Other\nContent-Type: text/html; charset=utf-8\nContent-Length: 31\nLocation: /done\n\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
