package biplane

import "time"

// Limits bounds what one client may make the server hold or wait for. Each
// zero field means the documented default. Every limit is enforced before
// the input that would exceed it is buffered.
type Limits struct {
	// MaxRequestLine is the longest request line, CRLF included. Longer
	// lines are answered 414 URI Too Long (RFC 9112 §3) and the connection
	// is closed. If zero, 8 KiB is used.
	MaxRequestLine int

	// MaxHeaderBytes bounds the header section after the request line,
	// including its final empty line. A larger section is answered 431
	// Request Header Fields Too Large (RFC 6585 §5) and the connection is
	// closed. Chunked trailers count against it too. If zero, 8 KiB is used.
	MaxHeaderBytes int

	// MaxHeaderFields bounds the number of header field lines. More are
	// answered 431 and the connection is closed. If zero, 100 is used.
	MaxHeaderFields int

	// MaxBodyBytes bounds a request body. A Content-Length above it is
	// answered 413 Content Too Large (RFC 9110 §15.5.14) without reading
	// the body, and the connection is closed; a chunked body is cut off
	// with 413 as soon as it grows past it. If zero, 1 MiB is used.
	MaxBodyBytes int

	// RequestTimeout bounds the time from a request's first byte to the
	// end of its head, and the time a body may go without a byte arriving.
	// A body is also given MinBodyRate: see there. A request still
	// incomplete then is answered 408 Request Timeout (RFC 9110 §15.5.9)
	// and the connection is closed. If zero, 10 s is used.
	RequestTimeout time.Duration

	// MinBodyRate is the slowest, in bytes per second, that a request body
	// may arrive and still take longer than RequestTimeout: each byte of
	// it extends the request's deadline by 1/MinBodyRate seconds, but
	// never beyond RequestTimeout after the last byte that arrived. So a
	// 1 GiB upload that keeps coming is never cut, while a body that
	// stalls for RequestTimeout, or trickles at a fraction f of this rate,
	// is answered 408 after RequestTimeout/(1-f) from the request's first
	// byte. Time the program holds a body back (a [Receiver] returning
	// [ErrWouldBlock]) does not count. If zero, 1 KiB/s is used.
	MinBodyRate int

	// IdleTimeout bounds how long a keep-alive connection may wait for its
	// next request. It is then closed without a response (RFC 9112 §9.5).
	// If zero, 60 s is used.
	IdleTimeout time.Duration

	// WriteTimeout bounds how long the peer may take to accept any part of
	// a pending response; each byte it accepts restarts the clock, so a
	// slow but live reader still gets everything. A peer that stops
	// reading is closed when it passes. If zero, 10 s is used.
	WriteTimeout time.Duration

	// MaxConns bounds the open connections. A connection accepted beyond
	// it is answered 503 Service Unavailable with Retry-After and closed;
	// while 64 such answers are already under way, further ones are closed
	// without an answer, so a flood costs bounded memory. If zero, 1024 is
	// used.
	MaxConns int

	// ReadBufferSize is the initial size of a connection's read buffer,
	// taken from a pool while a request is in flight. It grows as bytes
	// arrive, up to what the limits above allow for one request. If zero,
	// 4 KiB is used.
	ReadBufferSize int

	// WriteBufferSize is the size of a connection's write buffer, where
	// response heads and small bodies are gathered so that pipelined
	// responses leave in one write. Larger bodies are written from the
	// handler's slice without a copy. If zero, 4 KiB is used.
	WriteBufferSize int
}

// Default values of [Limits].
const (
	DefaultMaxRequestLine  = 8 << 10
	DefaultMaxHeaderBytes  = 8 << 10
	DefaultMaxHeaderFields = 100
	DefaultMaxBodyBytes    = 1 << 20
	DefaultRequestTimeout  = 10 * time.Second
	DefaultMinBodyRate     = 1 << 10
	DefaultIdleTimeout     = 60 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxConns        = 1024
	DefaultReadBufferSize  = 4 << 10
	DefaultWriteBufferSize = 4 << 10
)

// withDefaults returns l with every zero or negative field replaced by its default.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxRequestLine, DefaultMaxRequestLine)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&l.MaxHeaderFields, DefaultMaxHeaderFields)
	def(&l.MaxBodyBytes, DefaultMaxBodyBytes)
	defDur(&l.RequestTimeout, DefaultRequestTimeout)
	def(&l.MinBodyRate, DefaultMinBodyRate)
	defDur(&l.IdleTimeout, DefaultIdleTimeout)
	defDur(&l.WriteTimeout, DefaultWriteTimeout)
	def(&l.MaxConns, DefaultMaxConns)
	def(&l.ReadBufferSize, DefaultReadBufferSize)
	def(&l.WriteBufferSize, DefaultWriteBufferSize)
	return l
}
