package biplane

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// routePatterns are registered on one Mux; each handler answers with its
// pattern, so a case can say which one must win.
var routePatterns = []string{
	"/",
	"GET /{$}",
	"GET /items/{id}",
	"DELETE /items/{id}",
	"GET /items/new",
	"/static/",
	"GET /files/{path...}",
	"POST /users/{user}/posts/{post}",
	"GET /a/{x}/{y}",
	"GET /a/b/{y}",
	"PUT /only-put",
}

var routeCases = []struct {
	method, target string
	status         int
	pattern        string
	params         string // name=value pairs
	allow          string
}{
	{"GET", "/", 200, "GET /{$}", "", ""},
	{"HEAD", "/", 200, "GET /{$}", "", ""},
	{"POST", "/", 200, "/", "", ""}, // the catch-all has no method
	{"GET", "/nothing/here", 200, "/", "", ""},
	{"GET", "/items/42", 200, "GET /items/{id}", "id=42", ""},
	{"DELETE", "/items/42", 200, "DELETE /items/{id}", "id=42", ""},
	{"GET", "/items/new", 200, "GET /items/new", "", ""}, // literal beats wildcard
	{"GET", "/items/a%2Fb", 200, "GET /items/{id}", "id=a/b", ""},
	{"GET", "/item%73/7", 200, "GET /items/{id}", "id=7", ""}, // literal compared decoded
	{"GET", "/static/css/x.css", 200, "/static/", "", ""},
	{"GET", "/static/", 200, "/static/", "", ""},
	{"GET", "/files/", 200, "GET /files/{path...}", "path=", ""},
	{"GET", "/files/a/b/c.txt", 200, "GET /files/{path...}", "path=a/b/c.txt", ""},
	{"POST", "/users/ann/posts/9", 200, "POST /users/{user}/posts/{post}", "user=ann post=9", ""},
	{"GET", "/a/b/c", 200, "GET /a/b/{y}", "y=c", ""}, // it matches a subset of the other's paths
	{"GET", "/a/z/c", 200, "GET /a/{x}/{y}", "x=z y=c", ""},
	{"GET", "/only-put", 200, "/", "", ""},
}

func TestMux(t *testing.T) {
	var m Mux
	for _, p := range routePatterns {
		m.HandleFunc(p, func(r *Request) Response {
			var params []string
			for _, name := range []string{"id", "path", "user", "post", "x", "y"} {
				if v := r.PathValue(name); v != "" || (name == "path" && strings.Contains(r.Pattern(), "{path...}")) {
					params = append(params, name+"="+v)
				}
			}
			return Response{Body: []byte(r.Pattern() + "|" + strings.Join(params, " "))}
		})
	}
	for _, tc := range routeCases {
		subtest(t, tc.method+" "+tc.target, func(t *testing.T) {
			r := parseRequest(t, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: a\r\n\r\n")
			resp := m.Respond(r)
			if resp.Status != 0 && resp.Status != tc.status || resp.Status == 0 && tc.status != 200 {
				t.Fatalf("status: got %d, want %d", resp.Status, tc.status)
			}
			if want := tc.pattern + "|" + tc.params; string(resp.Body) != want {
				t.Errorf("got %q, want %q", resp.Body, want)
			}
		})
	}
}

func TestMuxNotFoundAndNotAllowed(t *testing.T) {
	var m Mux
	h := func(r *Request) Response { return Response{} }
	m.HandleFunc("GET /items/{id}", h)
	m.HandleFunc("DELETE /items/{id}", h)
	m.HandleFunc("POST /exact", h)
	for _, tc := range []struct {
		method, target string
		status         int
		allow          string
	}{
		{"GET", "/missing", 404, ""},
		{"GET", "/items/", 404, ""}, // {id} needs a non-empty segment
		{"PUT", "/items/3", 405, "DELETE, GET, HEAD"},
		{"GET", "/exact", 405, "POST"},
		{"GET", "/exact/", 404, ""},
	} {
		r := parseRequest(t, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: a\r\n\r\n")
		resp := m.Respond(r)
		if resp.Status != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, resp.Status, tc.status)
		}
		var allow string
		for _, f := range resp.Header {
			if f.Name == "Allow" {
				allow = f.Value
			}
		}
		if allow != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.target, allow, tc.allow)
		}
	}
}

// badPatterns are refused by Handle, as net/http's ServeMux refuses them,
// with a panic naming the problem.
var badPatterns = []struct{ pattern, problem string }{
	{"", "empty pattern"},
	{"items", `no path`},
	{"GET items", `no path`},
	{"GET example.com", `no path`},
	{"G(T /", `invalid method "G(T"`},
	{"GET{ /", `invalid method "GET{"`},
	{"{x}/a", `host contains "{"`},
	{"GET /re/{id:[0-9]+}", `bad wildcard name "id:[0-9]+": not a Go identifier`},
	{"/{1x}", `bad wildcard name "1x"`},
	{"/{a-b}", `bad wildcard name "a-b"`},
	{"/{$...}", `bad wildcard name "$"`},
	{"/{x·}", `bad wildcard name "x·"`},
	// ServeMux takes a Unicode identifier; a Mux only an ASCII one.
	{"/{é}", `bad wildcard name "é": not in ASCII`},
	{"/a/{a}{b}", `bad wildcard name "a}{b"`},
	{"/{}", "empty wildcard name"},
	{"/{...}", "empty wildcard name"},
	{"/a{b}", `bad wildcard segment "a{b}": a wildcard must be a whole segment`},
	{"/{x}a", `bad wildcard segment "{x}a"`},
	{"/{x", `bad wildcard segment "{x"`},
	{"/a/{x...}/b", `"{x...}" not at the end`},
	{"/a/{x...}/", `"{x...}" not at the end`},
	{"/{$}/a", "{$} not at the end"},
	{"/{$}/", "{$} not at the end"},
	{"/{x}/{x}", `duplicate wildcard name "x"`},
	{"/{x}/{x...}", `duplicate wildcard name "x"`},
	{"GET /a/../b", `path is not clean: ".." segment`},
	{"GET /a/./", `path is not clean: "." segment`},
	{"POST /{x}/..", `path is not clean: ".." segment`},
	{"GET /a//b", `empty segment ("//")`},
	{"GET //", `empty segment ("//")`},
	// ServeMux accepts these, but matches "//" as an unnamed {x}.
	{"/a//b", `empty segment ("//")`},
	{"//", `empty segment ("//")`},
	{"CONNECT /a//", `empty segment ("//")`},
	// ServeMux takes any number; a Mux records wildcards in a fixed array.
	{"/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "more than 8 wildcards"},
}

// conflicts are pairs of patterns that both match some request while
// neither is more specific: Handle panics on the second.
var conflicts = []struct{ first, second, why string }{
	{"/a/{x}", "/{y}/b", `both match some paths, like "/a/b", and neither is more specific`},
	{"/a/{x}/c", "/a/b/{y}", `like "/a/b/c"`},
	{"GET /a/{x}/c", "GET /a/b/{y}", `like "/a/b/c"`},
	{"/{x}/b/", "/a/{y...}", `like "/a/b/"`},
	{"GET /x/{a}", "GET /x/{b}", "both match the same requests"},
	{"/a/", "/a/{rest...}", "both match the same requests"},
	{"/{$}", "/%2F", "both match the same requests"},
	{"/a", "/%61", "both match the same requests"},
	{"/index.html", "GET /", "it matches fewer methods but more paths"},
	{"GET /", "/index.html", "it matches more methods but fewer paths"},
	{"/posts/latest", "GET /posts/{id}", "fewer methods but more paths"},
	{"HEAD /{x}", "GET /a", "more methods but fewer paths"},
	{"example.com/a/{x}", "example.com/{y}/b", `like "/a/b"`},
}

// TestMuxBadPatterns expects panics (skipped by TinyGo on wasm, where
// recover does not work; see README.md, "TinyGo").
func TestMuxBadPatterns(t *testing.T) {
	h := func(r *Request) Response { return Response{} }
	for _, tc := range badPatterns {
		subtest(t, tc.pattern, func(t *testing.T) {
			var m Mux
			got := panicked(func() { m.HandleFunc(tc.pattern, h) })
			want := "biplane: pattern " + strconv.Quote(tc.pattern) + ": " + tc.problem
			if !strings.HasPrefix(got, want) {
				t.Errorf("got panic %q, want %q", got, want)
			}
		})
	}
	for _, tc := range conflicts {
		subtest(t, tc.first+" then "+tc.second, func(t *testing.T) {
			var m Mux
			m.HandleFunc(tc.first, h)
			got := panicked(func() { m.HandleFunc(tc.second, h) })
			want := "biplane: pattern " + strconv.Quote(tc.second) + " conflicts with " + strconv.Quote(tc.first) + ": "
			if !strings.HasPrefix(got, want) || !strings.Contains(got, tc.why) {
				t.Errorf("got panic %q, want %q…%q", got, want, tc.why)
			}
		})
	}
	t.Run("nil handler", func(t *testing.T) {
		var m Mux
		if got := panicked(func() { m.Handle("/", nil) }); got != `biplane: nil handler for pattern "/"` {
			t.Errorf("got panic %q", got)
		}
	})
}

// panicked returns what f panics with, or "" if it returns.
func panicked(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	f()
	return ""
}

// precedenceCases register patterns that net/http's ServeMux accepts
// together, and say which wins a request, and with which wildcards.
var precedenceCases = []struct {
	patterns        []string
	method, target  string
	host            string
	pattern, params string // "" for none: 404 or 405
}{
	// net/http's documentation: the more specific subtree wins.
	{[]string{"/images/", "/images/thumbnails/"}, "GET", "/images/thumbnails/a.png", "a", "/images/thumbnails/", ""},
	{[]string{"/images/", "/images/thumbnails/"}, "GET", "/images/a.png", "a", "/images/", ""},
	{[]string{"/images/", "/images/thumbnails/"}, "GET", "/images/thumbnails", "a", "/images/", ""},
	// A literal beats a wildcard; a method beats none.
	{[]string{"/posts/{id}", "/posts/latest"}, "GET", "/posts/latest", "a", "/posts/latest", ""},
	{[]string{"/posts/{id}", "/posts/latest"}, "GET", "/posts/7", "a", "/posts/{id}", "id=7"},
	{[]string{"/posts/{id}", "GET /posts/{id}"}, "GET", "/posts/7", "a", "GET /posts/{id}", "id=7"},
	{[]string{"/posts/{id}", "GET /posts/{id}"}, "HEAD", "/posts/7", "a", "GET /posts/{id}", "id=7"},
	{[]string{"/posts/{id}", "GET /posts/{id}"}, "POST", "/posts/7", "a", "/posts/{id}", "id=7"},
	{[]string{"GET /x", "HEAD /x"}, "HEAD", "/x", "a", "HEAD /x", ""},
	{[]string{"GET /x", "HEAD /x"}, "GET", "/x", "a", "GET /x", ""},
	{[]string{"GET /x/{a}", "GET /x/b/{c}"}, "GET", "/x/b", "a", "GET /x/{a}", "a=b"},
	// A wildcard for one segment beats one for the rest.
	{[]string{"/a/{x...}", "/a/b/{y}"}, "GET", "/a/b/c", "a", "/a/b/{y}", "y=c"},
	{[]string{"/a/{x...}", "/a/b/{y}"}, "GET", "/a/b", "a", "/a/{x...}", "x=b"},
	{[]string{"/a/{x...}", "/a/b/{y}"}, "GET", "/a/b/", "a", "/a/{x...}", "x=b/"},
	{[]string{"/a/{x...}", "/a/{y}/c"}, "GET", "/a/%2F/c", "a", "/a/{x...}", "x=//c"},
	{[]string{"/a/{x...}"}, "GET", "/a/", "a", "/a/{x...}", "x="},
	{[]string{"/a/{x...}"}, "GET", "/a", "a", "", ""}, // ServeMux would redirect to /a/
	{[]string{"/{x}/{y}", "/{x}/b"}, "GET", "/a/b", "a", "/{x}/b", "x=a"},
	// {$} takes the final slash alone, and a last "%2F".
	{[]string{"/", "/{$}"}, "GET", "/", "a", "/{$}", ""},
	{[]string{"/", "/{$}"}, "GET", "/x", "a", "/", ""},
	{[]string{"/a/{$}", "/a/"}, "GET", "/a/", "a", "/a/{$}", ""},
	{[]string{"/a/{$}", "/a/"}, "GET", "/a/%2f", "a", "/a/{$}", ""},
	{[]string{"/a/{$}", "/a/"}, "GET", "/a/b", "a", "/a/", ""},
	{[]string{"/a/{$}"}, "GET", "/a", "a", "", ""},
	// {x} matches no empty segment, nor one that decodes to "/".
	{[]string{"/a/{x}"}, "GET", "/a/", "a", "", ""},
	{[]string{"/a/{x}"}, "GET", "/a/%2F", "a", "", ""},
	{[]string{"/a/{x}"}, "GET", "/a/b%2Fc", "a", "/a/{x}", "x=b/c"},
	{[]string{"/a/{x}/c", "/a/%2F/c"}, "GET", "/a/%2f/c", "a", "/a/%2F/c", ""},
	// Literals compare decoded, segment by segment.
	{[]string{"/%61/b"}, "GET", "/a/%62", "a", "/%61/b", ""},
	{[]string{"/a%2Fb"}, "GET", "/a%2fb", "a", "/a%2Fb", ""},
	{[]string{"/a%2Fb"}, "GET", "/a/b", "a", "", ""},
	{[]string{"/%7Bx%7D"}, "GET", "/%7bx%7d", "a", "/%7Bx%7D", ""},
	{[]string{"/%zz"}, "GET", "/%25zz", "a", "/%zz", ""}, // kept as written when it does not decode
	// Hosts: one with a host beats one without, whatever their paths.
	{[]string{"GET /x", "example.com/"}, "GET", "/x", "example.com", "example.com/", ""},
	{[]string{"GET /x", "example.com/"}, "GET", "/x", "example.com:8080", "example.com/", ""},
	{[]string{"GET /x", "example.com/"}, "GET", "/x", "Example.com", "GET /x", ""},
	{[]string{"GET /x", "example.com/"}, "GET", "/x", "example.org", "GET /x", ""},
	{[]string{"GET /x", "example.com/"}, "GET", "http://example.com/x", "other", "example.com/", ""},
	{[]string{"example.com/{x}", "example.com/a"}, "GET", "/a", "example.com", "example.com/a", ""},
	{[]string{"GET example.com/{x}", "/a"}, "GET", "/a", "example.com", "GET example.com/{x}", "x=a"},
	{[]string{"GET example.com/{x}", "/a"}, "POST", "/a", "example.com", "/a", ""},
	{[]string{"::1/", "[::1]/"}, "GET", "/", "[::1]:80", "::1/", ""},
	{[]string{"::1/", "[::1]/"}, "GET", "/", "[::1]", "[::1]/", ""},
	// A leading space is no method; CONNECT patterns may be unclean.
	{[]string{" /x"}, "PUT", "/x", "a", " /x", ""},
	{[]string{"CONNECT /a/../b", "/a/../b"}, "GET", "/a/../b", "a", "/a/../b", ""},
	{[]string{"/{_x1}"}, "GET", "/%C3%A9", "a", "/{_x1}", ""},
}

func TestMuxPrecedence(t *testing.T) {
	for _, tc := range precedenceCases {
		subtest(t, strings.Join(tc.patterns, " ")+" "+tc.method+" "+tc.host+" "+tc.target, func(t *testing.T) {
			var m Mux
			var got string
			for _, p := range tc.patterns {
				m.HandleFunc(p, func(r *Request) Response {
					var params []string
					for _, name := range []string{"id", "a", "x", "y", "é"} {
						if v := r.PathValue(name); v != "" || strings.Contains(r.Pattern(), "{"+name) {
							params = append(params, name+"="+v)
						}
					}
					got = r.Pattern() + "|" + strings.Join(params, " ")
					return Response{}
				})
			}
			r := parseRequest(t, tc.method+" "+tc.target+" HTTP/1.1\r\nHost: "+tc.host+"\r\n\r\n")
			status := m.Respond(r).Status
			want := tc.pattern + "|" + tc.params
			if tc.pattern == "" {
				want = ""
				if status != 404 && status != 405 {
					t.Errorf("status %d, want 404 or 405", status)
				}
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestMuxAllocs: routing, wildcards included, allocates nothing.
func TestMuxAllocs(t *testing.T) {
	var m Mux
	m.HandleFunc("GET /items/{id}", func(r *Request) Response { return Response{Status: 200} })
	m.HandleFunc("GET /", func(r *Request) Response { return Response{Status: 404} })
	r := parseRequest(t, "GET /items/42 HTTP/1.1\r\nHost: a\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() {
		if m.Respond(r).Status != 200 {
			t.Fatal("wrong route")
		}
	}); n != 0 {
		t.Errorf("got %v allocs per route, want 0", n)
	}
}

func parseRequest(t *testing.T, in string) *Request {
	t.Helper()
	var p Parser
	if n, err := p.Parse([]byte(in)); n != len(in) || err != nil {
		t.Fatalf("parse %q: n=%d err=%v", in, n, err)
	}
	return p.Request()
}

func BenchmarkMux(b *testing.B) {
	var m Mux
	for _, p := range routePatterns {
		m.HandleFunc(p, func(r *Request) Response { return Response{} })
	}
	var p Parser
	in := []byte("GET /users/ann/posts/9 HTTP/1.1\r\nHost: a\r\n\r\n")
	p.Parse(in)
	r := p.Request()
	b.ReportAllocs()
	for b.Loop() {
		m.Respond(r)
	}
}
