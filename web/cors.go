package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// CORSOptions says which cross-origin requests [CORS] lets browsers make,
// in the terms of the Fetch standard's CORS protocol (§3.2). The zero
// value allows no origin.
type CORSOptions struct {
	// Origins lists the allowed origins, each exactly as a browser sends
	// it in the Origin field: scheme, host and port if not the scheme's
	// default, no path and no trailing slash ("https://app.example",
	// "http://127.0.0.1:8080"). They are compared without regard to the
	// case of ASCII letters. "*" allows every origin: responses then carry
	// "Access-Control-Allow-Origin: *", which browsers refuse for
	// requests with credentials, so "*" together with Credentials is a
	// programming error, and panics. "null", the origin of sandboxed
	// documents and of files opened from disk, can be listed too, but
	// any page can make itself that origin: allow it only for testing.
	Origins []string

	// AllowOrigin, if not nil, is asked about each origin that Origins
	// does not list, and allows it by returning true: for origins that a
	// list cannot say ("https://*.example", a list that changes). It runs
	// on the loop, so it must not block. An origin it allows costs its
	// response two small allocations (the origin as a string, the
	// fields); listed ones cost none.
	AllowOrigin func(origin string) bool

	// Methods lists the methods, beyond GET, HEAD and POST, that
	// cross-origin requests may use ("PUT", "DELETE"); browsers ask before
	// sending them (a preflight). Methods are case-sensitive (RFC 9110
	// §9.1). "*" allows any method. GET, HEAD and POST need no listing:
	// browsers never ask about them (Fetch's CORS-safelisted methods).
	Methods []string

	// Headers lists the request header fields that cross-origin requests
	// may carry beyond those Fetch safelists ("Content-Type" for a JSON
	// body, "Authorization", "X-Token"), compared without regard to case.
	// "*" allows any.
	Headers []string

	// ExposeHeaders lists the response header fields that scripts of an
	// allowed origin may read, beyond the safelisted Cache-Control,
	// Content-Language, Content-Length, Content-Type, Expires,
	// Last-Modified and Pragma. "*" exposes all of them, except with
	// Credentials, where it would mean a field named "*": that is a
	// programming error, and panics.
	ExposeHeaders []string

	// Credentials lets requests made with credentials (cookies, HTTP
	// authentication, fetch's credentials: "include") read their
	// responses: "Access-Control-Allow-Credentials: true".
	Credentials bool

	// MaxAge, if positive, is how long a browser may keep a preflight's
	// answer, sent in whole seconds as Access-Control-Max-Age (Chromium
	// keeps it at most 2 hours, Firefox 24). If zero, the field is not
	// sent, and browsers keep the answer for 5 seconds.
	MaxAge time.Duration
}

// CORS returns middleware, for [biplane.Mux.Use] or a single route, that
// answers browsers' cross-origin requests as the Fetch standard's CORS
// protocol (§3.2) describes:
//
//   - A preflight (an OPTIONS request with Origin and
//     Access-Control-Request-Method fields) is answered 204 by the
//     middleware, without reaching the handler. If the origin, the
//     method and every field named in Access-Control-Request-Headers are
//     allowed, the answer carries Access-Control-Allow-Origin,
//     -Allow-Methods, -Allow-Headers, -Allow-Credentials and -Max-Age as
//     opts say; otherwise it carries none of them, and the browser does
//     not send the request.
//   - Any other request goes to the handler. If it has an allowed
//     Origin, the handler's response gets Access-Control-Allow-Origin
//     (the origin, or "*"), and Access-Control-Allow-Credentials and
//     Access-Control-Expose-Headers as opts say; from another origin, or
//     without one, nothing of CORS, so a browser keeps the response from
//     the page that asked. A response that already has an
//     Access-Control-Allow-Origin field (the handler did CORS itself) is
//     left alone.
//   - As Fetch §3.2.5 asks of a server whose answer depends on the
//     Origin, every response gets "Vary: Origin", so that caches keep
//     one origin's answer from another; preflights vary on
//     Access-Control-Request-Method and -Headers too. With "*" the
//     answer does not depend on the origin: every response, whatever its
//     Origin, carries "Access-Control-Allow-Origin: *" and no Vary.
//
// CORS only tells browsers what they may show a page; it protects
// nothing from other clients, which ignore it. Authenticate requests
// that change things (see [BearerAuth]).
//
// With Mux.Use, the middleware also wraps the Mux's own answers: its
// automatic answer to OPTIONS (so preflights reach it whatever the
// routes' methods), and 404 and 405, so a page can read those too. To
// wrap a single route instead, register it without a method ("/config")
// so that its preflights come to it, or wrap an OPTIONS route of the same
// path too. The server's own refusals (400, 413, 431, …) go out before
// any handler, without CORS fields: a page sees them as network errors.
//
// The handler it returns for a [biplane.HeadHandler] (a route that takes
// its body as it arrives) is a HeadHandler too, deciding on the head: a
// preflight is answered there, and the fields are added to the response
// that accepts the body, which the final response carries.
//
// A request from a listed origin, or with "*", allocates nothing unless
// the handler's response already has header fields (then one copy of its
// Header). Origins that are not origins, and methods and header names
// that are not tokens (RFC 9110 §5.6.2), are programming errors, and
// panic.
func CORS(opts CORSOptions) func(biplane.Handler) biplane.Handler {
	p := newCORSPolicy(opts)
	return func(next biplane.Handler) biplane.Handler {
		if next == nil {
			panic("web: CORS around a nil handler")
		}
		if hh, ok := next.(biplane.HeadHandler); ok {
			return corsHead{cors{p, next}, hh}
		}
		return cors{p, next}
	}
}

// A corsPolicy is CORSOptions checked and turned into the fields that
// responses get, built once so that serving allocates nothing.
type corsPolicy struct {
	any         bool     // "*" among Origins
	origins     []string // the listed ones
	allow       func(string) bool
	anyMethod   bool // "*" among Methods
	methods     []string
	anyHeader   bool // "*" among Headers
	headers     []string
	credentials bool

	// Values of the fields, "" for a field not sent.
	allowMethods, allowHeaders, expose, maxAge string

	// Fields for a request with a listed origin, by its index in origins,
	// or with any origin if any is set; preflight ones only where the
	// answer does not reflect the request (no "*" method or header).
	actual, preflight [][]biplane.Field
	anyActual         []biplane.Field // with "*", on every response
	anyPreflight      []biplane.Field
}

// Fields every response whose answer depends on the origin gets.
var (
	varyOrigin    = []biplane.Field{{Name: "Vary", Value: "Origin"}}
	varyPreflight = []biplane.Field{{Name: "Vary", Value: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}
)

func newCORSPolicy(opts CORSOptions) *corsPolicy {
	p := &corsPolicy{allow: opts.AllowOrigin, credentials: opts.Credentials}
	for _, o := range opts.Origins {
		switch {
		case o == "*":
			p.any = true
		case !validOrigin(o):
			panic("web: CORS origin " + strconv.Quote(o) + " is not an origin: scheme://host[:port], no path, no trailing slash")
		default:
			p.origins = append(p.origins, o)
		}
	}
	if p.any && p.credentials {
		panic(`web: CORS with Credentials cannot allow every origin ("*"): browsers refuse "Access-Control-Allow-Origin: *" with credentials; list the origins`)
	}
	p.methods, p.anyMethod = tokens("method", opts.Methods)
	p.headers, p.anyHeader = tokens("header name", opts.Headers)
	expose, anyExpose := tokens("header name", opts.ExposeHeaders)
	if anyExpose && p.credentials {
		panic(`web: CORS with Credentials cannot expose every header ("*"): with credentials it names a field "*"; list the fields`)
	}
	p.allowMethods = strings.Join(p.methods, ", ")
	p.allowHeaders = strings.Join(p.headers, ", ")
	if anyExpose {
		expose = []string{"*"}
	}
	p.expose = strings.Join(expose, ", ")
	if opts.MaxAge > 0 {
		p.maxAge = strconv.FormatInt(int64(opts.MaxAge/time.Second), 10)
	}

	reflect := p.anyMethod || p.anyHeader
	if p.any {
		p.anyActual = p.actualFields(nil, "*")
		if !reflect {
			p.anyPreflight = p.preflightFields(nil, "*", "", "")
		}
		return p
	}
	for _, o := range p.origins {
		p.actual = append(p.actual, p.actualFields(varyOrigin, o))
		if !reflect {
			p.preflight = append(p.preflight, p.preflightFields(varyPreflight, o, "", ""))
		}
	}
	return p
}

// validOrigin reports whether o is a serialized origin (HTML §7.5,
// RFC 6454 §6.2): scheme "://" host [ ":" port ], or "null".
func validOrigin(o string) bool {
	if o == "null" {
		return true
	}
	scheme, host, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || host == "" {
		return false
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for i := 0; i < len(host); i++ {
		// No path, query, fragment, user info, space or control byte.
		if c := host[i]; c <= ' ' || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '@' || c == '\\' {
			return false
		}
	}
	return true
}

// tokens checks that each of list is a token (or "*"), and returns them
// without "*", and whether "*" was among them.
func tokens(what string, list []string) (toks []string, star bool) {
	for _, s := range list {
		switch {
		case s == "*":
			star = true
		case !ascii.IsToken(s):
			panic("web: CORS " + what + " " + strconv.Quote(s) + " is not a token")
		default:
			toks = append(toks, s)
		}
	}
	return toks, star
}

// actualFields returns the fields for a response to a request from
// origin: vary, then the CORS ones.
func (p *corsPolicy) actualFields(vary []biplane.Field, origin string) []biplane.Field {
	f := append(make([]biplane.Field, 0, len(vary)+3), vary...)
	f = append(f, biplane.Field{Name: "Access-Control-Allow-Origin", Value: origin})
	if p.credentials {
		f = append(f, biplane.Field{Name: "Access-Control-Allow-Credentials", Value: "true"})
	}
	if p.expose != "" {
		f = append(f, biplane.Field{Name: "Access-Control-Expose-Headers", Value: p.expose})
	}
	return f[:len(f):len(f)]
}

// preflightFields returns the fields for an allowed preflight from
// origin: vary, then the CORS ones. method and headers, if not empty,
// are sent in place of the lists (a "*" reflecting the request's).
func (p *corsPolicy) preflightFields(vary []biplane.Field, origin, method, headers string) []biplane.Field {
	f := append(make([]biplane.Field, 0, len(vary)+5), vary...)
	f = append(f, biplane.Field{Name: "Access-Control-Allow-Origin", Value: origin})
	if p.credentials {
		f = append(f, biplane.Field{Name: "Access-Control-Allow-Credentials", Value: "true"})
	}
	if method == "" {
		method = p.allowMethods
	}
	if method != "" {
		f = append(f, biplane.Field{Name: "Access-Control-Allow-Methods", Value: method})
	}
	if headers == "" {
		headers = p.allowHeaders
	}
	if headers != "" {
		f = append(f, biplane.Field{Name: "Access-Control-Allow-Headers", Value: headers})
	}
	if p.maxAge != "" {
		f = append(f, biplane.Field{Name: "Access-Control-Max-Age", Value: p.maxAge})
	}
	return f[:len(f):len(f)]
}

// origin returns the index in p.origins of the request's origin, or -1
// for one AllowOrigin allowed (then also the origin as a string), and
// whether it is allowed at all. It does not look at "*".
func (p *corsPolicy) origin(o []byte) (i int, s string, ok bool) {
	if len(o) == 0 {
		return 0, "", false
	}
	for i, allowed := range p.origins {
		if ascii.EqualFoldBoth(o, allowed) {
			return i, "", true
		}
	}
	if p.allow != nil {
		if s := string(o); p.allow(s) {
			return -1, s, true
		}
	}
	return 0, "", false
}

// isPreflight reports whether r is a CORS preflight request: OPTIONS
// with Origin and Access-Control-Request-Method (Fetch §3.2.2).
func isPreflight(r *biplane.Request) bool {
	return r.Method() == "OPTIONS" && r.Header("Origin") != nil &&
		r.Header("Access-Control-Request-Method") != nil
}

// answerPreflight answers a preflight: with the CORS fields if its
// origin, method and header names are allowed, else without.
func (p *corsPolicy) answerPreflight(r *biplane.Request) biplane.Response {
	refused := biplane.Response{Status: 204, Header: varyPreflight}
	if p.any {
		refused.Header = nil
	}
	method := ascii.TrimOWS(r.Header("Access-Control-Request-Method"))
	if !p.methodAllowed(method) {
		return refused
	}
	reqHeaders := ascii.TrimOWS(r.Header("Access-Control-Request-Headers"))
	if !p.headersAllowed(reqHeaders) {
		return refused
	}
	var i int
	var s string
	if !p.any {
		var ok bool
		if i, s, ok = p.origin(r.Header("Origin")); !ok {
			return refused
		}
	}
	if p.anyMethod || p.anyHeader || i < 0 {
		// The answer reflects the request, or names an origin that no
		// list holds: built for it.
		var m, h string
		if p.anyMethod {
			m = string(method)
		}
		if p.anyHeader && len(reqHeaders) > 0 {
			h = string(reqHeaders)
		}
		vary, origin := varyPreflight, s
		if p.any {
			vary, origin = nil, "*"
		} else if i >= 0 {
			origin = p.origins[i]
		}
		return biplane.Response{Status: 204, Header: p.preflightFields(vary, origin, m, h)}
	}
	if p.any {
		return biplane.Response{Status: 204, Header: p.anyPreflight}
	}
	return biplane.Response{Status: 204, Header: p.preflight[i]}
}

// methodAllowed reports whether a preflight may ask for method: a
// CORS-safelisted one (Fetch §2.2.1), a listed one, or any token with
// "*".
func (p *corsPolicy) methodAllowed(m []byte) bool {
	if !ascii.IsToken(m) {
		return false
	}
	switch string(m) {
	case "GET", "HEAD", "POST":
		return true
	}
	if p.anyMethod {
		return true
	}
	for _, allowed := range p.methods {
		if string(m) == allowed {
			return true
		}
	}
	return false
}

// headersAllowed reports whether every name in the comma-separated list
// v (a preflight's Access-Control-Request-Headers) is allowed.
func (p *corsPolicy) headersAllowed(v []byte) bool {
	for name := range ascii.Elements(v) {
		if !ascii.IsToken(name) {
			return false
		}
		if p.anyHeader {
			continue
		}
		found := false
		for _, allowed := range p.headers {
			if ascii.EqualFoldBoth(name, allowed) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// decorate adds the CORS fields for r to resp, a handler's response.
func (p *corsPolicy) decorate(r *biplane.Request, resp *biplane.Response) {
	for _, f := range resp.Header {
		if ascii.EqualFold(f.Name, "access-control-allow-origin") {
			return // the handler did CORS itself
		}
	}
	var fields []biplane.Field
	switch {
	case p.any:
		fields = p.anyActual
	default:
		i, s, ok := p.origin(r.Header("Origin"))
		switch {
		case !ok:
			fields = varyOrigin
		case i >= 0:
			fields = p.actual[i]
		default:
			fields = p.actualFields(varyOrigin, s)
		}
	}
	if len(resp.Header) == 0 {
		resp.Header = fields
		return
	}
	// Never into the spare room of the handler's array, which may be
	// shared (a package-level slice of fields).
	h := make([]biplane.Field, 0, len(resp.Header)+len(fields))
	resp.Header = append(append(h, resp.Header...), fields...)
}

// cors is CORS's middleware around a Handler.
type cors struct {
	p    *corsPolicy
	next biplane.Handler
}

// Respond answers a preflight, or passes r to the handler and adds the
// CORS fields to its response.
func (c cors) Respond(r *biplane.Request) biplane.Response {
	if isPreflight(r) {
		return c.p.answerPreflight(r)
	}
	resp := c.next.Respond(r)
	c.p.decorate(r, &resp)
	return resp
}

// corsHead is CORS's middleware around a HeadHandler, itself one.
type corsHead struct {
	cors
	hh biplane.HeadHandler
}

// RespondHead answers a preflight on its head, or passes r to the
// handler's RespondHead and adds the CORS fields to a response it gives;
// for a body the handler leaves to be buffered, Respond adds them later.
func (c corsHead) RespondHead(r *biplane.Request) (biplane.Response, bool) {
	if isPreflight(r) {
		return c.p.answerPreflight(r), true
	}
	resp, ok := c.hh.RespondHead(r)
	if ok {
		c.p.decorate(r, &resp)
	}
	return resp, ok
}
