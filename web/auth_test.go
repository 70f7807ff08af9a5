package web_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// basicCases are Authorization fields and what BasicCredentials reads
// from them (RFC 7617 §2, RFC 9110 §11.4).
var basicCases = []struct {
	name       string
	fields     []string
	user, pass string
	ok         bool
}{
	{"plain", []string{"Authorization: Basic " + b64("alice:secret")}, "alice", "secret", true},
	{"scheme in lower case (RFC 9110 §11.1)", []string{"Authorization: basic " + b64("alice:secret")}, "alice", "secret", true},
	{"scheme in upper case", []string{"Authorization: BASIC " + b64("alice:secret")}, "alice", "secret", true},
	{"scheme in mixed case", []string{"Authorization: bAsIc " + b64("alice:secret")}, "alice", "secret", true},
	{"several spaces (1*SP)", []string{"Authorization: Basic   " + b64("a:b")}, "a", "b", true},
	{"field name in any case", []string{"AUTHORIZATION: Basic " + b64("a:b")}, "a", "b", true},
	{"colons in the password", []string{"Authorization: Basic " + b64("a:b:c:")}, "a", "b:c:", true},
	{"empty user", []string{"Authorization: Basic " + b64(":pw")}, "", "pw", true},
	{"empty password", []string{"Authorization: Basic " + b64("u:")}, "u", "", true},
	{"UTF-8 (RFC 7617 §2.1)", []string{"Authorization: Basic " + b64("jürgen:pässword")}, "jürgen", "pässword", true},
	{"long credentials", []string{"Authorization: Basic " + b64("u:"+strings.Repeat("p", 500))}, "u", strings.Repeat("p", 500), true},
	{"no field", nil, "", "", false},
	{"missing colon", []string{"Authorization: Basic " + b64("alice")}, "", "", false},
	{"scheme only", []string{"Authorization: Basic"}, "", "", false},
	{"tab instead of space", []string{"Authorization: Basic\t" + b64("a:b")}, "", "", false},
	{"no separator", []string{"Authorization: Basic" + b64("a:b")}, "", "", false},
	{"other scheme", []string{"Authorization: Bearer " + b64("a:b")}, "", "", false},
	{"scheme prefix only", []string{"Authorization: Basicx " + b64("a:b")}, "", "", false},
	{"padding missing", []string{"Authorization: Basic " + strings.TrimRight(b64("a:bc"), "=")}, "", "", false},
	{"not base64", []string{"Authorization: Basic !!!!"}, "", "", false},
	{"base64 with a space inside", []string{"Authorization: Basic YTpi YTpi"}, "", "", false},
	{"padding first", []string{"Authorization: Basic =YTpi"}, "", "", false},
	{"URL-safe alphabet", []string{"Authorization: Basic " + base64.URLEncoding.EncodeToString([]byte("a:\xfb\xff"))}, "", "", false},
	{"auth-params instead of token68", []string{`Authorization: Basic realm="x"`}, "", "", false},
	{"two fields", []string{"Authorization: Basic " + b64("a:b"), "Authorization: Basic " + b64("c:d")}, "", "", false},
}

func TestBasicCredentials(t *testing.T) {
	for _, tc := range basicCases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, head(tc.fields...))
			user, pass, ok := web.BasicCredentials(r)
			if user != tc.user || pass != tc.pass || ok != tc.ok {
				t.Errorf("got %q, %q, %v; want %q, %q, %v", user, pass, ok, tc.user, tc.pass, tc.ok)
			}
		})
	}
}

func TestBasicAuth(t *testing.T) {
	next := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		user, _, _ := web.BasicCredentials(r)
		return biplane.Response{Body: []byte("hello " + user)}
	})
	h := web.BasicAuth(`Admin "area" \ 1`, web.CheckUser("alice", "secret"), next)
	const challenge = `Basic realm="Admin \"area\" \\ 1", charset="UTF-8"`
	cases := []struct {
		name   string
		fields []string
		status int
		body   string
	}{
		{"accepted", []string{"Authorization: Basic " + b64("alice:secret")}, 200, "hello alice"},
		{"case of the scheme", []string{"Authorization: BASIC " + b64("alice:secret")}, 200, "hello alice"},
		{"missing", nil, 401, "401 Unauthorized\n"},
		{"wrong password", []string{"Authorization: Basic " + b64("alice:secreT")}, 401, "401 Unauthorized\n"},
		{"password prefix", []string{"Authorization: Basic " + b64("alice:secre")}, 401, "401 Unauthorized\n"},
		{"wrong user", []string{"Authorization: Basic " + b64("bob:secret")}, 401, "401 Unauthorized\n"},
		{"malformed", []string{"Authorization: Basic %%%"}, 401, "401 Unauthorized\n"},
		{"Bearer", []string{"Authorization: Bearer " + b64("alice:secret")}, 401, "401 Unauthorized\n"},
		{"duplicate", []string{"Authorization: Basic " + b64("alice:secret"), "Authorization: Basic " + b64("alice:secret")},
			401, "401 Unauthorized\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.Respond(mustParse(t, head(tc.fields...)))
			if resp.Status != 0 && resp.Status != tc.status || resp.Status == 0 && tc.status != 200 || string(resp.Body) != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.Status, resp.Body, tc.status, tc.body)
			}
			var got string
			for _, f := range resp.Header {
				if f.Name == "WWW-Authenticate" {
					got = f.Value
				}
			}
			if tc.status == 401 && got != challenge || tc.status == 200 && got != "" {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
	}
}

func TestBearerAuth(t *testing.T) {
	var seen string
	next := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		seen, _ = web.BearerToken(r)
		return biplane.Response{Body: []byte("ok")}
	})
	const token = "mF_9.B5f-4.1JqM~+/=="
	h := web.BearerAuth(web.CheckToken(token), next)
	cases := []struct {
		name      string
		fields    []string
		status    int
		challenge string
	}{
		{"accepted (RFC 6750 §2.1)", []string{"Authorization: Bearer " + token}, 200, ""},
		{"scheme in lower case (RFC 9110 §11.1)", []string{"Authorization: bearer " + token}, 200, ""},
		{"scheme in upper case", []string{"Authorization: BEARER " + token}, 200, ""},
		{"no credentials: no error code (RFC 6750 §3.1)", nil, 401, "Bearer"},
		{"other scheme: no error code", []string{"Authorization: Basic " + b64("a:b")}, 401, "Bearer"},
		{"rejected: invalid_token", []string{"Authorization: Bearer x" + token}, 401, `Bearer error="invalid_token"`},
		{"token prefix: invalid_token", []string{"Authorization: Bearer mF_9"}, 401, `Bearer error="invalid_token"`},
		{"no token: invalid_request", []string{"Authorization: Bearer"}, 400, `Bearer error="invalid_request"`},
		{"two tokens: invalid_request", []string{"Authorization: Bearer a b"}, 400, `Bearer error="invalid_request"`},
		{"not b64token: invalid_request", []string{"Authorization: Bearer a,b"}, 400, `Bearer error="invalid_request"`},
		{"= inside: invalid_request", []string{"Authorization: Bearer a=b"}, 400, `Bearer error="invalid_request"`},
		{"tab after the scheme: invalid_request", []string{"Authorization: Bearer\t" + token}, 400, `Bearer error="invalid_request"`},
		{"duplicate field: invalid_request", []string{"Authorization: Bearer " + token, "Authorization: Bearer " + token},
			400, `Bearer error="invalid_request"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = ""
			resp := h.Respond(mustParse(t, head(tc.fields...)))
			status := resp.Status
			if status == 0 {
				status = 200
			}
			var got string
			for _, f := range resp.Header {
				if f.Name == "WWW-Authenticate" {
					got = f.Value
				}
			}
			if status != tc.status || got != tc.challenge {
				t.Errorf("got %d %q, want %d %q", status, got, tc.status, tc.challenge)
			}
			if status == 200 && seen != token {
				t.Errorf("BearerToken %q", seen)
			}
		})
	}
}

func TestCheckUser(t *testing.T) {
	check := web.CheckUser("alice", "secret")
	for _, tc := range []struct {
		user, pass string
		want       bool
	}{
		{"alice", "secret", true},
		{"alice", "secret ", false},
		{"alice", "", false},
		{"", "secret", false},
		{"Alice", "secret", false},
		{"alicesecret", "", false},
		{"alice:secret", "", false},
	} {
		if got := check(tc.user, tc.pass); got != tc.want {
			t.Errorf("check(%q, %q) = %v", tc.user, tc.pass, got)
		}
	}
	if tok := web.CheckToken("t0k"); !tok("t0k") || tok("t0K") || tok("") || tok("t0k0") {
		t.Error("CheckToken")
	}
}
