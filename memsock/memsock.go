// Package memsock is an in-memory transport for biplane, for tests,
// examples and platforms without sockets.
//
// A [Listener] hands out connections created by [Listener.Dial]. Each
// connection is a pair of bounded byte buffers, one per direction. The
// server's end is non-blocking, as [biplane.Conn] requires; the dialing end,
// a [Client], blocks like a net.Conn and may be used from another goroutine.
// Because the buffers are bounded, a client that stops reading makes the
// server's Write return [biplane.ErrWouldBlock] after a partial write, just
// as a full TCP window would.
//
// The package uses only the standard library without package net, and
// starts no goroutines, so it builds with TinyGo.
package memsock

import (
	"errors"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/readiness"
)

var (
	_ biplane.Listener     = (*Listener)(nil)
	_ biplane.Waiter       = (*Listener)(nil)
	_ biplane.Waker        = (*Listener)(nil)
	_ biplane.AcceptCloser = (*Listener)(nil)
	_ biplane.Conn         = (*conn)(nil)
	_ biplane.CloseWriter  = (*conn)(nil)
)

// DefaultBufferSize is the capacity of each direction of a connection when
// [Listener.BufferSize] is zero.
const DefaultBufferSize = 64 << 10

var (
	// ErrClosed is returned by operations on a [Listener], a server-side
	// connection or a [Client] after its own Close.
	ErrClosed = errors.New("memsock: use of closed listener or connection")

	// ErrAcceptClosed is returned by [Listener.Dial] and [Listener.Accept]
	// after [Listener.CloseAccept], as a closed listening socket refuses
	// connections. It is final: it has no Temporary method.
	ErrAcceptClosed = errors.New("memsock: listener closed by CloseAccept")

	// ErrPeerClosed is returned by Write when the other end has closed the
	// connection, as EPIPE is for a socket.
	ErrPeerClosed = errors.New("memsock: write to connection closed by peer")

	// ErrDeadlineExceeded is returned by a [Client]'s Read or Write after its
	// deadline passed. Its Timeout method reports true, as net.Error's does.
	ErrDeadlineExceeded error = deadlineError{}

	errWriteShut = errors.New("memsock: write after CloseWrite")
)

type deadlineError struct{}

func (deadlineError) Error() string   { return "memsock: i/o timeout" }
func (deadlineError) Timeout() bool   { return true }
func (deadlineError) Temporary() bool { return true }

// A Listener is an in-memory [biplane.Listener], [biplane.Waiter],
// [biplane.Waker] and [biplane.AcceptCloser]. Create it with
// [NewListener]; the zero value is not usable.
//
// All methods may be called from any goroutine, except that Wait must not
// run concurrently with itself (the server calls it from its one loop).
type Listener struct {
	// BufferSize is the capacity in bytes of each direction of connections
	// dialed later. If zero or negative, DefaultBufferSize is used. Set it
	// before the first Dial.
	BufferSize int

	// mu guards everything below and every connection's state: one lock
	// for both ends keeps the logic obviously correct, and an in-memory
	// transport has no I/O to overlap.
	mu           sync.Mutex
	closed       bool
	acceptClosed bool    // CloseAccept was called
	pending      []*conn // dialed, not yet accepted, oldest first

	// ready reports changes to Wait. Changes are marked with mu held;
	// ready's own lock nests inside it.
	ready readiness.Queue
}

// NewListener returns an open, empty Listener.
func NewListener() *Listener {
	return &Listener{}
}

// Dial creates a connection and returns its client end. The server end is
// queued for [Listener.Accept], and a blocked [Listener.Wait] reports that
// the listener is acceptable. Dial fails with [ErrAcceptClosed] after
// CloseAccept, and with [ErrClosed] after Close.
func (l *Listener) Dial() (*Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.acceptClosed {
		return nil, ErrAcceptClosed
	}
	size := l.BufferSize
	if size <= 0 {
		size = DefaultBufferSize
	}
	s := &conn{l: l, in: ring{size: size}, out: ring{size: size}}
	s.cond.L = &l.mu
	s.entry.Conn = s
	l.pending = append(l.pending, s)
	l.ready.MarkAcceptable()
	return &Client{s: s}, nil
}

// Accept returns the server end of the oldest dialed connection, or
// [biplane.ErrWouldBlock] if there is none. The connection also implements
// [biplane.CloseWriter]. After [Listener.CloseAccept] Accept returns
// [ErrAcceptClosed].
func (l *Listener) Accept() (biplane.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.acceptClosed {
		return nil, ErrAcceptClosed
	}
	if len(l.pending) == 0 {
		return nil, biplane.ErrWouldBlock
	}
	s := l.pending[0]
	n := copy(l.pending, l.pending[1:])
	l.pending[n] = nil
	l.pending = l.pending[:n]
	s.accepted = true
	// Bytes or EOF sent before Accept were never reported; report them now,
	// as registering a ready socket with epoll does.
	if s.in.n > 0 || s.in.shut {
		l.markDirty(s)
	}
	return s, nil
}

// CloseAccept stops accepting while the connections already accepted go on
// being served: Wait keeps reporting them, and Wake keeps working, until
// [Listener.Close]. It implements [biplane.AcceptCloser]. Connections
// dialed but not yet accepted are closed, as the system resets those queued
// on a listening socket that closes; from now on Dial and Accept fail with
// [ErrAcceptClosed], and Wait never reports the listener. Calling
// CloseAccept again, or after Close, does nothing and returns nil.
func (l *Listener) CloseAccept() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.acceptClosed {
		return nil
	}
	l.acceptClosed = true
	for i, s := range l.pending {
		s.closeLocked()
		l.pending[i] = nil
	}
	l.pending = nil
	l.ready.ClearAcceptable()
	return nil
}

// Wake makes a Wait in progress in another goroutine, or else the next
// Wait, return soon, with nothing to report for the wake itself. It
// implements [biplane.Waker]: it never blocks, and Wakes before a Wait
// collapse into one early return. After Close it does nothing and returns
// [ErrClosed].
func (l *Listener) Wake() error {
	if !l.ready.Wake() {
		return ErrClosed
	}
	return nil
}

// Close stops the listener: Dial, Accept and Wait fail with [ErrClosed]
// from now on, also a Wait blocked in another goroutine, and connections not
// yet accepted are closed. Accepted connections stay open until their owner
// closes them, but Wait no longer reports them, as for a
// [github.com/biplane-go/biplane/unixsock.Listener]. Closing a closed
// Listener does nothing and returns nil.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	for i, s := range l.pending {
		s.closeLocked()
		l.pending[i] = nil
	}
	l.pending = nil
	l.ready.Close()
	return nil
}

// Wait implements [biplane.Waiter]. It blocks until a connection was dialed
// or an accepted connection changed state: its client wrote, closed or shut
// down writing, or read from a buffer that the server had found full. It
// appends each such connection to ready once per change, however many
// changes happened since the last report. A negative timeout means no limit;
// zero means poll. [Listener.Wake] makes it return early. After
// [Listener.Close] it returns [ErrClosed]. Wait does not allocate once ready
// has room for the connections it reports.
func (l *Listener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	ready, acceptable, ok := l.ready.Wait(ready, timeout)
	if !ok {
		return ready, false, ErrClosed
	}
	return ready, acceptable, nil
}

// markDirty queues s for the next Wait report once it is accepted, and
// until it is closed. The caller holds l.mu.
func (l *Listener) markDirty(s *conn) {
	if s.accepted && !s.closed {
		l.ready.Mark(&s.entry)
	}
}

// conn is the server end of a connection. Its state is guarded by l.mu.
type conn struct {
	l        *Listener
	in       ring // client to server
	out      ring // server to client
	cond     sync.Cond
	accepted bool
	closed   bool            // the server closed its end
	entry    readiness.Entry // its place in l.ready
	// outBlocked records that a server Write found out full, so the client's
	// next Read must report the room it makes.
	outBlocked bool

	// The Client's state lives here too, under the same lock.
	clientClosed bool
	rdl, wdl     deadline
}

// Read implements [biplane.Conn]. It never blocks.
func (s *conn) Read(p []byte) (int, error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if s.in.n > 0 {
		n := s.in.read(p)
		s.cond.Broadcast() // a client blocked in Write has room now
		return n, nil
	}
	if s.in.shut {
		return 0, io.EOF
	}
	return 0, biplane.ErrWouldBlock
}

// Write implements [biplane.Conn]. It never blocks: it copies what fits in
// the buffer and returns [biplane.ErrWouldBlock] if that was not all of p.
func (s *conn) Write(p []byte) (int, error) {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	switch {
	case s.closed:
		return 0, ErrClosed
	case s.out.shut:
		return 0, errWriteShut
	case s.out.gone:
		return 0, ErrPeerClosed
	case len(p) == 0:
		return 0, nil
	}
	n := s.out.write(p)
	if n > 0 {
		s.cond.Broadcast() // a client blocked in Read has data now
	}
	if n < len(p) {
		s.outBlocked = true
		return n, biplane.ErrWouldBlock
	}
	return n, nil
}

// CloseWrite implements [biplane.CloseWriter]: the client reads what is
// buffered, then io.EOF, while the server may still read.
func (s *conn) CloseWrite() error {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.out.shut = true
	s.cond.Broadcast()
	return nil
}

// Close implements [biplane.Conn]. The client reads what is buffered, then
// io.EOF; its writes fail with [ErrPeerClosed]. Closing a closed connection
// does nothing and returns nil.
func (s *conn) Close() error {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if !s.closed {
		s.closeLocked()
	}
	return nil
}

func (s *conn) closeLocked() {
	s.closed = true
	s.l.ready.Forget(&s.entry)
	s.out.shut = true
	s.in.gone = true
	s.in.reset() // nobody will read it
	s.cond.Broadcast()
}

// RemoteAddr implements [biplane.Conn]; an in-memory pipe has no address,
// so it returns the zero value.
func (s *conn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }

// A Client is the dialing end of a connection, returned by [Listener.Dial].
// It is a blocking io.ReadWriteCloser that may be used from any goroutine,
// with net.Conn's methods except LocalAddr and RemoteAddr (this package
// does not import net).
type Client struct {
	s *conn
}

// Read reads what the server wrote, blocking until there is at least one
// byte, the server closed or shut down writing (io.EOF after the buffered
// bytes), the Client is closed ([ErrClosed]) or the read deadline passes
// ([ErrDeadlineExceeded]).
func (c *Client) Read(p []byte) (int, error) {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	for {
		switch {
		case s.clientClosed:
			return 0, ErrClosed
		case len(p) == 0:
			return 0, nil
		case s.out.n > 0:
			n := s.out.read(p)
			if s.outBlocked {
				s.outBlocked = false
				s.l.markDirty(s)
			}
			return n, nil
		case s.out.shut:
			return 0, io.EOF
		case s.rdl.expired:
			return 0, ErrDeadlineExceeded
		}
		s.cond.Wait()
	}
}

// Write writes all of p, blocking while the buffer is full until the server
// reads. It fails with [ErrPeerClosed] once the server has closed, and with
// [ErrDeadlineExceeded] when the write deadline passes; n counts the bytes
// written before that.
func (c *Client) Write(p []byte) (n int, err error) {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	for {
		switch {
		case s.clientClosed:
			return n, ErrClosed
		case s.in.shut:
			return n, errWriteShut
		case s.in.gone:
			return n, ErrPeerClosed
		case s.wdl.expired:
			return n, ErrDeadlineExceeded
		case len(p) == 0:
			return n, nil
		}
		if m := s.in.write(p); m > 0 {
			n += m
			p = p[m:]
			s.l.markDirty(s)
			continue
		}
		s.cond.Wait()
	}
}

// CloseWrite shuts down the client's sending side: the server reads what is
// buffered, then io.EOF, while the client may still read.
func (c *Client) CloseWrite() error {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.clientClosed {
		return ErrClosed
	}
	s.in.shut = true
	s.l.markDirty(s)
	s.cond.Broadcast()
	return nil
}

// Close closes the client end. The server reads what is buffered, then
// io.EOF; its writes fail with [ErrPeerClosed]. Blocked Reads and Writes on
// the Client return [ErrClosed].
func (c *Client) Close() error {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.clientClosed {
		return ErrClosed
	}
	s.clientClosed = true
	s.in.shut = true
	s.out.gone = true
	s.out.reset()
	// clear, not set(zero): Close is reachable through io.Closer wherever
	// the server closes a stream, and set's timer would then make TinyGo
	// refuse a -scheduler=none build for the goroutine AfterFunc starts.
	s.rdl.clear()
	s.wdl.clear()
	s.l.markDirty(s)
	s.cond.Broadcast()
	return nil
}

// SetDeadline sets both the read and the write deadline, as
// [Client.SetReadDeadline] and [Client.SetWriteDeadline] do.
func (c *Client) SetDeadline(t time.Time) error {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.rdl.set(s, t)
	s.wdl.set(s, t)
	s.cond.Broadcast()
	return nil
}

// SetReadDeadline makes Reads blocked now or later fail with
// [ErrDeadlineExceeded] once t has passed. The zero t means no deadline.
func (c *Client) SetReadDeadline(t time.Time) error {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.rdl.set(s, t)
	s.cond.Broadcast()
	return nil
}

// SetWriteDeadline makes Writes blocked now or later fail with
// [ErrDeadlineExceeded] once t has passed. The zero t means no deadline.
func (c *Client) SetWriteDeadline(t time.Time) error {
	s := c.s
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	s.wdl.set(s, t)
	s.cond.Broadcast()
	return nil
}

// deadline is one of a Client's deadlines. Its fields are guarded by l.mu.
type deadline struct {
	expired bool
	timer   *time.Timer
	gen     uint64 // tells a timer that fires late that it was replaced
}

// clear disarms d. The caller holds s.l.mu.
func (d *deadline) clear() {
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.expired = false
}

// set arms d for t. The caller holds s.l.mu and wakes blocked callers.
func (d *deadline) set(s *conn, t time.Time) {
	d.clear()
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.expired = true
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(wait, func() {
		s.l.mu.Lock()
		defer s.l.mu.Unlock()
		if d.gen == gen {
			d.expired = true
			s.cond.Broadcast()
		}
	})
}

// ring is one direction of a connection: a bounded FIFO of bytes plus the
// two ways it can end. Its memory is allocated on first write, so idle
// connections are cheap.
type ring struct {
	buf  []byte
	size int  // capacity
	r, n int  // the buffered bytes are n bytes from index r, wrapping
	shut bool // the writer is done: the reader gets io.EOF after the bytes
	gone bool // the reader is gone: writes fail
}

func (b *ring) write(p []byte) int {
	if b.buf == nil {
		b.buf = make([]byte, b.size)
	}
	total := 0
	for len(p) > 0 && b.n < len(b.buf) {
		w := b.r + b.n
		end := len(b.buf)
		if w >= len(b.buf) {
			w -= len(b.buf)
			end = b.r
		}
		m := copy(b.buf[w:end], p)
		b.n += m
		total += m
		p = p[m:]
	}
	return total
}

func (b *ring) read(p []byte) int {
	total := 0
	for len(p) > 0 && b.n > 0 {
		m := copy(p, b.buf[b.r:min(b.r+b.n, len(b.buf))])
		b.r += m
		if b.r == len(b.buf) {
			b.r = 0
		}
		b.n -= m
		total += m
		p = p[m:]
	}
	if b.n == 0 {
		b.r = 0 // keep the next write contiguous
	}
	return total
}

// reset drops the buffered bytes and their memory.
func (b *ring) reset() {
	b.buf, b.r, b.n = nil, 0, 0
}
