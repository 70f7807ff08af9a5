package biplane

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// A Handler answers requests. Respond is called from the server's loop, so
// it must not block: a slow handler delays every connection. The request
// and its byte slices are valid only until Respond returns.
type Handler interface {
	Respond(r *Request) Response
}

// HandlerFunc adapts an ordinary function to a [Handler].
type HandlerFunc func(r *Request) Response

// Respond calls f(r).
func (f HandlerFunc) Respond(r *Request) Response { return f(r) }

// A Mux routes requests by method, host and path to handlers. Its
// patterns are those of Go 1.22's net/http.ServeMux, refused and matched
// as ServeMux refuses and matches them:
//
//		[METHOD ][HOST]/[PATH]
//
//	  - METHOD, if present, is a token followed by spaces or tabs. The
//	    pattern then matches only that method, except that "GET" also
//	    matches HEAD. Without one, it matches every method.
//	  - HOST, if present, matches requests whose host ([Request.Host], its
//	    port removed) is exactly HOST: "example.com/" takes every path on
//	    example.com.
//	  - PATH is made of segments separated by "/". A literal segment
//	    matches the request path's segment that decodes to the same bytes,
//	    each percent-decoded on its own: "/a%2Fb" matches "/a%2Fb" but not
//	    "/a/b"; "/%61" matches "/a".
//	  - {name} matches one non-empty segment, other than one that decodes to
//	    "/"; [Request.PathValue] returns it decoded. {name...}, last,
//	    matches the rest of the path, possibly empty. Names are Go
//	    identifiers, distinct within a pattern, at most 8 in one.
//	    Unlike ServeMux, a Mux takes only names in ASCII.
//	  - A PATH ending in "/" matches every path that starts with it; one
//	    ending in "/{$}" only the path that ends with that slash. "/"
//	    matches every path.
//
// [Mux.Handle] panics, naming the problem, on every pattern that ServeMux
// refuses: an empty pattern, a malformed method (one that starts with a
// space has none), no "/" before the path, "{" in the host, a wildcard
// that is not a whole segment ("/a{x}"), a name that is not an
// identifier ("{id:[0-9]+}", "{1x}"), a repeated name, {$} or {name...}
// before the end, and, after a method other than CONNECT, a path that is
// not clean ("/a/../b", "/a/."): ServeMux would never match it. Handle
// also panics on a path with an empty segment ("/a//b"), with or without
// a method: ServeMux accepts one without, but matches it as if it were an
// unnamed wildcard.
//
// When several patterns match a request, the most specific wins: one with
// a host beats one without; otherwise one that matches a strict subset of
// the requests the other matches, method and path together. So
// "/images/thumbnails/" beats "/images/", "/posts/latest" beats
// "/posts/{id}", and "GET /posts/{id}" beats "/posts/{id}". Two patterns
// that match some of the same requests, where neither is more specific,
// conflict, and Handle panics on the second: "/a/{x}" and "/{y}/b" (both
// match "/a/b"), "GET /" and "/index.html" (fewer methods but more
// paths), or "/x/{a}" and "/x/{b}" (the same requests).
//
// A path that no pattern matches is answered 404; a path that matches
// only patterns for other methods is answered 405 with an Allow field
// (RFC 9110 §15.5.6). Unlike ServeMux, a Mux never redirects: a request
// path is matched as sent, neither cleaned (its "..", "." and empty
// segments are ordinary segments, which a ServeMux would redirect to the
// clean path; a handler that makes file names from wildcards must refuse
// them) nor given a trailing slash ("/a" with only "/a/" registered is
// answered 404, not redirected to "/a/").
//
// The zero Mux is ready to use. Register every pattern and middleware
// before serving; a Mux is not safe to change while it serves. Matching
// allocates nothing.
//
// Middleware added with [Mux.Use] wraps every route, whatever its handler
// (plain, a [HeadHandler] that streams its body, static files, an event
// stream, a WebSocket upgrade, an adapted net/http handler), and the
// Mux's own answers: 404, 405, and the automatic answer to OPTIONS.
type Mux struct {
	// NotFound, if not nil, answers requests whose path no pattern
	// matches, instead of a plain-text 404.
	NotFound Handler

	// MethodNotAllowed, if not nil, answers requests whose path only other
	// methods' patterns match, instead of a plain-text 405. The Mux adds
	// the Allow field to its response (RFC 9110 §15.5.6).
	MethodNotAllowed Handler

	// routes are kept so that each comes before every route more general
	// than it: the first route that matches a request is the most specific.
	routes []route
	mws    []func(Handler) Handler
	// The Mux's own answers, wrapped in the middleware.
	notFound, notAllowed, opts Handler
}

type segKind uint8

const (
	segLit    segKind = iota + 1 // a literal, percent-decoded, in lit
	segDollar                    // {$}, or a last literal "%2F": the final slash; lit is "/"
	segSingle                    // {name}
	segMulti                     // {name...}, or the trailing slash with lit ""
)

type segment struct {
	kind segKind
	lit  string // literal text, or wildcard name
}

type route struct {
	pattern string
	method  string // "" for any
	host    string // "" for any
	segs    []segment
	h       Handler // as registered
	chain   Handler // h in the Mux's middleware
	head    Handler // for a HeadHandler h: its RespondHead in the middleware
}

// Handle registers h for pattern. It panics if the pattern is malformed,
// or if it conflicts with one already registered (see [Mux]): both are
// programming errors.
func (m *Mux) Handle(pattern string, h Handler) {
	rt, err := parsePattern(pattern)
	if err != "" {
		panic("biplane: pattern " + strconv.Quote(pattern) + ": " + err)
	}
	if h == nil {
		panic("biplane: nil handler for pattern " + strconv.Quote(pattern))
	}
	// Insert rt before the first route more general than it. Every route
	// more specific than rt is more specific than that one too, so it is
	// already earlier: the order stays one where a route comes before all
	// those more general than it.
	at := len(m.routes)
	for i := range m.routes {
		o := &m.routes[i]
		switch rel := compareRoutes(&rt, o); rel {
		case equivalent, overlapping:
			panic("biplane: pattern " + strconv.Quote(pattern) + " conflicts with " +
				strconv.Quote(o.pattern) + ": " + describeConflict(&rt, o, rel))
		case narrower:
			at = min(at, i)
		}
	}
	rt.h = h
	m.wrapRoute(&rt)
	m.routes = slices.Insert(m.routes, at, rt)
	if m.notFound == nil {
		m.wrapOwn()
	}
}

// HandleFunc registers f for pattern, as [Mux.Handle] does.
func (m *Mux) HandleFunc(pattern string, f func(r *Request) Response) {
	m.Handle(pattern, HandlerFunc(f))
}

// parsePattern parses [METHOD ][HOST]/[PATH] as net/http's ServeMux does,
// or says what is wrong with it.
func parsePattern(s string) (rt route, err string) {
	if s == "" {
		return rt, "empty pattern"
	}
	rt.pattern = s
	rest := s
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		// ServeMux takes a pattern starting with a space as one without
		// a method.
		rt.method, rest = s[:i], strings.TrimLeft(s[i+1:], " \t")
		if rt.method != "" && !isToken([]byte(rt.method)) {
			return rt, "invalid method " + strconv.Quote(rt.method)
		}
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return rt, `no path: it must start with "/"`
	}
	rt.host, rest = rest[:i], rest[i:]
	if strings.Contains(rt.host, "{") {
		return rt, `host contains "{" (missing initial "/"?)`
	}
	// ServeMux cleans every request path but CONNECT's before matching,
	// so it refuses such a pattern, which could never match.
	unclean := rt.method != "" && rt.method != "CONNECT"
	nwild := 0
	for rest != "" {
		rest = rest[1:] // the '/'
		if rest == "" {
			rt.segs = append(rt.segs, segment{kind: segMulti})
			break
		}
		seg := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		switch {
		case seg == "":
			// ServeMux accepts an empty segment without a method, but
			// matches it as an unnamed {x}, numbering the wildcards after
			// it wrongly. No clean path has one.
			return rt, `empty segment ("//")`
		case unclean && (seg == "." || seg == ".."):
			return rt, "path is not clean: " + strconv.Quote(seg) + " segment"
		}
		if !strings.Contains(seg, "{") {
			lit := unescapeSegment(seg)
			k := segLit
			if lit == "/" && rest == "" {
				k = segDollar // ServeMux takes "/%2F" for "/{$}"
			}
			rt.segs = append(rt.segs, segment{kind: k, lit: lit})
			continue
		}
		if seg[0] != '{' || seg[len(seg)-1] != '}' {
			return rt, "bad wildcard segment " + strconv.Quote(seg) + ": a wildcard must be a whole segment"
		}
		name := seg[1 : len(seg)-1]
		if name == "$" {
			if rest != "" {
				return rt, "{$} not at the end"
			}
			rt.segs = append(rt.segs, segment{kind: segDollar, lit: "/"})
			break
		}
		name, multi := strings.CutSuffix(name, "...")
		switch {
		case multi && rest != "":
			return rt, strconv.Quote(seg) + " not at the end"
		case name == "":
			return rt, "empty wildcard name"
		case !isIdentifier(name):
			why := ": not a Go identifier"
			if strings.ContainsFunc(name, func(c rune) bool { return c >= 0x80 }) {
				why = ": not in ASCII (unlike ServeMux, a Mux takes only ASCII names)"
			}
			return rt, "bad wildcard name " + strconv.Quote(name) + why
		}
		for _, o := range rt.segs {
			if (o.kind == segSingle || o.kind == segMulti) && o.lit == name {
				return rt, "duplicate wildcard name " + strconv.Quote(name)
			}
		}
		if nwild++; nwild > maxParams {
			return rt, "more than " + strconv.Itoa(maxParams) + " wildcards"
		}
		k := segSingle
		if multi {
			k = segMulti
		}
		rt.segs = append(rt.segs, segment{kind: k, lit: name})
	}
	return rt, ""
}

// isIdentifier reports whether s is a Go identifier in ASCII: letters,
// digits and '_', not starting with a digit. ServeMux takes any Unicode
// letter or digit; telling them apart takes tables of several KiB, which
// a microcontroller would have to keep in RAM.
func isIdentifier(s string) bool {
	for i := range len(s) {
		c := s[i] | 0x20 // lower case, for letters
		if !('a' <= c && c <= 'z' || s[i] == '_' || i > 0 && '0' <= s[i] && s[i] <= '9') {
			return false
		}
	}
	return s != ""
}

// unescapeSegment decodes a pattern's literal segment, or returns it as
// it is if a '%' in it does not start an escape, as ServeMux does.
func unescapeSegment(seg string) string {
	n := strings.Count(seg, "%")
	if n == 0 {
		return seg
	}
	b := make([]byte, 0, len(seg)-2*n)
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' {
			if i+2 >= len(seg) || chars[seg[i+1]]&cHex == 0 || chars[seg[i+2]]&cHex == 0 {
				return seg
			}
			c = unhex(seg[i+1])<<4 | unhex(seg[i+2])
			i += 2
		}
		b = append(b, c)
	}
	return string(b)
}

// A relation says how the requests two patterns match compare.
type relation uint8

const (
	disjoint    relation = iota // no request matches both
	equivalent                  // both match the same requests
	narrower                    // the first matches a strict subset: it wins
	wider                       // the first matches a strict superset
	overlapping                 // both match some requests; neither is more specific
)

func (r relation) inverse() relation {
	switch r {
	case narrower:
		return wider
	case wider:
		return narrower
	}
	return r
}

// combine returns the relation of two patterns from those of two parts
// of them (methods and paths, or two runs of segments).
func combine(r1, r2 relation) relation {
	switch {
	case r1 == equivalent:
		return r2
	case r1 == disjoint || r2 == disjoint:
		return disjoint
	case r1 == overlapping || r2 == equivalent:
		return r1
	case r2 == r1.inverse():
		return overlapping
	}
	return r2
}

// compareRoutes returns how the requests a matches compare with those b
// matches, a host counting as more specific than none.
func compareRoutes(a, b *route) relation {
	switch {
	case a.host == b.host:
	case b.host == "":
		return narrower
	case a.host == "":
		return wider
	default:
		return disjoint
	}
	mr := compareMethods(a.method, b.method)
	if mr == disjoint {
		return disjoint
	}
	return combine(mr, comparePaths(a.segs, b.segs))
}

func compareMethods(a, b string) relation {
	switch {
	case a == b:
		return equivalent
	case a == "", a == "GET" && b == "HEAD":
		return wider
	case b == "", b == "GET" && a == "HEAD":
		return narrower
	}
	return disjoint
}

func comparePaths(a, b []segment) relation {
	multiA, multiB := a[len(a)-1].kind == segMulti, b[len(b)-1].kind == segMulti
	if len(a) != len(b) && !multiA && !multiB {
		return disjoint
	}
	rel := equivalent
	n := min(len(a), len(b))
	for i := range n {
		if rel = combine(rel, compareSegments(a[i], b[i])); rel == disjoint {
			return disjoint
		}
	}
	switch {
	case len(a) == len(b):
		return rel
	case len(a) < len(b) && multiA:
		return combine(rel, wider)
	case len(b) < len(a) && multiB:
		return combine(rel, narrower)
	}
	return disjoint
}

func compareSegments(a, b segment) relation {
	switch {
	case a.kind == segMulti && b.kind == segMulti:
		return equivalent
	case a.kind == segMulti:
		return wider
	case b.kind == segMulti:
		return narrower
	case a.kind == segSingle && b.kind == segSingle:
		return equivalent
	case a.kind == segSingle:
		if b.lit == "/" { // {name} matches no segment that decodes to "/"
			return disjoint
		}
		return wider
	case b.kind == segSingle:
		if a.lit == "/" {
			return disjoint
		}
		return narrower
	case a.lit == b.lit:
		return equivalent
	}
	return disjoint
}

// describeConflict says why a and b, related by rel, conflict.
func describeConflict(a, b *route, rel relation) string {
	if rel == equivalent {
		return "both match the same requests"
	}
	switch mr, pr := compareMethods(a.method, b.method), comparePaths(a.segs, b.segs); {
	case mr == wider && pr == narrower:
		return "it matches more methods but fewer paths"
	case mr == narrower && pr == wider:
		return "it matches fewer methods but more paths"
	}
	return "both match some paths, like " + strconv.Quote(commonPath(a.segs, b.segs)) +
		", and neither is more specific than the other"
}

// commonPath returns a path that both a and b match, when there is one.
func commonPath(a, b []segment) string {
	var sb strings.Builder
	write := func(s segment) {
		sb.WriteByte('/')
		if s.kind == segLit || s.kind == segSingle {
			sb.WriteString(s.lit)
		}
	}
	n := min(len(a), len(b))
	for i := range n {
		switch x, y := a[i], b[i]; {
		case x.kind == segLit || x.kind == segDollar:
			write(x)
		case y.kind == segLit || y.kind == segDollar || y.kind == segSingle:
			write(y)
		default: // x is a wildcard, y matches the rest
			write(x)
		}
	}
	for _, s := range a[n:] {
		write(s)
	}
	for _, s := range b[n:] {
		write(s)
	}
	return sb.String()
}

// match reports whether r's host and its path, at offset off in r's
// buffer, match rt, recording wildcards in r. The method is not looked at.
func (rt *route) match(r *Request, path []byte, off int32) bool {
	if rt.host != "" && string(hostWithoutPort(r.Host())) != rt.host {
		return false
	}
	r.nparams = 0
	rest, pos, more := path[1:], 1, true
	for _, s := range rt.segs {
		if !more {
			return false
		}
		if s.kind == segMulti {
			if s.lit != "" {
				r.params[r.nparams] = param{s.lit, span{off + int32(pos), off + int32(len(path))}}
				r.nparams++
			}
			return true
		}
		seg := rest
		i := indexByte(rest, '/')
		if i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		}
		more = i >= 0
		switch s.kind {
		case segLit:
			if !equalUnescaped(seg, s.lit) {
				return false
			}
		case segDollar:
			if more || len(seg) != 0 && !isSlash(seg) {
				return false
			}
		case segSingle:
			if len(seg) == 0 || isSlash(seg) {
				return false
			}
			r.params[r.nparams] = param{s.lit, span{off + int32(pos), off + int32(pos+len(seg))}}
			r.nparams++
		}
		pos += len(seg) + 1
	}
	return !more
}

// isSlash reports whether seg is "%2F", which decodes to "/": ServeMux
// takes such a segment for the final slash, which {$} matches and {name}
// does not.
func isSlash(seg []byte) bool {
	return len(seg) == 3 && seg[0] == '%' && seg[1] == '2' && seg[2]|0x20 == 'f'
}

// hostWithoutPort returns host without its ":port", as ServeMux compares
// hosts: a bracketed IPv6 address loses its brackets only with a port.
// host is valid (RFC 9110 §7.2), so it has one ':' or brackets.
func hostWithoutPort(host []byte) []byte {
	i := bytes.LastIndexByte(host, ':')
	switch {
	case i < 0:
		return host
	case host[0] == '[':
		if host[len(host)-1] == ']' {
			return host
		}
		return host[1:indexByte(host, ']')]
	}
	return host[:i]
}

// equalUnescaped reports whether the percent-encoded seg decodes to lit.
func equalUnescaped(seg []byte, lit string) bool {
	j := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' && i+2 < len(seg) {
			c = unhex(seg[i+1])<<4 | unhex(seg[i+2])
			i += 2
		}
		if j >= len(lit) || lit[j] != c {
			return false
		}
		j++
	}
	return j == len(lit)
}

func methodMatches(pattern string, method []byte) bool {
	return pattern == "" || eqString(method, pattern) ||
		pattern == "GET" && eqString(method, "HEAD")
}

// match finds the most specific route for r, the first that matches, and
// fills in r's pattern and wildcards, or returns nil.
func (m *Mux) match(r *Request) *route {
	path := r.RawPath()
	off := r.path.start
	method := r.method.of(r.buf)
	for i := range m.routes {
		rt := &m.routes[i]
		if methodMatches(rt.method, method) && rt.match(r, path, off) {
			r.pattern = rt.pattern
			return rt
		}
	}
	r.nparams = 0
	return nil
}

// allow lists the methods of the patterns matching path, for 405's Allow.
func (m *Mux) allow(r *Request, path []byte, off int32) string {
	var ms []string
	for i := range m.routes {
		rt := &m.routes[i]
		if rt.method != "" && rt.match(r, path, off) {
			ms = append(ms, rt.method)
			if rt.method == "GET" {
				ms = append(ms, "HEAD")
			}
		}
	}
	r.nparams = 0
	slices.Sort(ms)
	return strings.Join(slices.Compact(ms), ", ")
}
