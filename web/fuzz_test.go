package web

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// refCookie is a second, plainer reading of RFC 6265 §4.2.1 for
// FuzzCookie to compare against.
func refCookie(field, name string) (string, bool) {
	for _, pair := range strings.Split(field, ";") {
		n, v, ok := strings.Cut(pair, "=")
		if !ok || strings.Trim(n, " \t") != name {
			continue
		}
		v = strings.Trim(v, " \t")
		if len(v) >= 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
			v = v[1 : len(v)-1]
		}
		if !strings.ContainsFunc(v, func(r rune) bool {
			return r < 0x21 || r > 0x7e || strings.ContainsRune("\",;\\", r)
		}) {
			return v, true
		}
	}
	return "", false
}

// FuzzCookie: the Cookie parser never panics, returns only cookie-octets
// from within the field, agrees with refCookie, and reads the same through
// a whole request head as alone.
func FuzzCookie(f *testing.F) {
	for _, s := range []string{
		"a=1; b=2", "a=1;b=2", `a="x"; b=""`, "a; b=2", "=; ;;", "a=x y; a=2", `a="`, "a==b",
		"a=caf\xc3\xa9", "  a\t=\t1  ", "a=1,b=2", `a=\"x\"`, "\x00=\x00",
	} {
		f.Add(s, "a")
	}
	f.Add("b=2", "b")
	f.Add("a b=1", "a b")
	f.Fuzz(func(t *testing.T, field, name string) {
		got, ok := cookieValue([]byte(field), name)
		want, wantOK := refCookie(field, name)
		if ok != wantOK || string(got) != want {
			t.Fatalf("cookieValue(%q, %q) = %q, %v; reference %q, %v", field, name, got, ok, want, wantOK)
		}
		if ok && (!validCookieOctets(got) || !strings.Contains(field, string(got))) {
			t.Fatalf("cookieValue(%q, %q) = %q: not cookie-octets from the field", field, name, got)
		}
		var p biplane.Parser
		n, err := p.Parse([]byte("GET / HTTP/1.1\r\nHost: h\r\nCookie: " + field + "\r\n\r\n"))
		if err != nil || n == 0 {
			return // a field the core refuses never reaches a handler
		}
		v, ok := CookieValue(p.Request(), name)
		want, wantOK = refCookie(strings.Trim(field, " \t"), name)
		if !ascii.IsToken(name) {
			want, wantOK = "", false
		}
		if v != want || ok != wantOK {
			t.Fatalf("CookieValue(%q, %q) = %q, %v; want %q, %v", field, name, v, ok, want, wantOK)
		}
	})
}

// FuzzAuthorization: the Authorization parsers never panic, Basic
// credentials read back as what they encode, and BasicAuth and BearerAuth
// let a request through exactly when a plain reading of RFC 7617 and RFC
// 6750 says so, answering the rest 400 or 401 with a challenge.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{
		"Basic dTpw", "basic dTpw", "Basic  dTpw", "Basic\tdTpw", "Basic", "Basic dQ==", "Basic =", "Basic dTpw ",
		"Bearer good", "bearer good", "BEARER   good", "Bearer", "Bearer go od", "Bearer good=", "Bearer a=b",
		"Digest realm=\"x\"", "", " ", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p:q")),
	} {
		f.Add(s)
	}
	ok := biplane.HandlerFunc(func(*biplane.Request) biplane.Response { return biplane.Response{Status: 200} })
	basic := BasicAuth("r", CheckUser("u", "p"), ok)
	bearer := BearerAuth(CheckToken("good"), ok)
	f.Fuzz(func(t *testing.T, v string) {
		scheme, rest, parsed := parseAuthorization([]byte(v))
		if parsed && (!ascii.IsToken(scheme) || !strings.HasPrefix(v, string(scheme)) || !strings.HasSuffix(v, string(rest))) {
			t.Fatalf("parseAuthorization(%q) = %q, %q", v, scheme, rest)
		}
		if user, pass, ok := parseBasic([]byte(v)); ok {
			if strings.Contains(user, ":") || !parsed || !strings.EqualFold(string(scheme), "basic") || !isToken68(rest) {
				t.Fatalf("parseBasic(%q) = %q, %q", v, user, pass)
			}
			dec, err := base64.StdEncoding.DecodeString(string(rest))
			if err != nil || !bytes.Equal(dec, []byte(user+":"+pass)) {
				t.Fatalf("parseBasic(%q) = %q, %q; base64 says %q, %v", v, user, pass, dec, err)
			}
		}

		var p biplane.Parser
		n, err := p.Parse([]byte("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: " + v + "\r\n\r\n"))
		if err != nil || n == 0 {
			return
		}
		r := p.Request()
		trimmed := strings.Trim(v, " \t")
		s, cred, sp := strings.Cut(trimmed, " ")
		cred = strings.TrimLeft(cred, " ")

		dec, err := base64.StdEncoding.DecodeString(cred)
		wantBasic := sp && strings.EqualFold(s, "basic") && err == nil && isToken68([]byte(cred)) && string(dec) == "u:p"
		resp := basic.Respond(r)
		if (resp.Status == 200) != wantBasic || resp.Status != 200 && (resp.Status != 401 || len(resp.Header) != 1) {
			t.Fatalf("BasicAuth on %q: %d %v, want through=%v", v, resp.Status, resp.Header, wantBasic)
		}

		wantBearer := sp && strings.EqualFold(s, "bearer") && cred == "good"
		resp = bearer.Respond(r)
		if (resp.Status == 200) != wantBearer || resp.Status != 200 && (resp.Status != 400 && resp.Status != 401 || len(resp.Header) != 1) {
			t.Fatalf("BearerAuth on %q: %d %v, want through=%v", v, resp.Status, resp.Header, wantBearer)
		}
		if tok, ok := BearerToken(r); ok != (sp && strings.EqualFold(s, "bearer") && isToken68([]byte(cred))) || ok && tok != cred {
			t.Fatalf("BearerToken on %q: %q, %v", v, tok, ok)
		}
	})
}
