//go:build !tinygo

// Not built by TinyGo: it imports net/http, the reference it checks the
// Mux against. See README.md, "TinyGo".

package biplane

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"
)

// The Mux refuses and matches patterns as net/http's ServeMux does, but
// for these differences, on purpose (see [Mux]):
//
//   - A Mux never redirects; a strict server answers what was asked.
//     ServeMux redirects a request whose path is not clean ("/a/../b",
//     "/a//b", "/a/.") to the clean path; a Mux matches the path as sent,
//     so such requests are not compared. ServeMux also redirects "/a" to
//     "/a/" when a pattern matches "/a/" exactly ("/a/", "/a/{$}",
//     "/{x}/", "/a/{rest...}"): such a pattern cannot match "/a", so the
//     reference for these requests is what ServeMux answers once the
//     patterns it redirects to are removed.
//   - For the same reason, ServeMux's 405 for "/a" lists the methods of
//     the patterns that match "/a/" too; a Mux's Allow lists those that
//     match the path as sent, a subset.
//   - A Mux answers OPTIONS itself (204 with Allow) where ServeMux
//     answers 405: no OPTIONS requests are compared.
//   - A pattern has at most 8 wildcards: a Request records them in a
//     fixed array, so that matching allocates nothing. ServeMux takes any
//     number.
//   - A wildcard name is an identifier in ASCII ("{é}" is refused):
//     telling Unicode letters and digits apart, as ServeMux does, takes
//     tables that TinyGo keeps in RAM, 6 KiB of it on a Cortex-M.
//   - A pattern with an empty segment ("/a//b") is refused. ServeMux
//     refuses it only after a method (the path is not clean), and without
//     one matches "//" as an unnamed {x}: "/a//b" matches "/a/zz/b", and
//     for "/a//{x}" and "/a/b/c" PathValue("x") is "b". Its routing tree
//     keys a single wildcard and an empty literal alike; with "/a/{y}/b"
//     beside "/a//b" it panics "non-nil leaf fields". No clean request
//     path has an empty segment.
//   - ServeMux matches CONNECT requests uncleaned and against the port
//     in Host; a Mux never sees one (the server answers CONNECT 501), so
//     CONNECT patterns are accepted, as ServeMux accepts them, but never
//     match.

// wildcardNames are the names whose values the tests compare.
var wildcardNames = []string{"x", "y", "z", "é", "id", "a", "rest"}

// An answer is what a mux does with one request: the pattern that
// matched and its wildcards, or its status and Allow field.
type answer struct {
	matched bool
	pattern string
	values  string // name=value for each of wildcardNames with a value
	status  int    // if not matched
	allow   string
}

func (a answer) String() string {
	if a.matched {
		return fmt.Sprintf("%q [%s]", a.pattern, a.values)
	}
	return fmt.Sprintf("%d Allow %q", a.status, a.allow)
}

// A recorder is the handler of every pattern on both sides: it records
// the answer of the request it is given.
type recorder struct{ got answer }

func (rec *recorder) Respond(r *Request) Response {
	rec.got = answer{matched: true, pattern: r.Pattern(), values: pathValues(r.PathValue)}
	return Response{}
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.got = answer{matched: true, pattern: r.Pattern, values: pathValues(r.PathValue)}
}

func pathValues(get func(string) string) string {
	var vs []string
	for _, name := range wildcardNames {
		if v := get(name); v != "" {
			vs = append(vs, name+"="+v)
		}
	}
	return strings.Join(vs, " ")
}

// registerBoth registers each pattern in a Mux and in a ServeMux,
// recovering their panics, and fails t unless both refuse the same ones.
// It returns the Mux and the patterns both accepted.
func registerBoth(t *testing.T, rec *recorder, patterns []string) (*Mux, []string) {
	t.Helper()
	m, s := new(Mux), http.NewServeMux()
	var accepted []string
	for _, p := range patterns {
		got := panicked(func() { m.Handle(p, rec) })
		if listedRefusal(p) {
			if got == "" {
				t.Fatalf("pattern %q: Mux accepts it", p)
			}
			continue
		}
		want := panicked(func() { s.Handle(p, rec) })
		switch {
		case got != "" && want == "":
			t.Fatalf("after %q, pattern %q: Mux panics %q, ServeMux accepts it", accepted, p, got)
		case got == "" && want != "":
			t.Fatalf("after %q, pattern %q: Mux accepts it, ServeMux panics %q", accepted, p, want)
		case got == "":
			accepted = append(accepted, p)
		case strings.Contains(want, "conflicts with") != strings.Contains(got, "conflicts with"):
			t.Fatalf("after %q, pattern %q: Mux panics %q, ServeMux %q", accepted, p, got, want)
		}
	}
	checkOrder(t, m)
	return m, accepted
}

// listedRefusal reports whether the Mux refuses p, whatever ServeMux
// does, for one of the differences listed above: an empty segment, a
// non-ASCII name.
func listedRefusal(p string) bool {
	_, path, _ := strings.Cut(p, "/")
	return strings.Contains("/"+path, "//") || strings.ContainsFunc(p, func(c rune) bool { return c >= 0x80 })
}

// cleanPath returns p as ServeMux cleans a request path.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// checkOrder checks that m's routes are in an order where none comes
// after one more general, and that compareRoutes is antisymmetric.
func checkOrder(t *testing.T, m *Mux) {
	t.Helper()
	for i := range m.routes {
		for j := range m.routes {
			a, b := &m.routes[i], &m.routes[j]
			rel := compareRoutes(a, b)
			if rev := compareRoutes(b, a); rel != rev.inverse() {
				t.Fatalf("%q to %q is %d, the other way %d", a.pattern, b.pattern, rel, rev)
			}
			if i < j && rel == wider {
				t.Fatalf("%q comes before %q, which is more specific", a.pattern, b.pattern)
			}
		}
	}
}

// muxAnswer returns the Mux's answer to the request head, or false if
// its parser refuses the head.
func muxAnswer(m *Mux, rec *recorder, head string) (answer, bool) {
	var p Parser
	if n, err := p.Parse([]byte(head)); err != nil || n != len(head) {
		return answer{}, false
	}
	rec.got = answer{}
	resp := m.Respond(p.Request())
	if rec.got.matched {
		return rec.got, true
	}
	a := answer{status: resp.Status}
	for _, f := range resp.Header {
		if f.Name == "Allow" {
			a.allow = f.Value
		}
	}
	return a, true
}

// referenceAnswer returns ServeMux's answer to the request head with the
// patterns registered, less those it redirects to for a missing trailing
// slash, or false if the request is not to be compared: net/http refuses
// it, or it would redirect it to its clean path.
func referenceAnswer(t *testing.T, rec *recorder, patterns []string, head string) (answer, bool) {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
	if err != nil || req.Method == "OPTIONS" {
		return answer{}, false
	}
	if p := req.URL.EscapedPath(); cleanPath(p) != p {
		return answer{}, false
	}
	for {
		s := http.NewServeMux()
		for _, p := range patterns {
			s.Handle(p, rec)
		}
		rec.got = answer{}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch {
		case rec.got.matched:
			return rec.got, true
		case w.Code/100 != 3:
			return answer{status: w.Code, allow: w.Header().Get("Allow")}, true
		}
		_, to := s.Handler(req)
		i := slices.Index(patterns, to)
		if i < 0 || !strings.HasSuffix(w.Header().Get("Location"), "/") {
			t.Fatalf("%q: ServeMux redirects to %q for pattern %q", head, w.Header().Get("Location"), to)
		}
		patterns = slices.Delete(slices.Clone(patterns), i, i+1)
	}
}

// compareAnswers fails t unless the Mux's answer got to a request for
// path is the reference's, want, but for the listed differences.
func compareAnswers(t *testing.T, patterns []string, head, path string, got, want answer) {
	t.Helper()
	switch {
	case got.matched || want.matched:
		if got != want {
			t.Errorf("patterns %q, request %q: Mux %v, ServeMux %v", patterns, head, got, want)
		}
	case got.status != 404 && got.status != 405:
		t.Errorf("patterns %q, request %q: Mux answers %v", patterns, head, got)
	case strings.HasSuffix(path, "/"):
		if got != want {
			t.Errorf("patterns %q, request %q: Mux %v, ServeMux %v", patterns, head, got, want)
		}
	case got.status == 405:
		// ServeMux adds the methods of the patterns that match path+"/".
		extra := strings.Split(want.allow, ", ")
		for m := range strings.SplitSeq(got.allow, ", ") {
			if !slices.Contains(extra, m) {
				t.Errorf("patterns %q, request %q: Mux %v, ServeMux %v", patterns, head, got, want)
			}
		}
	}
}

// TestMuxAgainstServeMux checks the tables of route_test.go against
// net/http's ServeMux.
func TestMuxAgainstServeMux(t *testing.T) {
	rec := new(recorder)
	for _, tc := range badPatterns {
		if listedRefusal(tc.pattern) || strings.Contains(tc.problem, "wildcards") {
			continue // listed differences
		}
		if panicked(func() { http.NewServeMux().Handle(tc.pattern, rec) }) == "" {
			t.Errorf("ServeMux accepts %q", tc.pattern)
		}
	}
	for _, tc := range conflicts {
		s := http.NewServeMux()
		s.Handle(tc.first, rec)
		if got := panicked(func() { s.Handle(tc.second, rec) }); !strings.Contains(got, "conflicts with") {
			t.Errorf("ServeMux with %q, %q: got panic %q, want a conflict", tc.first, tc.second, got)
		}
	}
	compare := func(patterns []string, method, target, host string) {
		m, _ := registerBoth(t, rec, patterns)
		head := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
		got, ok := muxAnswer(m, rec, head)
		if !ok {
			t.Fatalf("request %q refused", head)
		}
		want, ok := referenceAnswer(t, rec, patterns, head)
		if ok {
			compareAnswers(t, patterns, head, target, got, want)
		}
	}
	for _, tc := range precedenceCases {
		compare(tc.patterns, tc.method, tc.target, tc.host)
	}
	for _, tc := range routeCases {
		compare(routePatterns, tc.method, tc.target, "a")
	}
}

// The alphabets of FuzzMuxPatterns, invalid pieces included.
var (
	fuzzMethods     = []string{"", "", "GET ", "POST ", "HEAD ", "GET\t", " ", "CONNECT ", "G(T "}
	fuzzHosts       = []string{"", "", "", "a.com", "b.com", "[::1]", "::1", "a.com:80", "{h}"}
	fuzzSegments    = []string{"a", "b", "{x}", "{y}", "{z...}", "{$}", "", "%61", "%2F", ".", "..", "{é}", "{x", "a{x}", "{1}", "{}"}
	fuzzReqMethods  = []string{"GET", "HEAD", "POST", "PUT"}
	fuzzReqHosts    = []string{"a.com", "b.com", "a.com:8080", "[::1]", "[::1]:80", "c.com", "", "A.com"}
	fuzzReqSegments = []string{"a", "b", "c", "%61", "%2F", "%2f", "", ".", "..", "%2E", "%C3%A9", "a%2Fb"}
)

// fuzzChoices is the fuzz input read as a sequence of choices; zeros once
// it is spent.
type fuzzChoices []byte

func (c *fuzzChoices) next(n int) int {
	if len(*c) == 0 {
		return 0
	}
	b := (*c)[0]
	*c = (*c)[1:]
	return int(b) % n
}

// path returns "/" followed by up to 4 segments from segs, and maybe a
// trailing slash.
func (c *fuzzChoices) path(segs []string) string {
	s := make([]string, c.next(5))
	for i := range s {
		s[i] = segs[c.next(len(segs))]
	}
	p := "/" + strings.Join(s, "/")
	if len(s) > 0 && c.next(2) == 1 {
		p += "/"
	}
	return p
}

// fuzzPatterns reads 1 to 8 patterns and 1 to 8 requests (heads) from in.
func fuzzPatterns(in []byte) (patterns, heads, paths []string) {
	c := fuzzChoices(in)
	patterns = make([]string, 1+c.next(8))
	for i := range patterns {
		patterns[i] = fuzzMethods[c.next(len(fuzzMethods))] + fuzzHosts[c.next(len(fuzzHosts))] + c.path(fuzzSegments)
	}
	n := 1 + c.next(8)
	for range n {
		method := fuzzReqMethods[c.next(len(fuzzReqMethods))]
		host := fuzzReqHosts[c.next(len(fuzzReqHosts))]
		target := c.path(fuzzReqSegments)
		paths = append(paths, target)
		if abs := fuzzReqHosts[c.next(len(fuzzReqHosts))]; c.next(2) == 1 && abs != "" {
			target = "http://" + abs + target
		}
		heads = append(heads, method+" "+target+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
	}
	return patterns, heads, paths
}

// fuzzInput is the inverse of fuzzPatterns, for seeds: requests are
// "METHOD HOST PATH" (HOST "-" for an empty one), in origin form.
func fuzzInput(patterns, requests []string) []byte {
	index := func(table []string, s string) byte {
		i := slices.Index(table, s)
		if i < 0 {
			panic(fmt.Sprintf("%q is not in %q", s, table))
		}
		return byte(i)
	}
	path := func(table []string, p string) []byte {
		p = p[1:]
		if p == "" {
			return []byte{0}
		}
		p, trailing := strings.CutSuffix(p, "/")
		segs := strings.Split(p, "/")
		b := []byte{byte(len(segs))}
		for _, s := range segs {
			b = append(b, index(table, s))
		}
		if trailing {
			return append(b, 1)
		}
		return append(b, 0)
	}
	in := []byte{byte(len(patterns) - 1)}
	for _, p := range patterns {
		method := ""
		for _, m := range fuzzMethods {
			if len(m) > len(method) && strings.HasPrefix(p, m) {
				method = m
			}
		}
		p = p[len(method):]
		i := strings.IndexByte(p, '/')
		in = append(in, index(fuzzMethods, method), index(fuzzHosts, p[:i]))
		in = append(in, path(fuzzSegments, p[i:])...)
	}
	in = append(in, byte(len(requests)-1))
	for _, r := range requests {
		f := strings.Fields(r)
		host := strings.TrimPrefix(f[1], "-")
		in = append(in, index(fuzzReqMethods, f[0]), index(fuzzReqHosts, host))
		in = append(in, path(fuzzReqSegments, f[2])...)
		in = append(in, 0, 0)
	}
	return in
}

// FuzzMuxPatterns registers a set of patterns in a Mux and in net/http's
// ServeMux: both must refuse the same ones, conflicts included. Then, for
// each request, the Mux, driven through its parser, must choose the same
// pattern with the same wildcard values as ServeMux, or answer 404 or 405
// as it does, but for the differences listed above.
func FuzzMuxPatterns(f *testing.F) {
	for _, s := range []struct{ patterns, requests []string }{
		{[]string{"/a/{x}", "/{y}/b"}, []string{"GET a.com /a/b"}},
		{[]string{"/", "GET /{$}", "/a/", "GET /a/{x}", "GET /a/b/{z...}", "POST /a/b"},
			[]string{"GET a.com /", "HEAD a.com /a/c", "POST a.com /a/b", "GET a.com /a/b/", "PUT a.com /a/b", "GET a.com /a"}},
		{[]string{"GET /a/{x}/{y}", "GET /a/b/{y}", "/{x}/b/"}, []string{"GET a.com /a/b/c", "GET a.com /a/%61/c", "HEAD a.com /b/b/"}},
		{[]string{"a.com/", "GET /a/{x}", "b.com/{x}/", "a.com:80/a"}, []string{"GET a.com:8080 /a/b", "GET c.com /a/b", "GET b.com /a/b/c", "GET A.com /a/b"}},
		{[]string{"/a/{$}", "/%2F/", "/{x}/{z...}", "/%61/{y}", "/{é}"}, []string{"GET - /a/%2F", "GET - /%2f/a", "GET - /%61/%C3%A9", "GET - /a/"}},
		{[]string{"/a/{z...}", "GET /a/../b", "GET /{x}/{x}", "/a{x}", "GET\t/a/{x", "HEAD /a"}, []string{"HEAD a.com /a", "GET a.com /a/../b", "GET a.com /a/.."}},
		{[]string{"[::1]/", "::1/a", "CONNECT /a/./"}, []string{"GET [::1] /a", "GET [::1]:80 /a", "GET [::1]:80 /b"}},
	} {
		f.Add(fuzzInput(s.patterns, s.requests))
	}
	rec := new(recorder)
	f.Fuzz(func(t *testing.T, in []byte) {
		patterns, heads, paths := fuzzPatterns(in)
		m, accepted := registerBoth(t, rec, patterns)
		for i, head := range heads {
			got, ok := muxAnswer(m, rec, head)
			if !ok {
				continue
			}
			if want, ok := referenceAnswer(t, rec, accepted, head); ok {
				compareAnswers(t, accepted, head, paths[i], got, want)
			}
		}
	})
}

// TestFuzzInput: seeds decode to what they were made from.
func TestFuzzInput(t *testing.T) {
	patterns := []string{"GET a.com/a/{x}/", " /", "/{$}"}
	p, heads, paths := fuzzPatterns(fuzzInput(patterns, []string{"HEAD - /%2F/b/", "GET a.com /"}))
	want := []string{"HEAD /%2F/b/ HTTP/1.1\r\nHost: \r\n\r\n", "GET / HTTP/1.1\r\nHost: a.com\r\n\r\n"}
	if !slices.Equal(p, patterns) || !slices.Equal(heads, want) || !slices.Equal(paths, []string{"/%2F/b/", "/"}) {
		t.Errorf("got %q %q %q", p, heads, paths)
	}
}
