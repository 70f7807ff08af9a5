package biplane

import (
	"errors"
	"net/netip"
	"time"
)

// This file is the whole contract between the server and a transport: the
// two interfaces every transport implements ([Listener], [Conn]), the seven
// the server looks for and what it does without each ([Waiter], [Waker],
// [AcceptCloser], [CloseWriter], [VectorWriter], [FileSender], [Tagger]),
// and the rules all of them keep, stated once on [Listener] and [Conn].
// Package internal/transporttest checks them; every transport in this
// module runs it.

// ErrWouldBlock is returned by a [Listener] or [Conn] when the operation
// cannot make progress without blocking. It is not a failure: the server
// tries again on a later step, or after a [Waiter] reports readiness.
// Transports return it as it is, never wrapped: the server compares with ==.
var ErrWouldBlock = errors.New("biplane: operation would block")

// A Listener hands out new connections without blocking.
//
// Accept returns a new connection, or [ErrWouldBlock] when none is pending.
// Any other error ends the server's loop with that error, unless it has a
// method Temporary() bool that reports true (out of descriptors, say), in
// which case the server tries again a little later. After Close, Accept
// (and a Waiter's Wait) return an error that is not ErrWouldBlock and not
// temporary; connections accepted before stay open until they are closed
// themselves. Closing a closed Listener returns nil.
//
// A Listener and its connections belong to the goroutine of the server's
// loop: the server never calls their methods from two goroutines at once,
// so a transport locks only against goroutines of its own. The one
// exception is [Waker.Wake].
type Listener interface {
	Accept() (Conn, error)
	Close() error
}

// A Conn is one non-blocking byte stream, usually a TCP connection. Every
// transport keeps these rules; the server relies on each.
//
// Never block. No method waits for the peer. A transport over blocking
// calls bounds each by a short deadline of its own (tinysock's Poll) and
// turns its expiry into [ErrWouldBlock] when nothing moved, or into an
// error when what moved is unknown (a send that timed out). A Conn has no
// deadlines the server sets: the server keeps its own clock (see [Limits])
// and closes a connection that runs out of time.
//
// Read returns n > 0 bytes and a nil error, or 0 and one of: ErrWouldBlock
// when no bytes are available yet; io.EOF, unwrapped, once the peer has
// finished sending and every byte it sent has been read; or an error for a
// connection that failed, such as a reset. The end is final: after io.EOF
// or a failure, Read returns io.EOF or an error, never bytes or
// ErrWouldBlock, so bytes that arrive with the news of the end are
// returned first and the end on the next call. A transport never reports
// the end as ErrWouldBlock.
//
// Write returns len(p) and a nil error, or n < len(p) and a non-nil error:
// ErrWouldBlock when the peer's window is full (or the transport gives the
// loop a turn between pieces, as tinysock does), or the failure. The n
// bytes it counts are sent, in order, once; the rest of p is not. A write
// to a peer that has gone fails: at once, or after the bytes a buffering
// transport took before it knew (netsock's fallback), but not never. The
// server never reads or writes an empty p.
//
// Close releases the connection at once and never waits: unsent bytes may
// be dropped, or sent in the background for a bounded time. It may come
// while the transport has a read of its own outstanding (a goroutine
// blocked in a driver's read, a registration with the kernel): Close does
// not wait for it, its bytes are dropped, and a [Waiter] never reports the
// connection again, even when its descriptor number is reused by the next
// one. After Close, Read and Write return an error, never ErrWouldBlock or
// io.EOF; closing again returns nil.
type Conn interface {
	Read(p []byte) (n int, err error)
	Write(p []byte) (n int, err error)
	Close() error
	// RemoteAddr returns the peer's address, or the zero AddrPort where the
	// transport has none (Unix sockets, in-memory pipes).
	RemoteAddr() netip.AddrPort
}

// A CloseWriter is a [Conn] that can stop sending while still receiving
// (TCP's shutdown(SHUT_WR)): the peer reads what was written, then the end
// of the stream, while Read goes on working; Write fails from then on.
//
// The server uses it for a lingering close: after its last response it
// sends FIN and discards what the peer still sends for a moment, so that
// the peer reads the response instead of a reset (RFC 9112 §9.6). Without
// it, the server closes at once, and a peer whose request the server did
// not read to the end may see a reset and lose the response.
type CloseWriter interface {
	CloseWrite() error
}

// A VectorWriter is a [Conn] that can write several buffers in one call
// (writev(2), sendmsg(2)). Writev writes the concatenation of bufs, some of
// which may be empty, under the same rules as Write: it returns the total
// count written, which is that of all the bytes when the error is nil, with
// ErrWouldBlock or the failure when it is less.
//
// The server uses it to send a response's head from its write buffer and a
// large body in place, in one system call. Without it, the server writes
// them with two calls of Write, which costs a system call more but sends
// the same bytes.
type VectorWriter interface {
	Writev(bufs [][]byte) (int, error)
}

// A Waiter is a [Listener] that can block until it or one of the
// connections it accepted is ready. The server uses it in [Server.Wait] and
// [Server.Serve] so that an idle server burns no CPU, and advances only the
// connections it reports. Without one the server polls every connection
// in turn, and [Server.Wait] sleeps at most a millisecond after a step that
// found nothing to do.
//
// Wait blocks for at most timeout (a negative timeout means no limit, zero
// means do not block), and may return sooner. It appends to ready each
// connection that may have become readable or writable since it was last
// reported (bytes, the end of the stream, a failure, or room to write),
// reports whether Accept may succeed (a connection is pending, or Accept
// would fail), and returns an error only when the listener cannot wait any
// more, such as after Close. A connection is reported as the very value
// Accept returned for it, since the server looks it up by ==, and never
// after it was closed.
//
// Reports are edge-triggered: a connection is reported again only after a
// Read or Write on it returned [ErrWouldBlock] and it then became ready,
// and the listener only after Accept returned ErrWouldBlock. No edge may be
// lost: a change that comes after the would-block, even while a Wait is
// collecting its reports, is reported by that Wait or the next. Spurious
// reports are allowed, and a report may cover several changes. In a
// steady state, once ready has room, Wait does not allocate, so that an
// idle server allocates nothing.
type Waiter interface {
	Wait(ready []Conn, timeout time.Duration) (_ []Conn, acceptable bool, err error)
}

// A Waker is a [Waiter] whose Wait can be cut short from another
// goroutine. Wake makes a Wait in progress, or the next one, return soon,
// with nothing reported for the wake itself; wakes before a Wait collapse
// into one early return. It is safe to call from any goroutine, any number
// of times, also while Wait or Close runs, never blocks and does not
// allocate; after Close it does nothing and returns an error.
//
// [Server.Shutdown] uses it, so that a loop asleep in Wait notices at once.
// Without one, [Server.Serve] waits in slices of 50 ms, so a Shutdown from
// another goroutine is noticed within that.
type Waker interface {
	Wake() error
}

// An AcceptCloser is a [Listener] that can stop accepting while the
// connections it accepted go on being served: CloseAccept closes the
// listening socket (so new connections are refused by the system, and
// those queued but not accepted are closed), but Read, Write, Wait and
// Wake keep working for established ones until Close. From then on Accept
// returns a final error and Wait never reports that Accept may succeed.
// Calling it again, or after Close, returns nil.
//
// [Server.Shutdown] uses it to drain gracefully. Without it, the server
// stops calling Accept but the listening socket stays open until Close:
// new connections wait in its queue meanwhile and are reset then.
type AcceptCloser interface {
	CloseAccept() error
}

// A FileSender is a [Conn] that can send a file's bytes to the peer
// without their passing through the program (sendfile(2)). SendFile
// writes head, then n bytes of the regular file open as descriptor fd
// from offset off, as [VectorWriter]'s Writev writes its buffers: it
// returns the count written, head's bytes first, which is len(head)+n
// when the error is nil, with [ErrWouldBlock] or the failure when it is
// less. It leaves the file's own offset alone. A file that ends before
// off+n fails it with io.ErrUnexpectedEOF once the bytes up to its end
// are written. head may be empty; n is never zero. more says that the
// file's next bytes follow in another call as soon as this one has
// written everything: the transport may hold back a last packet that is
// not full until then (TCP_CORK), and sends everything once a call
// with more false has.
//
// The server uses it for a [Response.Stream], sent with its Length, that
// has a method
//
//	FileSection() (fd uintptr, off int64)
//
// saying that the stream is Length bytes of the regular file open as fd,
// from offset off (static.Server's files on disk say so): once its head is
// queued, the server sends them with SendFile, the head in the same call,
// in pieces of at most 256 KiB, one per round of the connection, under the
// write timeout of any output. It never calls the Stream's Read then, and
// the descriptor must stay open until the server closes the Stream.
// Without a FileSender, the server reads the Stream into its write buffer
// as any other: the same bytes, with a copy and more system calls.
type FileSender interface {
	SendFile(head []byte, fd uintptr, off, n int64, more bool) (int64, error)
}

// A Tagger is a [Conn] that keeps one number for the server. The server
// stores its index of the connection there with SetTag when it starts
// serving it, and again whenever the index changes; Tag returns what
// SetTag stored last, or 0 before the first. When a [Waiter] reports the
// connection, the server finds its state by that index in constant time.
//
// Without it, the server keeps a map from each Conn to its state: about
// 40 bytes more per connection (and the map's growth), and an interface
// hashed for every report. Connections of a transport that serves
// thousands of them should implement it; it costs a uint32.
type Tagger interface {
	Tag() uint32
	SetTag(tag uint32)
}
