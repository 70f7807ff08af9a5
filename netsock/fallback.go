package netsock

import (
	"errors"
	"fmt"
	"net"
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
)

// ErrAcceptClosed is returned by the fallback [Listener]'s Accept after
// [Listener.CloseAccept]. It is final: it has no Temporary method. (On the
// descriptor path of [New], Accept returns unixsock.ErrAcceptClosed.)
var ErrAcceptClosed = errors.New("netsock: accept after CloseAccept")

// Sizes and bounds of the fallback path.
const (
	// readBufferSize bounds what a connection's reader goroutine takes from
	// the peer before the loop reads it. 16 KiB is one TLS record, the most
	// a tls.Conn returns from one Read anyway.
	readBufferSize = 16 << 10

	// writeBufferSize bounds what Write accepts before the writer goroutine
	// has sent it; Write then returns ErrWouldBlock.
	writeBufferSize = 64 << 10

	// maxPending bounds connections accepted by the accept goroutine but
	// not yet by the loop. When it is reached the goroutine stops
	// accepting, and further connections wait in the kernel's backlog.
	maxPending = 128

	// closeTimeout bounds how long a closed connection keeps trying to send
	// what Write had accepted, to a peer that does not read.
	closeTimeout = 5 * time.Second

	// Backoff after a temporary Accept error, such as running out of
	// descriptors, as net/http does it.
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// A Listener is the fallback path of [New]: it serves a net.Listener that
// offers only blocking calls, such as a crypto/tls listener, behind
// non-blocking methods. It implements [biplane.Listener], [biplane.Waiter],
// [biplane.Waker] and [biplane.AcceptCloser]; the connections it returns
// implement [biplane.Conn], and [biplane.CloseWriter] when the net.Conn has
// a CloseWrite method.
//
// The cost is goroutines and copies. One goroutine blocks in the
// net.Listener's Accept. Each accepted connection has one goroutine blocked
// in its Read for as long as it is open, and a second one while there are
// bytes to send. Each connection holds a 16 KiB read buffer and, from its
// first Write, a 64 KiB write buffer; every byte is copied through them.
// The server's loop still runs in one goroutine: Accept, Read, Write, Wait
// and Close never block.
//
// All methods may be called from any goroutine, except that Wait must not
// run concurrently with itself.
type Listener struct {
	ln    net.Listener
	stop  chan struct{}   // closed by CloseAccept or Close, to end the accept goroutine's backoff
	ready readiness.Queue // what the goroutines changed, for Wait

	mu           sync.Mutex
	room         sync.Cond // on mu: pending has room, or accepting stopped
	closed       bool
	acceptClosed bool       // CloseAccept closed ln
	pending      []net.Conn // accepted by the goroutine, oldest first
	acceptErr    error      // the error that ended the accept goroutine
}

func newFallback(ln net.Listener) *Listener {
	l := &Listener{ln: ln, stop: make(chan struct{})}
	l.room.L = &l.mu
	go l.acceptLoop()
	return l
}

// Addr returns the net.Listener's address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// acceptLoop runs in the accept goroutine until CloseAccept or Close, or
// until the net.Listener fails.
func (l *Listener) acceptLoop() {
	var delay time.Duration
	for {
		l.mu.Lock()
		for len(l.pending) >= maxPending && !l.closed && !l.acceptClosed {
			l.room.Wait()
		}
		closed := l.closed || l.acceptClosed
		l.mu.Unlock()
		if closed {
			return
		}

		nc, err := l.ln.Accept()

		l.mu.Lock()
		// Closing ln made Accept fail: that is no error to report.
		if l.closed || l.acceptClosed {
			l.mu.Unlock()
			if nc != nil {
				nc.Close()
			}
			return
		}
		var te interface{ Temporary() bool }
		switch {
		case err == nil:
			delay = 0
			l.pending = append(l.pending, nc)
			l.ready.MarkAcceptable() // under mu: never after CloseAccept's clear
			l.mu.Unlock()
		case errors.As(err, &te) && te.Temporary():
			l.mu.Unlock()
			delay = min(max(2*delay, minAcceptDelay), maxAcceptDelay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.stop:
				t.Stop()
				return
			}
		default:
			l.acceptErr = fmt.Errorf("netsock: %w", err)
			l.ready.MarkAcceptable()
			l.mu.Unlock()
			return
		}
	}
}

// Accept returns the oldest connection that the accept goroutine took, or
// [biplane.ErrWouldBlock] if there is none. Once the net.Listener's Accept
// has failed for good, Accept returns that error; after
// [Listener.CloseAccept] it returns [ErrAcceptClosed].
func (l *Listener) Accept() (biplane.Conn, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, errListenerClosed
	}
	if l.acceptClosed {
		l.mu.Unlock()
		return nil, ErrAcceptClosed
	}
	if len(l.pending) == 0 {
		err := l.acceptErr
		l.mu.Unlock()
		if err == nil {
			err = biplane.ErrWouldBlock
		}
		return nil, err
	}
	nc := l.pending[0]
	n := copy(l.pending, l.pending[1:])
	l.pending[n] = nil
	l.pending = l.pending[:n]
	l.room.Signal()
	l.mu.Unlock()
	return l.newConn(nc), nil
}

// Wait implements [biplane.Waiter]. It reports the listener when the accept
// goroutine took a connection or failed, and a connection when its reader
// goroutine received bytes, EOF or an error, or when its writer goroutine
// made room after a Write returned ErrWouldBlock or failed. Each connection
// is reported once however many changes happened since the last report.
// [Listener.Wake] makes it return early, with nothing to report for the
// wake itself. After [Listener.CloseAccept] it never reports the listener.
// After [Listener.Close] Wait returns an error. It does not allocate once
// ready has room for the connections it reports.
func (l *Listener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	ready, acceptable, ok := l.ready.Wait(ready, timeout)
	if !ok {
		return ready, false, errListenerClosed
	}
	return ready, acceptable, nil
}

// Wake makes a Wait in progress in another goroutine, or else the next
// Wait, return soon. It implements [biplane.Waker]: it never blocks, and
// Wakes before a Wait collapse into one early return. After Close it does
// nothing and returns an error.
func (l *Listener) Wake() error {
	if !l.ready.Wake() {
		return errListenerClosed
	}
	return nil
}

// CloseAccept closes the net.Listener, which ends the accept goroutine, and
// the connections it accepted that Accept has not returned yet, while the
// connections Accept returned go on being served: Wait keeps reporting
// them, and Wake keeps working, until [Listener.Close]. It implements
// [biplane.AcceptCloser]. From now on Accept returns [ErrAcceptClosed] and
// Wait never reports the listener. Calling CloseAccept again, or after
// Close, does nothing and returns nil.
func (l *Listener) CloseAccept() error {
	l.mu.Lock()
	if l.closed || l.acceptClosed {
		l.mu.Unlock()
		return nil
	}
	l.acceptClosed = true
	l.ready.ClearAcceptable()
	pending := l.pending
	l.pending = nil
	close(l.stop)
	l.room.Broadcast()
	l.mu.Unlock()

	err := l.ln.Close()
	for _, nc := range pending {
		nc.Close()
	}
	if err != nil {
		return fmt.Errorf("netsock: %w", err)
	}
	return nil
}

// Close closes the net.Listener, unless [Listener.CloseAccept] did, which
// ends the accept goroutine, and the connections it accepted that Accept
// has not returned yet. From now on Accept and Wait fail, also a Wait
// blocked in another goroutine. Connections already accepted stay open
// until their owner closes them, but Wait no longer reports them. Closing a
// closed Listener does nothing and returns nil.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	closeLn := !l.acceptClosed
	pending := l.pending
	l.pending = nil
	if closeLn {
		close(l.stop)
	}
	l.room.Broadcast()
	l.mu.Unlock()
	l.ready.Close()

	var err error
	if closeLn {
		err = l.ln.Close()
	}
	for _, nc := range pending {
		nc.Close()
	}
	if err != nil {
		return fmt.Errorf("netsock: %w", err)
	}
	return nil
}

// A conn is a net.Conn served by a reader goroutine, which fills in, and a
// writer goroutine, which drains out and finally closes nc.
type conn struct {
	l      *Listener
	nc     net.Conn
	self   biplane.Conn // c, or closeWriteConn{c}: what Accept returned
	remote netip.AddrPort

	mu       sync.Mutex
	room     sync.Cond // on mu: in has room, or c is closed
	in       ring      // filled by the reader goroutine
	inErr    error     // what ended the reader: io.EOF or a failure
	out      ring      // drained by the writer goroutine
	outErr   error     // what the writer's last Write returned, sticky
	closed   bool      // Close was called
	shut     bool      // CloseWrite was called
	shutDone bool      // the writer has called nc's CloseWrite
	writing  bool      // the writer goroutine is running
	// outBlocked records that a Write found out full, so the writer's
	// progress must be reported.
	outBlocked bool

	entry readiness.Entry // its place in l.ready
}

// closeWriteConn is a conn whose net.Conn can shut down writing.
type closeWriteConn struct{ *conn }

func (l *Listener) newConn(nc net.Conn) biplane.Conn {
	c := &conn{l: l, nc: nc, remote: addrPort(nc.RemoteAddr())}
	c.in.size = readBufferSize
	c.out.size = writeBufferSize
	c.room.L = &c.mu
	c.self = c
	if _, ok := nc.(interface{ CloseWrite() error }); ok {
		c.self = closeWriteConn{c}
	}
	c.entry.Conn = c.self
	go c.readLoop()
	return c.self
}

// readLoop runs in the reader goroutine until the peer's EOF, a read error
// or Close.
func (c *conn) readLoop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for c.in.n == c.in.size && !c.closed {
			c.room.Wait()
		}
		if c.closed {
			return
		}
		c.in.rewind()
		// The loop's Read only consumes bytes before this span, so the
		// span can be filled without the lock.
		span := c.in.free()
		c.mu.Unlock()
		n, err := c.nc.Read(span)
		c.mu.Lock()
		if c.closed {
			return
		}
		c.in.commit(n)
		if err != nil {
			c.inErr = err
		}
		if n > 0 || err != nil {
			c.l.ready.Mark(&c.entry)
		}
		if err != nil {
			return
		}
	}
}

// writeLoop runs in the writer goroutine while out holds bytes, then does
// the CloseWrite or Close that the loop asked for.
func (c *conn) writeLoop() {
	c.mu.Lock()
	for {
		switch {
		case c.out.n > 0 && c.outErr == nil:
			// The loop's Write only appends after this span, so it can be
			// sent without the lock.
			span := c.out.data()
			c.mu.Unlock()
			n, err := c.nc.Write(span)
			c.mu.Lock()
			c.out.consume(n)
			c.outErr = err
			if c.outBlocked {
				c.outBlocked = false
				c.l.ready.Mark(&c.entry)
			}
		case c.closed:
			c.mu.Unlock()
			c.nc.Close()
			return
		case c.shut && !c.shutDone:
			c.shutDone = true
			c.mu.Unlock()
			c.nc.(interface{ CloseWrite() error }).CloseWrite()
			c.mu.Lock()
		default:
			c.writing = false
			c.mu.Unlock()
			return
		}
	}
}

// startWriter starts the writer goroutine unless it is running. The caller
// holds c.mu.
func (c *conn) startWriter() {
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// Read implements [biplane.Conn]: it returns what the reader goroutine has
// received, or [biplane.ErrWouldBlock]; after the buffered bytes, io.EOF or
// the error that ended the reader.
func (c *conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, errConnClosed
	case len(p) == 0:
		return 0, nil
	case c.in.n > 0:
		full := c.in.n == c.in.size
		n := c.in.read(p)
		if full {
			c.room.Signal()
		}
		return n, nil
	case c.inErr != nil:
		return 0, c.inErr
	}
	return 0, biplane.ErrWouldBlock
}

// Write implements [biplane.Conn]: it copies what fits into the write
// buffer for the writer goroutine to send, and returns
// [biplane.ErrWouldBlock] if that was not all of p. Once a send has failed,
// Write returns that error.
func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, errConnClosed
	case c.shut:
		return 0, errWriteShut
	case c.outErr != nil:
		return 0, c.outErr
	case len(p) == 0:
		return 0, nil
	}
	n := c.out.write(p)
	if n > 0 {
		c.startWriter()
	}
	if n < len(p) {
		c.outBlocked = true
		return n, biplane.ErrWouldBlock
	}
	return n, nil
}

// CloseWrite implements [biplane.CloseWriter]: the net.Conn's CloseWrite is
// called once the bytes Write accepted are sent.
func (c closeWriteConn) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errConnClosed
	}
	if !c.shut {
		c.shut = true
		c.startWriter()
	}
	return nil
}

// Close implements [biplane.Conn]. It returns at once; the writer goroutine
// still sends what Write accepted, for at most 5 seconds, then closes the
// net.Conn, whose Close may block (a tls.Conn's sends an alert). Closing a
// closed connection does nothing and returns nil.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.in = ring{} // the reader may still fill its span, but never commits it
	c.room.Signal()
	if c.writing {
		// Bound the flush: the peer may never read. net.Conn's deadline
		// methods do not block.
		c.nc.SetWriteDeadline(time.Now().Add(closeTimeout))
	} else {
		c.startWriter()
	}
	c.mu.Unlock()
	c.l.ready.Forget(&c.entry)
	return nil
}

// RemoteAddr implements [biplane.Conn] with the net.Conn's RemoteAddr, or
// the zero AddrPort if that is not an IP address and port.
func (c *conn) RemoteAddr() netip.AddrPort { return c.remote }

// ring is a bounded FIFO of bytes whose memory is allocated on first use.
// Filling a free span or sending a data span may happen without the lock,
// since the other side only touches the other part of the buffer.
type ring struct {
	buf  []byte
	size int // capacity
	r, n int // the buffered bytes are n bytes from index r, wrapping
}

// free returns the first contiguous span after the buffered bytes; it is
// empty only if the ring is full.
func (b *ring) free() []byte {
	if b.buf == nil {
		b.buf = make([]byte, b.size)
	}
	w := b.r + b.n
	if w >= len(b.buf) {
		return b.buf[w-len(b.buf) : b.r]
	}
	return b.buf[w:]
}

func (b *ring) commit(n int) { b.n += n }

// data returns the first contiguous span of buffered bytes.
func (b *ring) data() []byte { return b.buf[b.r:min(b.r+b.n, len(b.buf))] }

func (b *ring) consume(n int) {
	b.r += n
	if b.r >= len(b.buf) {
		b.r -= len(b.buf)
	}
	b.n -= n
	b.rewind()
}

// rewind makes the next free span as long as possible when the ring is
// empty. Only the consumer, or the producer while no span of its is in
// use, may call it.
func (b *ring) rewind() {
	if b.n == 0 {
		b.r = 0
	}
}

func (b *ring) write(p []byte) int {
	total := 0
	for len(p) > 0 && b.n < b.size {
		m := copy(b.free(), p)
		b.commit(m)
		total += m
		p = p[m:]
	}
	return total
}

// read copies buffered bytes into p. It does not rewind: the reader
// goroutine may be filling a span.
func (b *ring) read(p []byte) int {
	total := 0
	for len(p) > 0 && b.n > 0 {
		m := copy(p, b.data())
		b.r += m
		if b.r == len(b.buf) {
			b.r = 0
		}
		b.n -= m
		total += m
		p = p[m:]
	}
	return total
}
