package biplane

import (
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
	"GET /a/{x}/c",
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
	{"GET", "/a/b/c", 200, "GET /a/b/{y}", "y=c", ""}, // literal b beats {x} at the first difference
	{"GET", "/a/z/c", 200, "GET /a/{x}/c", "x=z", ""},
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
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
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

func TestMuxBadPatterns(t *testing.T) {
	for _, p := range []string{"", "items", "GET items", "/a/{x...}/b", "/{$}/a", "/{x}/{x}", "/a{b}", "/{}", "G(T /", "/a/{a}{b}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("pattern %q: no panic", p)
				}
			}()
			var m Mux
			m.HandleFunc(p, func(r *Request) Response { return Response{} })
		}()
	}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(v.(string), "conflicts") {
			t.Errorf("duplicate pattern: got panic %v, want a conflict", v)
		}
	}()
	var m Mux
	m.HandleFunc("GET /x/{a}", func(r *Request) Response { return Response{} })
	m.HandleFunc("GET /x/{b}", func(r *Request) Response { return Response{} })
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
