package wasisock

import (
	"errors"
	"io"
	"net/netip"

	"github.com/biplane-go/biplane"
)

var (
	_ biplane.Listener     = (*Listener)(nil)
	_ biplane.AcceptCloser = (*Listener)(nil)
	_ biplane.Conn         = (*Conn)(nil)
	_ biplane.CloseWriter  = (*Conn)(nil)
	_ biplane.Waiter       = (*Poller)(nil)
)

var (
	// ErrNoSocket is returned by [Listen] when the module was given no
	// socket: run it with "wazero run -listen=127.0.0.1:8000", say.
	ErrNoSocket = errors.New("wasisock: no preopened socket (give the runtime one, as wazero run -listen=HOST:PORT does)")

	// ErrAcceptClosed is returned by [Listener.Accept] after
	// [Listener.CloseAccept].
	ErrAcceptClosed = errors.New("wasisock: listener closed by CloseAccept")

	errListenerClosed = errors.New("wasisock: use of closed listener")
	errConnClosed     = errors.New("wasisock: use of closed connection")
)

// WASI preview 1 constants the package uses.
const (
	fdflagNonblock       = 1 << 2 // fdflags.nonblock
	filetypeSocketStream = 6      // filetype.socket_stream
	sdflagWR             = 1 << 1 // sdflags.wr
)

// firstFD is the first descriptor after stdin, stdout and stderr, where
// the runtime's preopened directories and sockets begin; maxScan bounds
// the search for a socket among them.
const (
	firstFD = 3
	maxScan = 64
)

// A Listener is a listening socket preopened by the WASI runtime. It
// implements [biplane.Listener] and [biplane.AcceptCloser]. It is not a
// [biplane.Waiter], so a server over it polls each connection in turn,
// sleeping a little when a step found nothing to do: that is what works on
// every runtime, wazero included. Where the runtime reports socket
// readiness through poll_oneoff ([Listener.CanPoll]), serve on
// [Listener.Poller] instead, which waits there.
//
// A Listener and its connections belong to one goroutine.
type Listener struct {
	fd           uint32
	closed       bool
	acceptClosed bool
	armed        bool // Accept returned ErrWouldBlock since Wait last reported it
	canPoll      bool
	poller       *Poller

	// conns maps a descriptor to its open connection, so that a poll
	// event, which carries only the descriptor, finds its Conn. WASI
	// runtimes hand out small dense descriptors, so the slice stays short.
	conns []*Conn
}

// Listen returns a [Listener] for the first socket among the descriptors
// the runtime preopened (3 and up), which is the one wazero's -listen flag
// makes: 3 when nothing else is mounted. It returns [ErrNoSocket] if there
// is none.
func Listen() (*Listener, error) {
	for fd := uint32(firstFD); fd < firstFD+maxScan; fd++ {
		ft, _, e := fdFdstatGet(fd)
		if e == EBADF {
			break // the end of the preopens
		}
		if e == ENOSYS {
			return nil, &Error{"fd_fdstat_get", fd, e}
		}
		if e == 0 && ft == filetypeSocketStream {
			return NewListener(fd)
		}
	}
	return nil, ErrNoSocket
}

// NewListener returns a [Listener] for fd, a listening socket the runtime
// preopened. It puts the socket in non-blocking mode (fd_fdstat_set_flags),
// without which sock_accept would block the whole module, and probes once
// whether poll_oneoff reports its readiness ([Listener.CanPoll]).
func NewListener(fd uint32) (*Listener, error) {
	if e := fdFdstatSetFlags(fd, fdflagNonblock); e != 0 {
		return nil, &Error{"fd_fdstat_set_flags", fd, e}
	}
	l := &Listener{fd: fd, armed: true}
	l.canPoll = probe(fd)
	return l, nil
}

// FD returns the listening socket's descriptor.
func (l *Listener) FD() uint32 { return l.fd }

// CanPoll reports whether the runtime reports socket readiness through
// poll_oneoff, so that [Listener.Poller] may be used. [NewListener] finds
// out by asking poll_oneoff whether the idle listening socket is readable,
// beside a zero timeout: a runtime that looks at the socket says no, one
// that does not (wazero 1.11 answers every read subscription on a
// non-blocking descriptor at once) says yes. A connection already pending
// makes the answer yes on any runtime, so CanPoll errs towards polling,
// which always works.
func (l *Listener) CanPoll() bool { return l.canPoll }

// Accept takes a pending connection, or returns [biplane.ErrWouldBlock] if
// there is none. The connection is non-blocking: sock_accept is asked for
// fdflags.nonblock. An error from running out of descriptors, buffers or
// memory has a method Temporary() bool that reports true, so that the
// server tries again later; other errors are final.
func (l *Listener) Accept() (biplane.Conn, error) {
	switch {
	case l.closed:
		return nil, errListenerClosed
	case l.acceptClosed:
		return nil, ErrAcceptClosed
	}
	for {
		fd, e := sockAccept(l.fd, fdflagNonblock)
		switch e {
		case 0:
		case EAGAIN:
			l.armed = true
			return nil, biplane.ErrWouldBlock
		case EINTR, ECONNABORTED:
			continue // the peer gave up while queued: take the next one
		default:
			return nil, &Error{"sock_accept", l.fd, e}
		}
		c := &Conn{l: l, fd: int32(fd)}
		if int(fd) >= len(l.conns) {
			conns := make([]*Conn, max(int(fd)+1, 2*len(l.conns), 16))
			copy(conns, l.conns)
			l.conns = conns
		}
		l.conns[fd] = c
		return c, nil
	}
}

// CloseAccept closes the listening socket while the connections already
// accepted go on working. It implements [biplane.AcceptCloser]: from now on
// Accept returns [ErrAcceptClosed]. Calling it again does nothing.
func (l *Listener) CloseAccept() error {
	if l.closed || l.acceptClosed {
		return nil
	}
	l.acceptClosed = true
	if e := fdClose(l.fd); e != 0 {
		return &Error{"fd_close", l.fd, e}
	}
	return nil
}

// Close closes the listening socket, unless CloseAccept did. Connections
// already accepted stay open until their owner closes them, but a
// [Poller]'s Wait no longer reports them. Closing a closed Listener does
// nothing and returns nil.
func (l *Listener) Close() error {
	if l.closed {
		return nil
	}
	err := l.CloseAccept()
	l.closed = true
	clear(l.conns)
	return err
}

// Interest bits of a Conn: what its owner last found would block, and so
// what a Poller watches for.
const (
	wantRead  = 1 << iota // Read returned ErrWouldBlock
	wantWrite             // Write returned ErrWouldBlock
)

// A Conn is a non-blocking socket accepted by a [Listener]. It implements
// [biplane.Conn] and [biplane.CloseWriter], and belongs to the goroutine of
// its Listener.
type Conn struct {
	l    *Listener
	fd   int32 // -1 once closed
	want uint8 // wantRead | wantWrite
	seen uint32
}

// FD returns the connection's descriptor, or -1 once it is closed.
func (c *Conn) FD() int32 { return c.fd }

// Read reads what has arrived (sock_recv), or returns
// [biplane.ErrWouldBlock] if nothing has, and io.EOF once the peer has
// finished sending.
func (c *Conn) Read(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, e := sockRecv(uint32(c.fd), p)
	switch {
	case e == EAGAIN:
		c.want |= wantRead
		return 0, biplane.ErrWouldBlock
	case e != 0:
		return 0, &Error{"sock_recv", uint32(c.fd), e}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write sends as much of p as the socket takes (sock_send). If that is not
// all of p, it returns the count sent with [biplane.ErrWouldBlock].
func (c *Conn) Write(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	sent := 0
	for sent < len(p) {
		n, e := sockSend(uint32(c.fd), p[sent:])
		sent += max(n, 0)
		switch {
		case e == EAGAIN:
			c.want |= wantWrite
			return sent, biplane.ErrWouldBlock
		case e != 0:
			return sent, &Error{"sock_send", uint32(c.fd), e}
		case n <= 0:
			// Nothing taken and no error: treat it as a full window
			// rather than spin here.
			c.want |= wantWrite
			return sent, biplane.ErrWouldBlock
		}
	}
	return sent, nil
}

// CloseWrite shuts down sending (sock_shutdown with sdflags.wr): the peer
// reads the end of the stream while this side may still read. It
// implements [biplane.CloseWriter], for the server's lingering close.
func (c *Conn) CloseWrite() error {
	if c.fd < 0 {
		return errConnClosed
	}
	if e := sockShutdown(uint32(c.fd), sdflagWR); e != 0 {
		return &Error{"sock_shutdown", uint32(c.fd), e}
	}
	return nil
}

// Close closes the connection. It first shuts down sending, so that the
// peer sees the end of the stream at once even where fd_close leaves the
// host's socket open: wazero 1.11's fd_close does (its socket's Close
// marks the file closed and then finds it closed), and the socket is
// closed only when the runtime's own garbage collector finalizes it.
// Closing a closed Conn does nothing and returns nil.
func (c *Conn) Close() error {
	if c.fd < 0 {
		return nil
	}
	fd := c.fd
	c.fd = -1
	if l := c.l; int(fd) < len(l.conns) && l.conns[fd] == c {
		l.conns[fd] = nil
	}
	sockShutdown(uint32(fd), sdflagWR) // ENOTCONN if the peer went first: no matter
	if e := fdClose(uint32(fd)); e != 0 {
		return &Error{"fd_close", uint32(fd), e}
	}
	return nil
}

// RemoteAddr returns the zero AddrPort: WASI preview 1 has no call that
// tells a socket's peer.
func (c *Conn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }
