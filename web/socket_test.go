//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/web"
)

// app is a small site built from the helpers.
func app() *biplane.Mux {
	var mux biplane.Mux
	mux.HandleFunc("POST /form", func(r *biplane.Request) biplane.Response {
		v, err := web.ParseForm(r, 1024)
		if err != nil {
			return web.ErrorResponse(err)
		}
		return web.JSON(200, v)
	})
	mux.HandleFunc("POST /items", func(r *biplane.Request) biplane.Response {
		var it item
		if err := (web.JSONDecoder{DisallowUnknownFields: true}).Decode(r, &it); err != nil {
			return web.ErrorResponse(err)
		}
		it.N++
		return web.JSON(201, it)
	})
	mux.HandleFunc("GET /old", func(r *biplane.Request) biplane.Response {
		return web.Redirect(301, "/new?from=old")
	})
	mux.HandleFunc("POST /submit", func(r *biplane.Request) biplane.Response {
		return web.Redirect(303, "/new?from=submit")
	})
	mux.HandleFunc("GET /new", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: []byte("new from " + r.Query().Get("from"))}
	})
	mux.Handle("GET /private", web.BasicAuth("private", web.CheckUser("alice", "s3cret:x"),
		biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			user, _, _ := web.BasicCredentials(r)
			return biplane.Response{Body: []byte("hello " + user)}
		})))
	mux.Handle("GET /api", web.BearerAuth(web.CheckToken("tok-123"),
		biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return web.JSON(200, map[string]string{"ok": "yes"})
		})))
	mux.HandleFunc("POST /login", func(r *biplane.Request) biplane.Response {
		session, err := web.SetCookie(web.Cookie{Name: "session", Value: "abc123", Path: "/",
			HttpOnly: true, SameSite: web.SameSiteLax, MaxAge: 3600})
		if err != nil {
			return web.ErrorResponse(err)
		}
		theme, _ := web.SetCookie(web.Cookie{Name: "theme", Value: `"dark"`, Path: "/"})
		resp := web.Redirect(303, "/whoami")
		resp.Header = append(resp.Header, session, theme)
		return resp
	})
	mux.HandleFunc("POST /logout", func(r *biplane.Request) biplane.Response {
		gone, _ := web.SetCookie(web.Cookie{Name: "session", Path: "/", MaxAge: -1})
		return biplane.Response{Status: 204, Header: []biplane.Field{gone}}
	})
	mux.HandleFunc("GET /whoami", func(r *biplane.Request) biplane.Response {
		s, ok := web.CookieValue(r, "session")
		if !ok {
			return biplane.Response{Status: 401, Body: []byte("nobody\n")}
		}
		theme, _ := web.CookieValue(r, "theme")
		return biplane.Response{Body: []byte("session " + s + ", theme " + theme)}
	})
	return &mux
}

func newReq(t *testing.T, method, url, ct, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req
}

// TestOverSockets drives the helpers with Go's net/http client: a form
// POST, JSON, followed redirects, Basic and Bearer authentication, and
// cookies kept in a cookie jar.
func TestOverSockets(t *testing.T) {
	base := servertest.Start(t, &biplane.Server{Handler: app()}).URL
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}

	t.Run("form POST", func(t *testing.T) {
		resp, err := c.PostForm(base+"/form?q=1", url.Values{"name": {"Zoë & co"}, "n": {"1", "2"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got url.Values
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := url.Values{"name": {"Zoë & co"}, "n": {"1", "2"}, "q": {"1"}}
		if resp.StatusCode != 200 || got.Encode() != want.Encode() {
			t.Errorf("got %d %v, want %v", resp.StatusCode, got, want)
		}
		resp2, body := servertest.RoundTrip(t, c, newReq(t, "POST", base+"/form", "text/plain", "a=1"))
		if resp2.StatusCode != 415 || !strings.Contains(body, "not application/x-www-form-urlencoded") {
			t.Errorf("text/plain: %d %q", resp2.StatusCode, body)
		}
		resp2, _ = servertest.RoundTrip(t, c, newReq(t, "POST", base+"/form", "application/x-www-form-urlencoded", strings.Repeat("a", 1025)))
		if resp2.StatusCode != 413 {
			t.Errorf("over the bound: %d", resp2.StatusCode)
		}
	})

	t.Run("JSON POST", func(t *testing.T) {
		resp, body := servertest.RoundTrip(t, c, newReq(t, "POST", base+"/items", "application/json", `{"name":"gear","n":41}`))
		if resp.StatusCode != 201 || resp.Header.Get("Content-Type") != "application/json" ||
			body != "{\"name\":\"gear\",\"n\":42}\n" {
			t.Errorf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		for _, tc := range []struct {
			ct, body string
			status   int
		}{
			{"application/json", `{"name":"gear","extra":1}`, 400},
			{"application/json", `{"name":`, 400},
			{"text/plain", `{}`, 415},
		} {
			resp, body := servertest.RoundTrip(t, c, newReq(t, "POST", base+"/items", tc.ct, tc.body))
			if resp.StatusCode != tc.status {
				t.Errorf("%s %q: %d %q, want %d", tc.ct, tc.body, resp.StatusCode, body, tc.status)
			}
		}
	})

	t.Run("redirects followed", func(t *testing.T) {
		resp, body := servertest.RoundTrip(t, c, newReq(t, "GET", base+"/old", "", ""))
		if resp.StatusCode != 200 || body != "new from old" || resp.Request.URL.Path != "/new" {
			t.Errorf("301: ended at %s with %d %q", resp.Request.URL, resp.StatusCode, body)
		}
		resp, body = servertest.RoundTrip(t, c, newReq(t, "POST", base+"/submit", "text/plain", "x"))
		if resp.StatusCode != 200 || body != "new from submit" || resp.Request.Method != "GET" {
			t.Errorf("303 after POST: ended with %s %s, %d %q", resp.Request.Method, resp.Request.URL, resp.StatusCode, body)
		}
	})

	t.Run("Basic auth: 401, then 200", func(t *testing.T) {
		req := newReq(t, "GET", base+"/private", "", "")
		resp, _ := servertest.RoundTrip(t, c, req)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="private", charset="UTF-8"` {
			t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		req = newReq(t, "GET", base+"/private", "", "")
		req.SetBasicAuth("alice", "wrong")
		if resp, _ = servertest.RoundTrip(t, c, req); resp.StatusCode != 401 {
			t.Errorf("wrong password: %d", resp.StatusCode)
		}
		req = newReq(t, "GET", base+"/private", "", "")
		req.SetBasicAuth("alice", "s3cret:x")
		resp, body := servertest.RoundTrip(t, c, req)
		if resp.StatusCode != 200 || body != "hello alice" {
			t.Errorf("right password: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("Bearer auth", func(t *testing.T) {
		for _, tc := range []struct {
			auth, challenge string
			status          int
		}{
			{"", "Bearer", 401},
			{"Bearer nope", `Bearer error="invalid_token"`, 401},
			{"Bearer", `Bearer error="invalid_request"`, 400},
			{"Bearer tok-123", "", 200},
		} {
			req := newReq(t, "GET", base+"/api", "", "")
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, _ := servertest.RoundTrip(t, c, req)
			if resp.StatusCode != tc.status || resp.Header.Get("WWW-Authenticate") != tc.challenge {
				t.Errorf("%q: %d %q", tc.auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
	})

	t.Run("cookies set, then sent back from the jar", func(t *testing.T) {
		resp, body := servertest.RoundTrip(t, c, newReq(t, "GET", base+"/whoami", "", ""))
		if resp.StatusCode != 401 {
			t.Errorf("before login: %d %q", resp.StatusCode, body)
		}
		resp, body = servertest.RoundTrip(t, c, newReq(t, "POST", base+"/login", "", ""))
		if resp.StatusCode != 200 || body != "session abc123, theme dark" {
			t.Errorf("after login: %d %q", resp.StatusCode, body)
		}
		u, _ := url.Parse(base)
		got := map[string]string{}
		for _, ck := range jar.Cookies(u) {
			got[ck.Name] = ck.Value
		}
		if got["session"] != "abc123" || got["theme"] != "dark" || len(got) != 2 {
			t.Errorf("jar holds %v", got)
		}
		// net/http's parser reads the attributes back.
		resp, _ = servertest.RoundTrip(t, servertest.NewClient(t), newReq(t, "POST", base+"/login", "", ""))
		cks := resp.Cookies()
		if len(cks) != 2 || cks[0].Name != "session" || !cks[0].HttpOnly || cks[0].MaxAge != 3600 ||
			cks[0].SameSite != http.SameSiteLaxMode || cks[0].Path != "/" || !cks[1].Quoted {
			t.Errorf("Set-Cookie read by net/http: %+v", cks)
		}
		resp, _ = servertest.RoundTrip(t, c, newReq(t, "POST", base+"/logout", "", ""))
		if resp.StatusCode != 204 {
			t.Errorf("logout: %d", resp.StatusCode)
		}
		resp, _ = servertest.RoundTrip(t, c, newReq(t, "GET", base+"/whoami", "", ""))
		if resp.StatusCode != 401 {
			t.Errorf("after logout: %d, want 401 (Max-Age=0 deleted the cookie)", resp.StatusCode)
		}
	})
}

// TestCurlBasicAuth: curl's -u sends the credentials this reads (skipped
// where curl is not installed).
func TestCurlBasicAuth(t *testing.T) {
	base := servertest.Start(t, &biplane.Server{Handler: app()}).URL
	for _, tc := range []struct {
		user, want string
	}{
		{"alice:s3cret:x", "200 hello alice"},
		{"alice:nope", "401 401 Unauthorized\n"},
	} {
		out := servertest.Curl(t, "-u", tc.user, "-w", "%{http_code}", "-o", "/dev/stdout", base+"/private")
		// curl writes the body, then the code: reorder for the comparison.
		got := out[len(out)-3:] + " " + out[:len(out)-3]
		if got != tc.want {
			t.Errorf("curl -u %q: %q, want %q", tc.user, got, tc.want)
		}
	}
}
