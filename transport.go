package biplane

import (
	"errors"
	"net/netip"
	"time"
)

// ErrWouldBlock is returned by a [Listener] or [Conn] when the operation
// cannot make progress without blocking. It is not a failure: the server
// tries again on a later step, or after a [Waiter] reports readiness.
var ErrWouldBlock = errors.New("biplane: operation would block")

// A Listener hands out new connections without blocking.
//
// Accept returns [ErrWouldBlock] when no connection is pending. Any other
// error ends the server's loop unless it has a method Temporary() bool that
// reports true, in which case the server retries a little later.
type Listener interface {
	Accept() (Conn, error)
	Close() error
}

// A Conn is one non-blocking byte stream, usually a TCP connection.
//
// Read returns (0, [ErrWouldBlock]) when no bytes are available and
// (0, io.EOF) once the peer has finished sending. Write may accept part of p;
// it returns [ErrWouldBlock] with the count written when the peer's window is
// full. Neither ever blocks. Close releases the connection at once.
type Conn interface {
	Read(p []byte) (n int, err error)
	Write(p []byte) (n int, err error)
	Close() error
	// RemoteAddr returns the peer's address, or the zero AddrPort where the
	// transport has none (Unix sockets, in-memory pipes).
	RemoteAddr() netip.AddrPort
}

// A CloseWriter is a [Conn] that can stop sending while still receiving
// (TCP's shutdown(SHUT_WR)). The server uses it for a lingering close: after
// its last response it sends FIN and discards what the peer still sends for
// a moment, so that the peer reads the response instead of a reset
// (RFC 9112 §9.6).
type CloseWriter interface {
	CloseWrite() error
}

// A Waiter is a [Listener] that can block until it or one of the connections
// it accepted is ready. The server uses it in [Server.Wait] and [Server.Serve]
// so that an idle server burns no CPU; without one the server polls every
// connection in turn.
//
// Wait blocks for at most timeout (a negative timeout means no limit, zero
// means do not block). It appends to ready each connection that may have
// become readable or writable, or closed, since it was last reported, and
// reports whether Accept may succeed. Reports are edge-triggered: a
// connection is reported again only after a Read or Write on it returned
// [ErrWouldBlock] and it then became ready. Spurious reports are allowed.
type Waiter interface {
	Wait(ready []Conn, timeout time.Duration) (_ []Conn, acceptable bool, err error)
}

// A Waker is a [Waiter] whose Wait can be cut short from another
// goroutine. Wake makes a Wait in progress, or the next one, return soon;
// it is safe to call from any goroutine, any number of times.
// [Server.Shutdown] uses it, so that a loop asleep in Wait notices at once.
type Waker interface {
	Wake() error
}

// An AcceptCloser is a [Listener] that can stop accepting while the
// connections it accepted go on being served: CloseAccept closes the
// listening socket (so new connections are refused by the system), but
// Read, Write and Wait keep working for established ones until Close.
// [Server.Shutdown] uses it to drain gracefully.
type AcceptCloser interface {
	CloseAccept() error
}
