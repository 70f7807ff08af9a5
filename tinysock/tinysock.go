// Package tinysock is a biplane transport for TinyGo boards whose network
// is a WiFi co-processor driven by a TinyGo netdev driver, such as the
// ESP32-based NINA-W102 of the Arduino Nano 33 IoT and Nano RP2040 Connect
// (driver wifinina) or the RTL8720DN of the Wio Terminal (rtl8720dn). Like
// Biplane's WiFi helpers, one call brings the device onto a network (join
// one, or start an access point) and listens:
//
//	ln, err := tinysock.Listen(dev, tinysock.Config{
//		Connect: func() error { return dev.NetConnect(&params) },
//		Addr:    netip.AddrPortFrom(netip.IPv4Unspecified(), 80),
//	})
//	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
//	for srv.Step() {
//		led.Toggle() // your own work, between bounded steps
//		srv.Wait(10 * time.Millisecond)
//	}
//
// The package drives the socket calls of the driver (Socket, Bind, Listen,
// Accept, Recv, Send, Close) through [Netdev], an interface with the same
// method signatures as TinyGo's netdev.Netdever, so every netdev driver
// satisfies it. It imports neither package net nor the drivers module.
//
// # Deadlines and what they cost
//
// Netdev calls block; their only bound is a deadline, which the drivers
// check between polls of the chip. So a Conn turns each call into a
// bounded one:
//
//   - Read calls Recv with a deadline [Config.Poll] away (1 ms unless
//     set), and a timeout becomes [biplane.ErrWouldBlock]. The drivers
//     (wifinina, rtl8720dn, espat as of 2024) sleep 100 ms between polls
//     of the chip, so a Recv on a connection with nothing to read returns
//     only after that sleep: an idle connection costs the loop about
//     100 ms each time it is polled. A driver that checks the deadline
//     without sleeping costs nothing.
//   - Write sends at most [Config.Chunk] bytes per call (1436, what the
//     drivers send in one chip command), then returns with
//     [biplane.ErrWouldBlock] if more is left, so the loop gets a turn
//     between chunks. A Send that times out is an error that closes the
//     connection, not a would-block: the drivers time out after handing
//     the chunk to the chip, so how much of it left is unknown.
//   - Accept has no deadline in the netdev interface, and every driver
//     that serves blocks in it until a client connects. So [Listen] starts
//     one goroutine that loops in Accept and hands each connection to
//     [Listener.Accept] through a queue; nothing else runs outside the
//     caller's loop. It needs a scheduler: TinyGo's default on boards
//     (tasks) has one; with -scheduler=none Listen fails.
//
// The drivers have no shutdown call, so a Conn is not a
// [biplane.CloseWriter], and Close closes at once. The transport is not a
// [biplane.Waiter]: the server polls each connection in turn.
package tinysock

import (
	"errors"
	"io"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/biplane-go/biplane"
)

var (
	_ biplane.Listener     = (*Listener)(nil)
	_ biplane.AcceptCloser = (*Listener)(nil)
	_ biplane.Conn         = (*Conn)(nil)
)

// Netdev is the part of TinyGo's netdev.Netdever (package
// tinygo.org/x/drivers/netdev) that the package uses, with the same method
// signatures, so that a netdev driver is a Netdev as it is. See socket(2)
// and its neighbours for what the calls do; a zero deadline means none.
// As for a Netdever, its methods may be called from several goroutines at
// once (here: the accept goroutine and the loop).
type Netdev interface {
	Socket(domain int, stype int, protocol int) (int, error)
	Bind(sockfd int, ip netip.AddrPort) error
	Listen(sockfd int, backlog int) error
	Accept(sockfd int) (int, netip.AddrPort, error)
	Send(sockfd int, buf []byte, flags int, deadline time.Time) (int, error)
	Recv(sockfd int, buf []byte, flags int, deadline time.Time) (int, error)
	Close(sockfd int) error
}

// The netdev constants the package passes (netdev.AF_INET and so on).
const (
	afINET      = 0x2
	sockSTREAM  = 0x1
	ipprotoTCP  = 0x6
	defaultPort = 80
)

// Defaults of the [Config] fields.
const (
	DefaultBacklog     = 4
	DefaultPoll        = time.Millisecond
	DefaultSendTimeout = 5 * time.Second
	DefaultChunk       = 1436
)

// Config holds the options of [Listen]. The zero value is the defaults.
type Config struct {
	// Connect, if not nil, is called first to bring the device onto a
	// network: the driver's NetConnect with the netlink.ConnectParams of
	// a network to join (netlink.ConnectModeSTA) or of an access point to
	// start (netlink.ConnectModeAP). Its error is Listen's.
	Connect func() error

	// Addr is the address to listen on. If zero, 0.0.0.0:80.
	Addr netip.AddrPort

	// Backlog is the listen backlog, and the number of accepted
	// connections queued for Accept. If zero, 4: WiFi co-processors
	// offer a handful of sockets (wifinina: 10 in all).
	Backlog int

	// Poll is how far ahead the deadline of each Recv is set: how long
	// a Read may wait for bytes before it returns
	// [biplane.ErrWouldBlock]. If zero, 1 ms. See the package
	// documentation for what the drivers make of it.
	Poll time.Duration

	// SendTimeout bounds one Send; a Send that times out fails the
	// connection. If zero, 5 s.
	SendTimeout time.Duration

	// Chunk is the most bytes one Write sends. If zero, 1436.
	Chunk int
}

var (
	// ErrAcceptClosed is returned by [Listener.Accept] after
	// [Listener.CloseAccept].
	ErrAcceptClosed = errors.New("tinysock: listener closed by CloseAccept")

	// ErrSendTimeout is returned by [Conn.Write] when the driver's Send
	// timed out: how much of the chunk left is unknown, so the
	// connection cannot go on.
	ErrSendTimeout = errors.New("tinysock: send timed out")

	errListenerClosed = errors.New("tinysock: use of closed listener")
	errConnClosed     = errors.New("tinysock: use of closed connection")
)

// An OpError is a failed netdev call.
type OpError struct {
	Op     string // "socket", "bind", "listen", "accept", "recv", "send", "close"
	Sockfd int
	Err    error
}

func (e *OpError) Error() string {
	return "tinysock: " + e.Op + " (sockfd " + itoa(e.Sockfd) + "): " + e.Err.Error()
}

// Unwrap returns the driver's error.
func (e *OpError) Unwrap() error { return e.Err }

// Temporary reports true for an accept that failed because the device was
// out of sockets, so that the server tries again later.
func (e *OpError) Temporary() bool { return e.Op == "accept" && !isFinal(e.Err) }

// isFinal reports whether an Accept error ends accepting: the listening
// socket is gone. Other errors (out of sockets, most often) may pass.
func isFinal(err error) bool { return err == errListenerClosed }

// isTimeout reports whether err is a driver's deadline error, such as
// netdev.ErrTimeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// A Listener is a listening socket of a [Netdev]. It implements
// [biplane.Listener] and [biplane.AcceptCloser]. Its methods, and those of
// its connections, belong to the loop's goroutine.
type Listener struct {
	dev    Netdev
	cfg    Config
	fd     int
	queue  chan accepted
	stop   atomic.Bool   // the accept goroutine must stop
	done   chan struct{} // closed when the accept goroutine has ended
	closed bool
	shut   bool // CloseAccept was called
}

// accepted is what the accept goroutine hands to Accept.
type accepted struct {
	fd     int
	remote netip.AddrPort
	err    error
}

// testHookAccepted, if set by a test, runs in the accept goroutine after
// each result it queued.
var testHookAccepted func()

// Listen brings dev onto a network with cfg.Connect (if set), opens a TCP
// socket listening on cfg.Addr, and starts the goroutine that accepts
// connections on it.
func Listen(dev Netdev, cfg Config) (*Listener, error) {
	if !haveScheduler {
		return nil, errors.New("tinysock: netdev's Accept blocks, so Listen needs a scheduler (build without -scheduler=none)")
	}
	if cfg.Connect != nil {
		if err := cfg.Connect(); err != nil {
			return nil, err
		}
	}
	if !cfg.Addr.IsValid() {
		cfg.Addr = netip.AddrPortFrom(netip.IPv4Unspecified(), defaultPort)
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultBacklog
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = DefaultChunk
	}
	fd, err := dev.Socket(afINET, sockSTREAM, ipprotoTCP)
	if err != nil {
		return nil, &OpError{"socket", fd, err}
	}
	if err := dev.Bind(fd, cfg.Addr); err != nil {
		dev.Close(fd)
		return nil, &OpError{"bind", fd, err}
	}
	if err := dev.Listen(fd, cfg.Backlog); err != nil {
		dev.Close(fd)
		return nil, &OpError{"listen", fd, err}
	}
	l := &Listener{dev: dev, cfg: cfg, fd: fd, queue: make(chan accepted, cfg.Backlog), done: make(chan struct{})}
	startAccepting(l)
	return l, nil
}

// acceptLoop runs in its own goroutine: it waits in the driver's Accept
// and queues what it returns, until the listener closes. A connection
// accepted after that is closed at once.
func (l *Listener) acceptLoop() {
	defer close(l.done)
	for !l.stop.Load() {
		fd, remote, err := l.dev.Accept(l.fd)
		if l.stop.Load() {
			if err == nil {
				l.dev.Close(fd)
			}
			return
		}
		if err != nil {
			// The driver's error (out of sockets, a chip fault) goes to
			// the server, which pauses and tries again; meanwhile this
			// goroutine waits on the queue like any other result.
			l.queue <- accepted{err: err}
		} else {
			l.queue <- accepted{fd: fd, remote: remote}
		}
		if testHookAccepted != nil {
			testHookAccepted()
		}
	}
	l.drain() // what was queued while CloseAccept drained
}

// drain closes the connections in the queue. The loop (in CloseAccept) and
// the accept goroutine (as it stops) may both drain: each connection is
// received, and so closed, once.
func (l *Listener) drain() {
	for {
		select {
		case a := <-l.queue:
			if a.err == nil {
				l.dev.Close(a.fd)
			}
		default:
			return
		}
	}
}

// Accept returns a connection that the accept goroutine took, or
// [biplane.ErrWouldBlock] if there is none. An error of the driver's has a
// Temporary method that reports true: the server tries again later.
func (l *Listener) Accept() (biplane.Conn, error) {
	switch {
	case l.closed:
		return nil, errListenerClosed
	case l.shut:
		return nil, ErrAcceptClosed
	}
	select {
	case a := <-l.queue:
		if a.err != nil {
			return nil, &OpError{"accept", l.fd, a.err}
		}
		return &Conn{l: l, fd: a.fd, remote: a.remote}, nil
	default:
		// Give the accept goroutine a turn: the scheduler is cooperative,
		// and a busy loop would otherwise never let it run.
		runtime.Gosched()
		return nil, biplane.ErrWouldBlock
	}
}

// CloseAccept closes the listening socket while the connections already
// accepted go on working; it implements [biplane.AcceptCloser]. From now on
// Accept returns [ErrAcceptClosed], and connections still queued, or
// accepted later by a driver that does not notice the close, are closed.
// Calling it again does nothing.
//
// The accept goroutine ends when the driver's Accept returns; a driver
// that does not notice that its listening socket closed (wifinina's Accept
// polls on regardless) keeps it parked there, costing a goroutine stack
// and a poll of the chip every 100 ms.
func (l *Listener) CloseAccept() error {
	if l.closed || l.shut {
		return nil
	}
	l.shut = true
	l.stop.Store(true)
	l.drain()
	if err := l.dev.Close(l.fd); err != nil {
		return &OpError{"close", l.fd, err}
	}
	return nil
}

// Close closes the listening socket, unless CloseAccept did. Connections
// already accepted stay open until their owner closes them. Closing a
// closed Listener does nothing and returns nil.
func (l *Listener) Close() error {
	if l.closed {
		return nil
	}
	err := l.CloseAccept()
	l.closed = true
	return err
}

// A Conn is one accepted connection of a [Listener]. It implements
// [biplane.Conn].
type Conn struct {
	l      *Listener
	fd     int // -1 once closed
	remote netip.AddrPort
	eof    bool // the driver returned the last bytes with io.EOF
}

// Sockfd returns the driver's socket descriptor, or -1 once closed.
func (c *Conn) Sockfd() int { return c.fd }

// Read receives what has arrived, waiting at most [Config.Poll] (plus the
// driver's own polling interval), else returns [biplane.ErrWouldBlock].
func (c *Conn) Read(p []byte) (int, error) {
	switch {
	case c.fd < 0:
		return 0, errConnClosed
	case c.eof:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	n, err := c.l.dev.Recv(c.fd, p, 0, time.Now().Add(c.l.cfg.Poll))
	n = max(n, 0) // drivers return -1 with their errors
	switch {
	case err == nil && n == 0:
		// Not a timeout, not EOF: a driver that returns at once when
		// it has nothing.
		return 0, biplane.ErrWouldBlock
	case err == nil:
		return n, nil
	case err == io.EOF:
		if n > 0 { // the last bytes, with the news of the end
			c.eof = true
			return n, nil
		}
		return 0, io.EOF
	case isTimeout(err):
		return n, wouldBlockIf(n)
	}
	return 0, &OpError{"recv", c.fd, err}
}

// wouldBlockIf returns ErrWouldBlock if nothing was read.
func wouldBlockIf(n int) error {
	if n == 0 {
		return biplane.ErrWouldBlock
	}
	return nil
}

// Write sends up to [Config.Chunk] bytes of p. If that is not all of p,
// it returns the count sent with [biplane.ErrWouldBlock], so that the loop
// gets a turn before the next chunk.
func (c *Conn) Write(p []byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	chunk := p[:min(len(p), c.l.cfg.Chunk)]
	n, err := c.l.dev.Send(c.fd, chunk, 0, time.Now().Add(c.l.cfg.SendTimeout))
	n = max(n, 0)
	switch {
	case err != nil && isTimeout(err):
		return n, &OpError{"send", c.fd, ErrSendTimeout}
	case err != nil:
		return n, &OpError{"send", c.fd, err}
	case n < len(p):
		return n, biplane.ErrWouldBlock
	}
	return n, nil
}

// Close closes the connection. Closing a closed Conn does nothing and
// returns nil.
func (c *Conn) Close() error {
	if c.fd < 0 {
		return nil
	}
	fd := c.fd
	c.fd = -1
	if err := c.l.dev.Close(fd); err != nil {
		return &OpError{"close", fd, err}
	}
	return nil
}

// RemoteAddr returns the peer's address, as the driver's Accept told it.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// itoa avoids strconv, to keep firmware small.
func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
