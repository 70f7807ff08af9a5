package biplane

import (
	"bytes"
	"slices"
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

// A Mux routes requests by method and path to handlers, with patterns
// shaped like those of Go 1.22's net/http.ServeMux:
//
//		[METHOD ]/path/with/{name}/segments/{rest...}
//
//	  - A literal segment matches itself, compared after percent-decoding.
//	  - {name} matches one non-empty segment; [Request.PathValue] returns it.
//	  - {name...}, last, matches the rest of the path, possibly empty.
//	  - A pattern ending in "/" matches every path below it; "/{$}" at the
//	    end matches only the path ending in that slash. "/" matches all paths.
//	  - A pattern without a method matches every method; "GET" also matches
//	    HEAD.
//
// When several patterns match, the more specific one wins: at the first
// segment where they differ, a literal beats {name}, which beats a rest
// wildcard; then a pattern with a method beats one without. A path that
// no pattern matches is answered 404; a path that matches only patterns
// for other methods is answered 405 with an Allow field (RFC 9110 §15.5.6).
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

	routes []route
	mws    []func(Handler) Handler
	// The Mux's own answers, wrapped in the middleware.
	notFound, notAllowed, opts Handler
}

type segKind uint8

const (
	segMulti  segKind = iota + 1 // {name...} or trailing slash
	segSingle                    // {name}
	segLit                       // literal, or {$}
	segDollar                    // {$}: only the empty final segment
)

type segment struct {
	kind segKind
	lit  string // literal text, or wildcard name
}

type route struct {
	pattern string
	method  string // "" for any
	segs    []segment
	h       Handler // as registered
	chain   Handler // h in the Mux's middleware
	head    Handler // for a HeadHandler h: its RespondHead in the middleware
}

// Handle registers h for pattern. It panics if the pattern is malformed or
// already registered: both are programming errors.
func (m *Mux) Handle(pattern string, h Handler) {
	rt, err := parsePattern(pattern)
	if err != "" {
		panic("biplane: pattern " + `"` + pattern + `": ` + err)
	}
	if h == nil {
		panic("biplane: nil handler for pattern " + `"` + pattern + `"`)
	}
	for _, o := range m.routes {
		if o.method == rt.method && sameShape(o.segs, rt.segs) {
			panic("biplane: pattern " + `"` + pattern + `" conflicts with "` + o.pattern + `"`)
		}
	}
	rt.h = h
	m.wrapRoute(&rt)
	m.routes = append(m.routes, rt)
	if m.notFound == nil {
		m.wrapOwn()
	}
}

// HandleFunc registers f for pattern, as [Mux.Handle] does.
func (m *Mux) HandleFunc(pattern string, f func(r *Request) Response) {
	m.Handle(pattern, HandlerFunc(f))
}

// sameShape reports whether two patterns match the same paths: the same
// segments, whatever their wildcards are named.
func sameShape(a, b []segment) bool {
	return slices.EqualFunc(a, b, func(x, y segment) bool {
		return x.kind == y.kind && (x.kind != segLit || x.lit == y.lit)
	})
}

func parsePattern(p string) (route, string) {
	rt := route{pattern: p}
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		rt.method = p[:i]
		p = strings.TrimLeft(p[i:], " \t")
		if !isToken([]byte(rt.method)) {
			return rt, "invalid method"
		}
	}
	if !strings.HasPrefix(p, "/") {
		return rt, "path must start with /"
	}
	parts := strings.Split(p[1:], "/")
	names := map[string]bool{}
	for i, s := range parts {
		last := i == len(parts)-1
		switch {
		case s == "" && last:
			rt.segs = append(rt.segs, segment{kind: segMulti})
		case s == "{$}":
			if !last {
				return rt, "{$} must be last"
			}
			rt.segs = append(rt.segs, segment{kind: segDollar})
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name, multi := strings.CutSuffix(s[1:len(s)-1], "...")
			if multi && !last {
				return rt, "{" + name + "...} must be last"
			}
			if name == "" || strings.ContainsAny(name, "{}/") || names[name] {
				return rt, "invalid or duplicate wildcard name"
			}
			names[name] = true
			if len(names) > maxParams {
				return rt, "too many wildcards"
			}
			k := segSingle
			if multi {
				k = segMulti
			}
			rt.segs = append(rt.segs, segment{kind: k, lit: name})
		case strings.ContainsAny(s, "{}"):
			return rt, "wildcard must be a whole segment"
		default:
			rt.segs = append(rt.segs, segment{kind: segLit, lit: s})
		}
	}
	return rt, ""
}

// match reports whether path matches rt, recording wildcards in r.
func (rt *route) match(r *Request, path []byte, off int32) bool {
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
		i := bytes.IndexByte(rest, '/')
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
			if len(seg) != 0 || more {
				return false
			}
		case segSingle:
			if len(seg) == 0 {
				return false
			}
			r.params[r.nparams] = param{s.lit, span{off + int32(pos), off + int32(pos+len(seg))}}
			r.nparams++
		}
		pos += len(seg) + 1
	}
	return !more
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

// moreSpecific reports whether a should win over b when both match.
func moreSpecific(a, b *route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		ka, kb := a.segs[i].kind, b.segs[i].kind
		if ka == segDollar {
			ka = segLit
		}
		if kb == segDollar {
			kb = segLit
		}
		if ka != kb {
			return ka > kb
		}
	}
	if len(a.segs) != len(b.segs) {
		return len(a.segs) > len(b.segs)
	}
	return a.method != "" && b.method == ""
}

func methodMatches(pattern string, method []byte) bool {
	return pattern == "" || pattern == string(method) ||
		pattern == "GET" && string(method) == "HEAD"
}

// match finds the most specific route for r and fills in r's pattern and
// wildcards, or returns nil.
func (m *Mux) match(r *Request) *route {
	path := r.RawPath()
	off := r.path.start
	method := r.method.of(r.buf)
	var best *route
	for i := range m.routes {
		rt := &m.routes[i]
		if !methodMatches(rt.method, method) || (best != nil && !moreSpecific(rt, best)) {
			continue
		}
		if rt.match(r, path, off) {
			best = rt
		}
	}
	if best != nil {
		// Matching again fills r's wildcards for the winner.
		best.match(r, path, off)
		r.pattern = best.pattern
	}
	return best
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
