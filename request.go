package biplane

import (
	"iter"
	"net/netip"
	"net/url"

	"github.com/biplane-go/biplane/internal/ascii"
)

// maxParams bounds the wildcards one route pattern may have.
const maxParams = 8

// A Request is one parsed request, handed to a [Handler].
//
// Its byte slices are views into the connection's buffer: valid until the
// handler returns, never to be kept after it (copy what you keep). They are
// what makes the request path allocation-free.
type Request struct {
	buf           []byte // the request's bytes, starting at the request line
	method        span
	target        span
	authority     span // absolute-form only
	path          span
	query         span
	host          span
	minor         uint8 // HTTP/1.minor
	flags         uint8
	keepAlive     bool // "Connection: keep-alive" was present
	buffer        bool // a HeadHandler inside middleware left the body to be buffered
	fields        []field
	contentLength int64 // -1 for chunked until the body is complete
	body          []byte
	srv           *Server
	conn          *conn

	params  [maxParams]param
	nparams int
	pattern string

	decoded []byte // Path with percent-encoding decoded, if it had any
	values  url.Values
	parsedQ bool
}

type param struct {
	name  string
	value span
}

// reset clears r for the next request, keeping its reusable storage.
func (r *Request) reset() {
	// Field by field: *r = Request{…} builds a zeroed copy and copies it
	// over under TinyGo, some 300 bytes twice. params needs no clearing:
	// nparams = 0 empties it.
	r.buf = nil
	r.method, r.target, r.authority, r.path, r.query, r.host = span{}, span{}, span{}, span{}, span{}, span{}
	r.minor, r.flags, r.keepAlive, r.buffer = 0, 0, false, false
	r.fields, r.contentLength, r.body = nil, 0, nil
	r.srv, r.conn = nil, nil
	r.nparams, r.pattern = 0, ""
	r.decoded, r.values, r.parsedQ = r.decoded[:0], nil, false
}

// Method returns the request method. The standard methods return constants,
// so comparing them allocates nothing; an extension method allocates.
func (r *Request) Method() string {
	m := r.method.of(r.buf)
	switch string(m) {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "OPTIONS":
		return "OPTIONS"
	case "CONNECT":
		return "CONNECT"
	case "TRACE":
		return "TRACE"
	}
	return string(m)
}

// Target returns the request-target exactly as received (RFC 9112 §3.2).
func (r *Request) Target() []byte { return r.target.of(r.buf) }

// Proto returns "HTTP/1.0" or "HTTP/1.1".
func (r *Request) Proto() string {
	if r.minor == 0 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// Path returns the target's path with percent-encoding decoded, as
// net/url's URL.Path does: "/" for an absolute-form target with an empty
// path, "*" for an asterisk-form target.
func (r *Request) Path() []byte {
	raw := r.RawPath()
	for i, c := range raw {
		if c == '%' {
			r.decoded = unescape(append(r.decoded[:0], raw...), i)
			return r.decoded
		}
	}
	return raw
}

// RawPath returns the target's path as received, percent-encoding intact.
func (r *Request) RawPath() []byte {
	if r.path.end == 0 {
		return []byte("/")
	}
	return r.path.of(r.buf)
}

// unescape decodes %XX sequences in b from index i on, in place. The parser
// has already checked that each '%' starts a valid sequence.
func unescape(b []byte, i int) []byte {
	j := i
	for i < len(b) {
		if b[i] == '%' && i+2 < len(b) {
			b[j] = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 3
		} else {
			b[j] = b[i]
			i++
		}
		j++
	}
	return b[:j]
}

// RawQuery returns the query without its leading '?', encoded as received.
func (r *Request) RawQuery() []byte { return r.query.of(r.buf) }

// Query returns the query parameters, parsed on first use with
// [url.ParseQuery] (malformed pairs are skipped). It allocates; the result
// is cached for the request.
func (r *Request) Query() url.Values {
	if !r.parsedQ {
		r.values, _ = url.ParseQuery(string(r.RawQuery()))
		r.parsedQ = true
	}
	return r.values
}

// Host returns the authority of an absolute-form target if there is one,
// else the Host header field (RFC 9110 §7.2), else nil.
func (r *Request) Host() []byte {
	if r.flags&flagAbsolute != 0 {
		return r.authority.of(r.buf)
	}
	if r.flags&flagHost == 0 {
		return nil
	}
	return r.host.of(r.buf)
}

// Header returns the value of the first header field named name, compared
// without regard to case, or nil if there is none.
func (r *Request) Header(name string) []byte {
	for _, f := range r.fields {
		if ascii.EqualFoldBoth(f.name.of(r.buf), name) {
			return f.value.of(r.buf)
		}
	}
	return nil
}

// Headers returns an iterator over the header fields in the order received,
// names as sent and values without surrounding whitespace.
func (r *Request) Headers() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		for _, f := range r.fields {
			if !yield(f.name.of(r.buf), f.value.of(r.buf)) {
				return
			}
		}
	}
}

// ContentLength returns the body's length: the Content-Length field's value,
// or the decoded length of a chunked body once it is complete; -1 for a
// chunked body before then.
func (r *Request) ContentLength() int64 { return r.contentLength }

// Chunked reports whether the body was sent with the chunked transfer
// coding (RFC 9112 §7.1).
func (r *Request) Chunked() bool { return r.flags&flagChunked != 0 }

// Close reports whether the connection closes after this request: the
// client sent "Connection: close", or spoke HTTP/1.0 without asking for
// keep-alive (RFC 9112 §9.3).
func (r *Request) Close() bool { return r.flags&flagClose != 0 }

// Body returns the request body, complete. Its length is at most
// [Limits].MaxBodyBytes.
func (r *Request) Body() []byte { return r.body }

// RemoteAddr returns the peer's address, or the zero AddrPort if the
// transport has none. It asks the connection, so a request that is not
// asked pays nothing for it.
func (r *Request) RemoteAddr() netip.AddrPort {
	if r.conn == nil {
		return netip.AddrPort{}
	}
	return r.conn.nc.RemoteAddr()
}

// Wakeup returns a handle on the response to this request, for a handler
// that answers with a [Response.Stream] or an [Upgrade] fed from
// elsewhere in the program: keep it, and call Wake when there is more to
// send. Unlike the request, it stays valid after the handler returns.
func (r *Request) Wakeup() Wakeup {
	if r.conn == nil {
		return Wakeup{}
	}
	return Wakeup{r.srv, r.conn, r.conn.requests}
}

// Pattern returns the route pattern that matched, as registered with
// [Mux.Handle], or "" if the request did not go through a [Mux].
func (r *Request) Pattern() string { return r.pattern }

// PathValue returns the value of the wildcard name in the matched pattern,
// percent-decoded, or "" if there is none. It allocates the string.
func (r *Request) PathValue(name string) string {
	for _, p := range r.params[:r.nparams] {
		if p.name == name {
			v := p.value.of(r.buf)
			for i, c := range v {
				if c == '%' {
					return string(unescape(append([]byte(nil), v...), i))
				}
			}
			return string(v)
		}
	}
	return ""
}
