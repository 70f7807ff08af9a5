package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane/web"
)

// cookieCases are Cookie fields (RFC 6265 §4.2.1, §5.4) and the value
// CookieValue reads for a name.
var cookieCases = []struct {
	name   string
	fields []string
	cookie string
	value  string
	ok     bool
}{
	{"first of two", []string{"Cookie: a=1; b=2"}, "a", "1", true},
	{"second of two", []string{"Cookie: a=1; b=2"}, "b", "2", true},
	{"no space after ;", []string{"Cookie: a=1;b=2"}, "b", "2", true},
	{"spaces around pairs and =", []string{"Cookie: a = 1 ;  b\t=\t2"}, "b", "2", true},
	{"empty pairs", []string{"Cookie: a=1;;; ;b=2;"}, "b", "2", true},
	{"quoted value", []string{`Cookie: a="quoted"`}, "a", "quoted", true},
	{"empty quoted value", []string{`Cookie: a=""`}, "a", "", true},
	{"empty value", []string{"Cookie: a=; b=2"}, "a", "", true},
	{"= in the value", []string{"Cookie: a==x=; b=2"}, "a", "=x=", true},
	{"base64 value", []string{"Cookie: s=YWJj+/9=="}, "s", "YWJj+/9==", true},
	{"missing", []string{"Cookie: a=1; b=2"}, "c", "", false},
	{"no Cookie field", nil, "a", "", false},
	{"names are case-sensitive", []string{"Cookie: A=1"}, "a", "", false},
	{"prefix of a name", []string{"Cookie: ab=1"}, "a", "", false},
	{"duplicates: the first (RFC 6265 §5.4: longest path first)", []string{"Cookie: a=1; a=2"}, "a", "1", true},
	{"duplicate after an invalid one", []string{"Cookie: a=x y; a=2"}, "a", "2", true},
	{"space inside a value: skipped", []string{"Cookie: a=x y"}, "a", "", false},
	{"comma inside a value: skipped", []string{"Cookie: a=1,b=2"}, "a", "", false},
	{"backslash: skipped", []string{`Cookie: a=x\y`}, "a", "", false},
	{"lone DQUOTE: skipped", []string{`Cookie: a="`}, "a", "", false},
	{"unbalanced quote: skipped", []string{`Cookie: a="x`}, "a", "", false},
	{"DQUOTE inside: skipped", []string{`Cookie: a=x"y`}, "a", "", false},
	{"quote inside quotes: skipped", []string{`Cookie: a=""x""`}, "a", "", false},
	{"non-ASCII: skipped", []string{"Cookie: a=caf\xc3\xa9"}, "a", "", false},
	{"pair without =: a nameless cookie, skipped", []string{"Cookie: a; b=2"}, "a", "", false},
	{"pair without = before ours", []string{"Cookie: a; a=3"}, "a", "3", true},
	{"empty name asked for", []string{"Cookie: =1"}, "", "", false},
	{"name that is not a token asked for", []string{"Cookie: a b=1"}, "a b", "", false},
	{"several Cookie fields", []string{"Cookie: a=1", "Cookie: b=2"}, "b", "2", true},
	{"field name in any case", []string{"COOKIE: a=1"}, "a", "1", true},
	{"in the first field first", []string{"Cookie: a=1", "Cookie: a=2"}, "a", "1", true},
}

func TestCookieValue(t *testing.T) {
	for _, tc := range cookieCases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, head(tc.fields...))
			value, ok := web.CookieValue(r, tc.cookie)
			if value != tc.value || ok != tc.ok {
				t.Errorf("CookieValue(%q) = %q, %v; want %q, %v", tc.cookie, value, ok, tc.value, tc.ok)
			}
		})
	}
}

// TestCookieValueAllocs: parsing allocates nothing; only a non-empty value
// costs its string. (TinyGo's AllocsPerRun counts nothing: hence "at most".)
func TestCookieValueAllocs(t *testing.T) {
	r := mustParse(t, head("Accept: */*", "Cookie: theme=dark; empty=; session=0123456789abcdef"))
	for _, tc := range []struct {
		name   string
		allocs float64
	}{{"empty", 0}, {"missing", 0}, {"session", 1}} {
		got := testing.AllocsPerRun(100, func() { web.CookieValue(r, tc.name) })
		if got > tc.allocs {
			t.Errorf("CookieValue(%q): %v allocations, want at most %v", tc.name, got, tc.allocs)
		}
	}
}

var (
	when = time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
)

func TestSetCookie(t *testing.T) {
	cases := []struct {
		name string
		c    web.Cookie
		want string // the field's value, or the error's text
		err  bool
	}{
		{"name and value", web.Cookie{Name: "a", Value: "1"}, "a=1", false},
		{"empty value", web.Cookie{Name: "a"}, "a=", false},
		{"quoted value kept", web.Cookie{Name: "a", Value: `"x"`}, `a="x"`, false},
		{"all attributes", web.Cookie{Name: "session", Value: "abc", Path: "/", Domain: "example.com",
			Expires: when, MaxAge: 3600, Secure: true, HttpOnly: true, SameSite: web.SameSiteStrict},
			"session=abc; Path=/; Domain=example.com; Expires=Wed, 02 Jan 2030 02:04:05 GMT; Max-Age=3600; HttpOnly; Secure; SameSite=Strict", false},
		{"leading dot of the domain dropped (RFC 6265 §5.2.3)", web.Cookie{Name: "a", Value: "1", Domain: ".Example.com"},
			"a=1; Domain=Example.com", false},
		{"delete: Max-Age=0", web.Cookie{Name: "a", MaxAge: -1}, "a=; Max-Age=0", false},
		{"SameSite=Lax", web.Cookie{Name: "a", Value: "1", SameSite: web.SameSiteLax}, "a=1; SameSite=Lax", false},
		{"SameSite=None with Secure", web.Cookie{Name: "a", Value: "1", SameSite: web.SameSiteNone, Secure: true},
			"a=1; Secure; SameSite=None", false},
		{"__Host- done right", web.Cookie{Name: "__Host-id", Value: "1", Path: "/", Secure: true},
			"__Host-id=1; Path=/; Secure", false},
		{"__Secure- done right", web.Cookie{Name: "__Secure-id", Value: "1", Secure: true, Domain: "a.example"},
			"__Secure-id=1; Domain=a.example; Secure", false},
		{"year 1601", web.Cookie{Name: "a", Expires: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)},
			"a=; Expires=Mon, 01 Jan 1601 00:00:00 GMT", false},
		{"empty name", web.Cookie{Value: "1"}, `web: cookie name "" is not a token`, true},
		{"name with a space", web.Cookie{Name: "a b", Value: "1"}, `web: cookie name "a b" is not a token`, true},
		{"name with =", web.Cookie{Name: "a=b"}, "not a token", true},
		{"name with ;", web.Cookie{Name: "a;b"}, "not a token", true},
		{"value with a space", web.Cookie{Name: "a", Value: "x y"}, `web: cookie a: value "x y" holds a byte other than a cookie-octet`, true},
		{"value with a comma", web.Cookie{Name: "a", Value: "x,y"}, "cookie-octet", true},
		{"value with ;", web.Cookie{Name: "a", Value: "x;y"}, "cookie-octet", true},
		{"value with a backslash", web.Cookie{Name: "a", Value: `x\y`}, "cookie-octet", true},
		{"value with an inner quote", web.Cookie{Name: "a", Value: `x"y`}, "cookie-octet", true},
		{"value with a lone quote", web.Cookie{Name: "a", Value: `"`}, "cookie-octet", true},
		{"value with CR LF", web.Cookie{Name: "a", Value: "x\r\nSet-Cookie: b=2"}, "cookie-octet", true},
		{"non-ASCII value", web.Cookie{Name: "a", Value: "café"}, "cookie-octet", true},
		{"too large", web.Cookie{Name: "a", Value: strings.Repeat("x", 4096)}, "over 4096 bytes", true},
		{"path without /", web.Cookie{Name: "a", Path: "x"}, "does not start with /", true},
		{"path with ;", web.Cookie{Name: "a", Path: "/x;Domain=evil"}, "holds a control character, a non-ASCII byte or ;", true},
		{"path with a control", web.Cookie{Name: "a", Path: "/x\n"}, "holds a control character", true},
		{"domain with a space", web.Cookie{Name: "a", Domain: "a b"}, `domain "a b" is not a host name`, true},
		{"domain with ;", web.Cookie{Name: "a", Domain: "a;b"}, "is not a host name", true},
		{"domain with an empty label", web.Cookie{Name: "a", Domain: "a..b"}, "is not a host name", true},
		{"domain label starting with -", web.Cookie{Name: "a", Domain: "-a.b"}, "is not a host name", true},
		{"domain label of 64 bytes", web.Cookie{Name: "a", Domain: strings.Repeat("x", 64) + ".com"}, "is not a host name", true},
		{"Expires before 1601", web.Cookie{Name: "a", Expires: time.Date(1600, 12, 31, 0, 0, 0, 0, time.UTC)}, "before 1601", true},
		{"SameSite=None without Secure", web.Cookie{Name: "a", SameSite: web.SameSiteNone}, "SameSite=None without Secure", true},
		{"unknown SameSite", web.Cookie{Name: "a", SameSite: 9}, "unknown SameSite value 9", true},
		{"__Secure- without Secure (RFC 6265bis §4.1.3.1)", web.Cookie{Name: "__Secure-id"}, "needs Secure", true},
		{"__secure- in lower case too", web.Cookie{Name: "__secure-id"}, "needs Secure", true},
		{"__Host- with a Domain (RFC 6265bis §4.1.3.2)", web.Cookie{Name: "__Host-id", Secure: true, Path: "/", Domain: "a.example"},
			"needs Secure, Path=/ and no Domain", true},
		{"__Host- without Path=/", web.Cookie{Name: "__Host-id", Secure: true}, "needs Secure, Path=/ and no Domain", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := web.SetCookie(tc.c)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one with %q", err, tc.want)
				}
				if f.Name != "" || f.Value != "" {
					t.Errorf("field %v returned with the error", f)
				}
				return
			}
			if err != nil || f.Name != "Set-Cookie" || f.Value != tc.want {
				t.Errorf("got %q: %q, %v; want Set-Cookie: %q", f.Name, f.Value, err, tc.want)
			}
		})
	}
}

// TestSetCookieRoundTrip: what SetCookie sets, CookieValue reads back from
// the Cookie field a user agent would send (RFC 6265 §5.4).
func TestSetCookieRoundTrip(t *testing.T) {
	for _, v := range []string{"", "1", "YWJj+/9==", "!#$%&'()*+-./:<=>?@[]^_`{|}~", `"quoted"`} {
		f, err := web.SetCookie(web.Cookie{Name: "k", Value: v, Path: "/"})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		pair, _, _ := strings.Cut(f.Value, "; ")
		got, ok := web.CookieValue(mustParse(t, head("Cookie: x=y; "+pair)), "k")
		if want := strings.Trim(v, `"`); !ok || got != want {
			t.Errorf("%q: read back %q, %v; want %q", v, got, ok, want)
		}
	}
}
