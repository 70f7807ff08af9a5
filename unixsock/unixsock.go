//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
)

var (
	_ biplane.Listener     = (*Listener)(nil)
	_ biplane.Waiter       = (*Listener)(nil)
	_ biplane.Waker        = (*Listener)(nil)
	_ biplane.AcceptCloser = (*Listener)(nil)
	_ biplane.Conn         = (*Conn)(nil)
	_ biplane.CloseWriter  = (*Conn)(nil)
)

// ErrAcceptClosed is returned by [Listener.Accept] after
// [Listener.CloseAccept]. It is final: it has no Temporary method, so a
// server that still calls Accept stops accepting instead of retrying.
var ErrAcceptClosed = errors.New("unixsock: accept after CloseAccept")

var (
	errListenerClosed = errors.New("unixsock: use of closed listener")
	errConnClosed     = errors.New("unixsock: use of closed connection")
)

// defaultBacklog is the listen(2) backlog when [Config.Backlog] is zero.
// syscall.SOMAXCONN is a stale 128 on Linux, too few for a burst of
// connections; the kernel caps whatever we ask at its own limit
// (net.core.somaxconn, 4096 by default since Linux 5.4).
const defaultBacklog = 1024

// Config holds the options of [Config.Listen]. The zero value is the
// defaults.
type Config struct {
	// Backlog is the listen(2) backlog: how many connections the kernel
	// completes and queues before Accept takes them. If zero, 1024 is used,
	// or syscall.SOMAXCONN where that is larger. The kernel caps it at its
	// own limit (net.core.somaxconn on Linux).
	Backlog int

	// ReusePort sets SO_REUSEPORT on a TCP socket before binding it, so that
	// several loops can each own a Listener on the same port. On Linux the
	// kernel then spreads new connections over those listeners.
	ReusePort bool

	// UsePoll makes [Listener.Wait] use ppoll(2) instead of epoll on Linux,
	// to compare them or to test the portable path. Other systems always
	// use poll(2).
	UsePoll bool

	// Conns, if positive, readies the Listener for that many connections
	// open at once, so that accepting one never waits for a table to
	// grow. The process's table of file descriptors is grown when the
	// Listener is made: the kernel otherwise grows it when a descriptor
	// past its end is first taken, and in a threaded process, as every Go
	// program is, that accept4 waits for an RCU grace period, for
	// milliseconds, once per doubling. The Listener's own table of
	// connections is made to size too, instead of being copied as it
	// doubles. A loop whose steps must stay short sets it to its
	// Limits.MaxConns. It costs 8 bytes a connection in the kernel and as
	// many in the Listener, at once. The tables grow no further than the
	// descriptors the process may open (RLIMIT_NOFILE): no connection past
	// those could be accepted anyway.
	Conns int
}

// Listen opens a listening socket with the default [Config]; see
// [Config.Listen].
func Listen(network, address string) (*Listener, error) {
	return Config{}.Listen(network, address)
}

// Listen opens a listening socket. The network is "tcp", "tcp4", "tcp6" or
// "unix". A TCP address is an IP literal and a port: "127.0.0.1:8000",
// "[::1]:0", or ":8000" for all interfaces (both IPv6 and IPv4 for "tcp",
// where the system allows it). The host "localhost" means the loopback
// address; other names are refused, as Listen does no DNS lookups. Port 0
// picks a free port: see [Listener.Addr]. A "unix" address is a file system
// path, which must not exist yet and which [Listener.Close] removes; on
// Linux a leading '@' names an abstract socket instead.
func (c Config) Listen(network, address string) (*Listener, error) {
	ep, err := resolve(network, address)
	if err != nil {
		return nil, fmt.Errorf("unixsock: listen %s %s: %w", network, address, err)
	}
	fd, err := c.socket(ep)
	var se *sysError
	if err != nil && ep.alt != nil && errors.As(err, &se) &&
		(se.op == "socket" || se.op == "setsockopt IPV6_V6ONLY") {
		// IPv6 is off or lacks dual-stack support: serve IPv4 alone.
		fd, err = c.socket(*ep.alt)
	}
	if err != nil {
		if errors.As(err, &se) {
			se.op = "listen " + network + " " + address + ": " + se.op
		}
		return nil, err
	}
	l, err := c.newListener(fd, ep.path)
	if err != nil && ep.path != "" {
		syscall.Unlink(ep.path)
	}
	return l, err
}

// socket makes a bound, listening socket for ep.
func (c Config) socket(ep endpoint) (int, error) {
	fd, err := sysSocket(ep.family)
	if err != nil {
		return -1, &sysError{"socket", err}
	}
	if err := c.bind(fd, ep); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

func (c Config) bind(fd int, ep endpoint) error {
	if ep.family != syscall.AF_UNIX {
		// Let a restarted server bind while old connections linger in
		// TIME_WAIT. Two live listeners still cannot share a port this way.
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			return &sysError{"setsockopt SO_REUSEADDR", err}
		}
		if c.ReusePort {
			if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
				return &sysError{"setsockopt SO_REUSEPORT", err}
			}
		}
	}
	if ep.family == syscall.AF_INET6 {
		// Set both ways: the system default (net.ipv6.bindv6only) varies.
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, boolInt(ep.v6only)); err != nil {
			return &sysError{"setsockopt IPV6_V6ONLY", err}
		}
	}
	if err := syscall.Bind(fd, ep.sa); err != nil {
		return &sysError{"bind", err}
	}
	backlog := c.Backlog
	if backlog <= 0 {
		backlog = max(defaultBacklog, syscall.SOMAXCONN)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		if ep.path != "" {
			syscall.Unlink(ep.path) // made by the bind just above
		}
		return &sysError{"listen", err}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A Listener is a non-blocking listening socket together with the wait
// queue (epoll instance or poll set) of the connections it accepted. It
// implements [biplane.Listener], [biplane.Waiter], [biplane.Waker] and
// [biplane.AcceptCloser]. Use it, and its connections, from one goroutine
// at a time; only [Listener.Wake] may be called from any goroutine.
//
// Besides the listening socket, a Listener holds an epoll descriptor (on
// Linux, unless [Config.UsePoll] is set) and, for Wake, an eventfd on Linux
// or a pipe, two descriptors, elsewhere: three descriptors in all, or two
// on Linux with UsePoll. The eventfd costs the kernel a few hundred bytes;
// the pipe's buffer never holds more than a byte or two, since Wake writes
// only when no earlier wake is pending. The waker is made with the
// Listener, not by the first Wake, so that a Wait already blocked watches
// it.
type Listener struct {
	fd    int // -1 after CloseAccept or Close
	addr  netip.AddrPort
	tcp   bool   // accepted connections get TCP_NODELAY
	path  string // Unix socket file to remove on CloseAccept or Close, or ""
	armed bool   // Accept returned ErrWouldBlock since the last report (poll)
	w     waiter // nil once closed
	wake  waker  // the only field that Wake, from any goroutine, touches

	// rsa and rsaLen receive an accepted peer's address (Linux).
	rsa    syscall.RawSockaddrAny
	rsaLen uint32

	// copyBuf is where Conn.SendFile copies a file that sendfile(2)
	// cannot read; nil until then.
	copyBuf []byte

	// conns maps a descriptor to the open connection that owns it, so that
	// a readiness event, which carries only the descriptor, finds its Conn
	// without a map lookup or an allocation. Descriptors are small dense
	// integers, so the slice stays short.
	conns []*Conn
}

// A waiter is the readiness mechanism behind [Listener.Wait].
type waiter interface {
	// add starts watching a new connection.
	add(c *Conn) error
	// stopAccept stops watching the listener; it is called before
	// CloseAccept closes it.
	stopAccept()
	wait(l *Listener, ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error)
	close() error
}

// NewListener returns a Listener for fd, a socket that is already bound and
// listening, such as a duplicate of a net.Listener's descriptor or one
// inherited through systemd socket activation. It takes ownership of fd,
// closing it on error, and makes it non-blocking and close-on-exec.
func NewListener(fd int) (*Listener, error) {
	return Config{}.newListener(fd, "")
}

func (c Config) newListener(fd int, path string) (*Listener, error) {
	l, err := c.newListener1(fd, path)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return l, nil
}

func (c Config) newListener1(fd int, path string) (*Listener, error) {
	if typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE); err != nil {
		return nil, &sysError{"getsockopt SO_TYPE", err}
	} else if typ != syscall.SOCK_STREAM {
		return nil, fmt.Errorf("unixsock: descriptor %d is not a stream socket (type %d)", fd, typ)
	}
	if on, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err == nil && on == 0 {
		return nil, fmt.Errorf("unixsock: descriptor %d is not listening", fd)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, &sysError{"set non-blocking", err}
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return nil, &sysError{"getsockname", err}
	}
	l := &Listener{fd: fd, path: path, armed: true}
	switch sa.(type) {
	case *syscall.SockaddrInet4, *syscall.SockaddrInet6:
		l.tcp = true
		l.addr = addrPort(sa)
	}
	if l.wake.r, l.wake.w, err = newWakeFds(); err != nil {
		return nil, err
	}
	if l.w, err = c.newWaiter(fd, l.wake.r); err != nil {
		l.wake.close()
		return nil, err
	}
	if c.Conns > 0 {
		if err := l.reserve(c.Conns); err != nil {
			l.w.close()
			l.wake.close()
			return nil, err
		}
	}
	return l, nil
}

// reserve grows the descriptor table and l.conns for n connections
// beyond the descriptors open now, or up to the process's limit: taking a
// descriptor numbered past them, and closing it, grows the kernel's table
// for good.
func (l *Listener) reserve(n int) error {
	top := max(l.fd, l.wake.r, l.wake.w) + n
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && uint64(top) >= uint64(lim.Cur) {
		top = int(lim.Cur) - 1
	}
	fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(l.fd), syscall.F_DUPFD_CLOEXEC, uintptr(top))
	if errno != 0 {
		return &sysError{"fcntl F_DUPFD_CLOEXEC", errno}
	}
	syscall.Close(int(fd))
	l.conns = make([]*Conn, top+1)
	return nil
}

// Addr returns the address the listener is bound to, with the real port
// when it was opened with port 0. It is zero for a Unix socket.
func (l *Listener) Addr() netip.AddrPort { return l.addr }

// Accept takes a pending connection, or returns [biplane.ErrWouldBlock] if
// there is none. The connection is non-blocking and close-on-exec, has
// TCP_NODELAY set if it is TCP (responses are written whole, so Nagle's
// algorithm would only delay them), and is watched by [Listener.Wait] until
// it is closed.
//
// An error from running out of descriptors, buffers or memory (EMFILE,
// ENFILE, ENOBUFS, ENOMEM, or ENOSPC for epoll watches) has a method
// Temporary() bool that reports true: the server may try again later, once
// some connections have closed. Other errors are final, among them
// [ErrAcceptClosed] after [Listener.CloseAccept].
func (l *Listener) Accept() (biplane.Conn, error) {
	if l.w == nil {
		return nil, errListenerClosed
	}
	if l.fd < 0 {
		return nil, ErrAcceptClosed
	}
	for {
		fd, remote, err := l.accept()
		switch err {
		case nil:
		case syscall.EAGAIN:
			l.armed = true
			return nil, biplane.ErrWouldBlock
		case syscall.EINTR, syscall.ECONNABORTED:
			// The peer gave up while queued; take the next one.
			continue
		default:
			return nil, &sysError{"accept", err}
		}
		c := &Conn{fd: int32(fd), l: l, want: wantRead}
		if l.tcp {
			c.remote = remote
			// Best effort, like net's: this fails only if the peer is
			// already gone (EINVAL on the BSDs), and then Read will say so.
			syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		}
		if prepareConn(fd) != nil {
			// The peer is already gone (see above), but without
			// SO_NOSIGPIPE a write could kill the process: drop it.
			syscall.Close(fd)
			continue
		}
		if err := l.w.add(c); err != nil {
			syscall.Close(fd)
			return nil, err
		}
		if fd >= len(l.conns) {
			conns := make([]*Conn, max(fd+1, 2*len(l.conns), 64))
			copy(conns, l.conns)
			l.conns = conns
		}
		l.conns[fd] = c
		return c, nil
	}
}

// Wait blocks until the listener or one of its open connections is ready,
// or until timeout has passed: a negative timeout means no limit and zero
// means do not block. It appends the ready connections to ready and reports
// whether Accept may succeed, as [biplane.Waiter] describes: reports are
// edge-triggered, and spurious ones are possible. A signal that interrupts
// the wait makes it return early with nothing ready, and so does
// [Listener.Wake]. After [Listener.CloseAccept] it goes on reporting
// connections but never reports that Accept may succeed. Wait implements
// [biplane.Waiter]; it does not allocate once ready has room.
func (l *Listener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	if l.w == nil {
		return ready, false, errListenerClosed
	}
	return l.w.wait(l, ready, timeout)
}

// Wake makes a Wait in progress in another goroutine, or else the next
// Wait, return soon, with whatever else it finds; Wait reports nothing for
// the wake itself. It implements [biplane.Waker]. Unlike every other method,
// Wake may be called from any goroutine, concurrently with Wait and Close.
// It never waits for I/O (the lock it takes is held only for a system call
// by Wait and Close) and does not allocate. Wakes before a Wait collapse
// into one early return: only the first writes to the eventfd or pipe, the
// rest find the wake pending. After Close, Wake does nothing and returns an
// error.
func (l *Listener) Wake() error { return l.wake.wake() }

// CloseAccept closes the listening socket, and removes the socket file of a
// Unix socket made by [Listen], while the connections already accepted go
// on being served: Wait keeps reporting them, and Wake keeps working, until
// [Listener.Close]. It implements [biplane.AcceptCloser]. From now on Accept
// returns [ErrAcceptClosed] and Wait never reports that Accept may succeed.
//
// The system refuses new connections (ECONNREFUSED for TCP) and resets
// those that were queued but not yet accepted, once no other descriptor
// refers to the socket: a socket given to [NewListener] as a duplicate, say
// by netsock.New or systemd, goes on listening until its other descriptors
// are closed too.
//
// Calling CloseAccept again, or after Close, does nothing and returns nil.
func (l *Listener) CloseAccept() error {
	if l.w == nil || l.fd < 0 {
		return nil
	}
	l.w.stopAccept()
	err := syscall.Close(l.fd)
	l.fd = -1
	if l.path != "" {
		syscall.Unlink(l.path)
		l.path = ""
	}
	if err != nil && err != syscall.EINTR {
		return &sysError{"close", err}
	}
	return nil
}

// Close closes the listening socket, unless [Listener.CloseAccept] did, the
// wait queue and the waker, and removes the socket file of a Unix socket
// made by [Listen]. Connections already accepted stay open until their
// owner closes them, but Wait no longer reports them. Closing a closed
// Listener does nothing and returns nil.
func (l *Listener) Close() error {
	if l.w == nil {
		return nil
	}
	werr := l.w.close()
	l.w = nil
	kerr := l.wake.close()
	var err error
	if l.fd >= 0 {
		err = syscall.Close(l.fd)
		l.fd = -1
	}
	if l.path != "" {
		syscall.Unlink(l.path)
		l.path = ""
	}
	switch {
	case err != nil && err != syscall.EINTR:
		return &sysError{"close", err}
	case werr != nil:
		return &sysError{"close wait queue", werr}
	case kerr != nil:
		return &sysError{"close wake descriptor", kerr}
	}
	return nil
}

// Interest bits of a Conn: what its owner last found would block, and so
// what a poll(2)-based Wait watches for.
const (
	wantRead  = 1 << iota // Read returned ErrWouldBlock
	wantWrite             // Write returned ErrWouldBlock
)

// A Conn is a non-blocking stream socket accepted by a [Listener]. It
// implements [biplane.Conn], [biplane.CloseWriter] and [biplane.Tagger],
// and on Linux (but 386) [biplane.FileSender] ([Conn.SendFile], with
// sendfile(2)). Like its Listener, it is for one goroutine at a time.
//
// A Conn is 64 bytes on 64-bit systems. On Linux,
// the first [Conn.Writev] adds 80 bytes of reusable sendmsg state and 16
// bytes per buffer in the largest vector written so far.
type Conn struct {
	remote netip.AddrPort
	l      *Listener
	vec    *iovecs // for Writev; nil until then
	fd     int32   // -1 once closed
	want   uint8   // wantRead | wantWrite
	// drained: the last Read returned fewer bytes than asked, so it took
	// all the bytes the socket held (a stream socket's read stops short
	// only when its queue is empty), and Wait has not reported the Conn
	// since. A read stops short also before a pending EOF or error, so
	// it counts only while hup is false.
	drained bool
	// hup: Wait saw the peer's shutdown, a hang-up or an error: a short
	// read may be followed by EOF or the error, which no new event will
	// announce.
	hup bool
	tag uint32 // the server's, see biplane.Tagger
}

// Tag returns the number SetTag stored, or 0. It implements
// [biplane.Tagger], which the server uses to find a reported connection's
// state without a map.
func (c *Conn) Tag() uint32 { return c.tag }

// SetTag stores tag for Tag to return.
func (c *Conn) SetTag(tag uint32) { c.tag = tag }

// Fd returns the connection's file descriptor, or -1 once it is closed. The
// descriptor stays owned by the Conn: close it with [Conn.Close] only.
func (c *Conn) Fd() int { return int(c.fd) }

// RemoteAddr returns the peer's address, or the zero AddrPort for a Unix
// socket. An IPv4 peer of a dual-stack listener has its plain IPv4 address,
// not the IPv4-mapped IPv6 one.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// Read reads up to len(p) bytes. It returns (0, [biplane.ErrWouldBlock]) if
// no bytes are available, (0, io.EOF) once the peer has finished sending,
// and an error wrapping the syscall.Errno if the connection failed, for
// instance syscall.ECONNRESET after the peer reset it. Reading into an empty
// p returns (0, nil).
//
// A Read that returned fewer bytes than asked emptied the socket's queue,
// so the next Read, unless [Listener.Wait] has reported the Conn in
// between, returns [biplane.ErrWouldBlock] without asking the kernel:
// bytes, an EOF or an error that come after the short read are reported by
// Wait all the same (epoll reports each arrival; poll sees what is
// queued). An EOF or error that came before it was reported already, and
// then Read asks the kernel every time. That saves a system call on every
// request of a keep-alive connection.
func (c *Conn) Read(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.drained {
		c.drained = false
		c.want |= wantRead
		return 0, biplane.ErrWouldBlock
	}
	for {
		n, err := sysRead(int(c.fd), p)
		switch err {
		case 0:
			if n == 0 {
				return 0, io.EOF
			}
			c.drained = n < len(p) && !c.hup
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.want |= wantRead
			return 0, biplane.ErrWouldBlock
		default:
			return 0, &sysError{"read", err}
		}
	}
}

// Write writes p. If the kernel's send buffer fills first, it returns the
// count written with [biplane.ErrWouldBlock]; the caller writes the rest
// after Wait reports the connection. A write to a peer that has gone fails
// with an error wrapping syscall.EPIPE or syscall.ECONNRESET; it never
// raises SIGPIPE. Writing an empty p returns (0, nil).
func (c *Conn) Write(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	n := 0
	for n < len(p) {
		m, err := sysSend(int(c.fd), p[n:])
		switch err {
		case 0:
			n += m
		case syscall.EINTR:
		case syscall.EAGAIN:
			c.want |= wantWrite
			return n, biplane.ErrWouldBlock
		default:
			return n, &sysError{"write", err}
		}
	}
	return n, nil
}

// CloseWrite shuts down the sending side (shutdown(2) with SHUT_WR): the
// peer reads EOF once it has read what was written, while this side can
// still read.
func (c *Conn) CloseWrite() error {
	if c.fd < 0 {
		return errConnClosed
	}
	if err := syscall.Shutdown(int(c.fd), syscall.SHUT_WR); err != nil {
		return &sysError{"shutdown", err}
	}
	return nil
}

// Close closes the connection at once; data not yet sent may be lost. Wait
// never reports the connection again. Closing a closed Conn does nothing
// and returns nil.
func (c *Conn) Close() error {
	if c.fd < 0 {
		return nil
	}
	fd := int(c.fd)
	c.fd = -1
	c.vec = nil
	l := c.l
	// Forget the descriptor before closing it: the number may be handed to
	// the next accepted connection at once.
	if fd < len(l.conns) && l.conns[fd] == c {
		l.conns[fd] = nil
	}
	// Closing the descriptor is all it takes to stop watching it: epoll
	// drops a watch when its file closes, as nginx relies on, and poll
	// watches what l.conns holds. Where the file outlives the descriptor
	// (duplicated, say into a child process between fork and exec), its
	// events keep arriving under the number, which a newer connection may
	// own; that is a spurious report, as the Waiter contract allows.
	//
	// On Linux, and per POSIX 2024, the descriptor is released even when
	// close reports EINTR, so that is not worth reporting.
	if err := syscall.Close(fd); err != nil && err != syscall.EINTR {
		return &sysError{"close", err}
	}
	return nil
}

// A sysError is a failed system call with the operation that made it.
type sysError struct {
	op  string
	err error // usually a syscall.Errno
}

func (e *sysError) Error() string { return "unixsock: " + e.op + ": " + e.err.Error() }

func (e *sysError) Unwrap() error { return e.err }

// Temporary reports whether the error is a shortage of descriptors, buffers,
// memory or (ENOSPC, from epoll_ctl) epoll watches, which may end when
// other connections close. The biplane server
// retries Accept later after such errors instead of stopping.
func (e *sysError) Temporary() bool {
	switch e.err {
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ENOSPC:
		return true
	}
	return false
}

// durationMillis converts a timeout to poll(2) or epoll_wait(2)
// milliseconds: -1 for no limit, and rounded up, never down, so that a loop
// waiting for a deadline does not wake just before it and spin.
func durationMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	return int(min(ms, 1<<31-1))
}
