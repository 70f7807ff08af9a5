package biplane

import (
	"net/netip"
	"time"
)

// A ResponseInfo is the server's report of one response, for
// [Server.OnResponse]: every response it sends, the handlers' and its own
// refusals and timeouts alike; a streamed or upgraded one when it ends.
type ResponseInfo struct {
	// Method and Target are the request's, as received, or empty where the
	// server refused the request before it had them (a request line too
	// long, a connection over MaxConns). They are valid only during the
	// call.
	Method, Target []byte

	// Proto is "HTTP/1.1" or "HTTP/1.0", or "" where the request line was
	// not read.
	Proto string

	// Status is the response's status code.
	Status int

	// Bytes counts the response's bytes, head and body (chunk framing
	// included): those queued for the client, or for a stream, those it
	// produced before it ended.
	Bytes int64

	// Duration runs from the request's first byte to the report: to the
	// response being queued, or for a stream to its end.
	Duration time.Duration

	// Remote is the peer's address, or the zero AddrPort where the
	// transport has none.
	Remote netip.AddrPort

	// Refused is true for the server's own answers (400, 408, 413, 414,
	// 417, 431, 500 for a handler that panicked or answered wrongly, 501,
	// 503, 505) rather than a handler's.
	Refused bool

	// Close says why the connection closes after this response, or is
	// empty if it stays open: "client asked" (Connection: close, or
	// HTTP/1.0 without keep-alive), "handler asked", "shutting down",
	// "body not read" (refused on its head, a body too large to discard),
	// "end of stream" (a stream to an HTTP/1.0 client, ended by the close),
	// "stream failed", "upgraded" (the protocol ended), "connection lost"
	// (an error, a timeout, or the server's Close ended a stream), or, for
	// the server's refusals, "refused".
	Close string
}

// Reasons for ResponseInfo.Close.
const (
	closeClient   = "client asked"
	closeHandler  = "handler asked"
	closeDraining = "shutting down"
	closeUnread   = "body not read"
	closeStreamed = "end of stream"
	closeFailed   = "stream failed"
	closeUpgraded = "upgraded"
	closeLost     = "connection lost"
	closeRefused  = "refused"
)

// A logLine keeps a request's method and target for reports made after
// its bytes may be gone: a stream's end, a refusal of its body.
type logLine struct {
	buf    []byte // method, then target
	method int    // length of the method in buf
	proto  string
	start  int64 // the request's first byte, ns since Server.base
}

// keep copies req's method and target into l, reusing its storage.
func (l *logLine) keep(req *Request, start int64) {
	m := req.method.of(req.buf)
	l.buf = append(append(l.buf[:0], m...), req.target.of(req.buf)...)
	l.method, l.proto, l.start = len(m), req.Proto(), start
}

// report calls s.OnResponse about a response described by l.
func (s *Server) report(c *conn, l *logLine, status int, bytes int64, refused bool, why string) {
	ri := &s.info
	*ri = ResponseInfo{Status: status, Bytes: bytes, Remote: c.nc.RemoteAddr(), Refused: refused, Close: why}
	if l != nil {
		ri.Method, ri.Target, ri.Proto = l.buf[:l.method], l.buf[l.method:], l.proto
		ri.Duration = time.Duration(s.now - l.start)
	}
	s.OnResponse(ri)
	*ri = ResponseInfo{}
}
