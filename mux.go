package biplane

import "strings"

// Use adds middleware to the Mux: each mw wraps every route's handler and
// the Mux's own answers (404, 405, OPTIONS), the first added outermost,
// so that
//
//	mux.Use(logRequests, web.CORS(cors))
//
// runs logRequests, then the CORS check, then the route. Per-route
// wrapping is as usual: mux.Handle("/admin/", auth(h)) runs auth inside
// the Mux's middleware. Use must be called before serving.
//
// Middleware sees each request once: for a route whose handler is a
// [HeadHandler] (one that takes its body as it arrives, say), on its head,
// before the body is read, so that middleware refusing the request
// (authentication, CORS) spares the body; the [Response.Receive] it then
// passes back is opaque to it, but header fields it adds to that response
// are added to the final one. For every other route, once the body is
// complete. Middleware that needs the body itself belongs on such routes.
func (m *Mux) Use(mw ...func(Handler) Handler) {
	for _, f := range mw {
		if f == nil {
			panic("biplane: nil middleware")
		}
	}
	m.mws = append(m.mws, mw...)
	for i := range m.routes {
		m.wrapRoute(&m.routes[i])
	}
	m.wrapOwn()
}

// wrap wraps h in the middleware. The Mux does it as routes and
// middleware are added, never while serving, so that several loops may
// share a Mux.
func (m *Mux) wrap(h Handler) Handler {
	for i := len(m.mws) - 1; i >= 0; i-- {
		h = m.mws[i](h)
	}
	return h
}

// wrapRoute wraps rt's handler in the middleware.
func (m *Mux) wrapRoute(rt *route) {
	rt.chain, rt.head = m.wrap(rt.h), nil
	if hh, ok := rt.h.(HeadHandler); ok {
		rt.head = m.wrap(headCall{hh})
	}
}

// wrapOwn wraps the Mux's own answers in the middleware.
func (m *Mux) wrapOwn() {
	m.notFound = m.wrap(HandlerFunc(m.answerNotFound))
	m.notAllowed = m.wrap(HandlerFunc(m.answerNotAllowed))
	m.opts = m.wrap(HandlerFunc(m.answerOptions))
}

// headCall calls a HeadHandler's RespondHead as a Handler, inside the
// middleware, marking a request it leaves to be buffered.
type headCall struct{ h HeadHandler }

func (c headCall) Respond(r *Request) Response {
	resp, ok := c.h.RespondHead(r)
	r.buffer = !ok
	return resp
}

// Respond routes r to the most specific matching handler, or answers 404
// or 405, or an OPTIONS request with the methods its path allows.
func (m *Mux) Respond(r *Request) Response {
	var resp Response
	m.respondTo(r, &resp)
	return resp
}

// respondTo is Respond answering into *resp. The server calls it for a
// Mux, to spare the copy of the Response that returning through Respond
// would make. (Calling a route's HandlerFunc directly would spare one
// more, 50 instructions, but TinyGo then gives the call ARM unwind tables
// that the pico's link cannot resolve: scripts/boards.sh.)
func (m *Mux) respondTo(r *Request, resp *Response) {
	best := m.match(r)
	if best == nil {
		*resp = m.refusal(r).Respond(r)
		return
	}
	*resp = best.chain.Respond(r)
}

// RespondHead routes r on its head, before its body is read: the answers
// of Respond to a path no route takes are sent at once, without reading
// the body; a route whose handler is a [HeadHandler] is asked in turn; any
// other route has its body buffered.
func (m *Mux) RespondHead(r *Request) (Response, bool) {
	best := m.match(r)
	switch {
	case best == nil:
		return m.refusal(r).Respond(r), true
	case best.head == nil:
		return Response{}, false
	}
	resp := best.head.Respond(r)
	if r.buffer {
		r.buffer = false
		return Response{}, false
	}
	return resp, true
}

// refusal returns the handler for a request that no route takes: 405 if
// patterns for other methods match its path, the automatic OPTIONS answer
// if that is the method, else 404.
func (m *Mux) refusal(r *Request) Handler {
	path, off := r.RawPath(), r.path.start
	pathMatched := false
	for i := range m.routes {
		if m.routes[i].match(r, path, off) {
			pathMatched = true
			break
		}
	}
	r.nparams = 0
	switch {
	case m.notFound == nil: // a Mux without routes or middleware
		return HandlerFunc(m.answerNotFound)
	case !pathMatched:
		return m.notFound
	case eqString(r.method.of(r.buf), "OPTIONS"):
		return m.opts
	}
	return m.notAllowed
}

var (
	notFoundBody = []byte("404 page not found\n")
	notAllowed   = []byte("405 method not allowed\n")
)

func (m *Mux) answerNotFound(r *Request) Response {
	if m.NotFound != nil {
		return m.NotFound.Respond(r)
	}
	return Response{Status: 404, ContentType: "text/plain; charset=utf-8", Body: notFoundBody}
}

func (m *Mux) answerNotAllowed(r *Request) Response {
	resp := Response{Status: 405, ContentType: "text/plain; charset=utf-8", Body: notAllowed}
	if m.MethodNotAllowed != nil {
		resp = m.MethodNotAllowed.Respond(r)
	}
	allow := Field{"Allow", m.allow(r, r.RawPath(), r.path.start)}
	resp.Header = append(resp.Header[:len(resp.Header):len(resp.Header)], allow)
	return resp
}

// answerOptions answers an OPTIONS request that no route takes, for a
// path that routes of other methods take, with 204 and the methods in
// Allow (RFC 9110 §9.3.7).
func (m *Mux) answerOptions(r *Request) Response {
	allow := m.allow(r, r.RawPath(), r.path.start)
	if !strings.Contains(allow, "OPTIONS") {
		allow += ", OPTIONS"
	}
	return Response{Status: 204, Header: []Field{{"Allow", strings.TrimPrefix(allow, ", ")}}}
}
