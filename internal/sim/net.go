// Package sim is a deterministic simulation of the network and the clock
// around a biplane.Server: one seed decides every byte's arrival, every
// stall, reset and vanished peer, the order connections are accepted in,
// and every jump of the clock. The real server, its Mux and handlers run
// over it unmodified, on one goroutine; the tests that drive it
// (sim_test.go in the root package) check invariants after every step and
// replay any failure from its seed.
//
// Nothing here reorders the bytes of one connection: TCP does not. What
// varies is how many arrive per read, how many a write takes, when, and
// whether the peer is still there.
package sim

import (
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/biplane-go/biplane"
)

// Errors the simulated connections fail with.
var (
	ErrReset  = errors.New("sim: connection reset by peer")
	ErrClosed = errors.New("sim: use of closed connection")
)

// A Net is a simulated network: one listener, its connections, a clock
// and the random source that decides what each does.
type Net struct {
	R   *rand.Rand
	Now time.Time

	pending []*Conn // dialed, not yet accepted
	conns   []*Conn // every connection ever dialed
	closed  bool
	trace   uint64 // FNV-1a of the events, for determinism checks
	Events  int    // events traced

	// Log, if not nil, is told every event, for replaying a seed.
	Log func(format string, args ...any)
}

// New returns a network whose every decision comes from seed.
func New(seed uint64) *Net {
	return &Net{R: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Now: time.Unix(1_700_000_000, 0)}
}

// Clock is the server's clock: the network's time.
func (n *Net) Clock() time.Time { return n.Now }

// Advance moves the clock on by d.
func (n *Net) Advance(d time.Duration) { n.Now = n.Now.Add(d); n.Trace("advance", int64(d)) }

// Trace folds an event into the trace (FNV-1a over its name and value).
func (n *Net) Trace(what string, v int64) {
	if n.Log != nil {
		n.Log("%v %s %d", n.Now.Sub(time.Unix(1_700_000_000, 0)), what, v)
	}
	const prime = 1099511628211
	h := n.trace
	if h == 0 {
		h = 14695981039346656037
	}
	for i := 0; i < len(what); i++ {
		h = (h ^ uint64(what[i])) * prime
	}
	for i := range 8 {
		h = (h ^ uint64(byte(v>>(8*i)))) * prime
	}
	n.trace = h
	n.Events++
}

// TraceSum returns the trace so far: equal for two runs of one seed.
func (n *Net) TraceSum() uint64 { return n.trace }

// Listener returns the network's listener.
func (n *Net) Listener() biplane.Listener { return (*listener)(n) }

type listener Net

// Accept hands out a pending connection, not always the oldest: a
// kernel's accept queue is ordered, but several listeners' are not.
func (l *listener) Accept() (biplane.Conn, error) {
	n := (*Net)(l)
	if n.closed {
		return nil, ErrClosed
	}
	if len(n.pending) == 0 || n.R.IntN(8) == 0 {
		return nil, biplane.ErrWouldBlock
	}
	i := 0
	if len(n.pending) > 1 && n.R.IntN(4) == 0 {
		i = n.R.IntN(len(n.pending))
	}
	c := n.pending[i]
	n.pending = append(n.pending[:i], n.pending[i+1:]...)
	c.accepted = true
	n.Trace("accept", int64(c.id))
	return (*serverSide)(c), nil
}

// Close closes the listener; connections not yet accepted are refused, as
// the kernel resets them.
func (l *listener) Close() error {
	n := (*Net)(l)
	n.closed = true
	for _, c := range n.pending {
		c.serverClosed = true
		n.Trace("refuse", int64(c.id))
	}
	n.pending = nil
	return nil
}

// MaxDelay bounds how long a byte sent stays in flight, and how long
// congestion blocks writes to a client with room in its window: reads and
// writes report would-block at random only until then. A real network
// delays a segment for a retransmission or two, far less than the
// server's timeouts; unbounded, a late step plus a read that found
// nothing, or writes blocked in every step of a late loop, would blame a
// client that was prompt.
const MaxDelay = time.Second

// A Conn is one simulated TCP connection, seen from the client's side.
// The server sees it through the biplane.Conn the listener hands out.
type Conn struct {
	net *Net
	id  int

	toServer []byte    // sent by the client, not yet read by the server
	sentAt   time.Time // when toServer last filled from empty: its bytes were sent then or later
	// congested: since when writes have found the way to the client
	// blocked, with room in its window; zero when they have not.
	congested time.Time
	toClient  []byte // written by the server, not yet read by the client
	window    int    // the client's receive buffer: toClient's bound

	accepted     bool
	clientFIN    bool // the client has shut down its sending side
	reset        bool // the client reset the connection
	vanished     bool // the client is gone without a FIN or RST
	serverFIN    bool // the server shut down its sending side
	serverClosed bool // the server closed the connection
}

// Dial opens a connection with a receive window of window bytes.
func (n *Net) Dial(window int) *Conn {
	c := &Conn{net: n, id: len(n.conns), window: window}
	n.conns = append(n.conns, c)
	n.pending = append(n.pending, c)
	n.Trace("dial", int64(c.id))
	return c
}

// Send queues p for the server.
func (c *Conn) Send(p []byte) {
	if c.reset || c.vanished || c.clientFIN {
		return
	}
	if len(c.toServer) == 0 {
		c.sentAt = c.net.Now
	}
	c.toServer = append(c.toServer, p...)
	c.net.Trace("send", int64(c.id)<<32|int64(len(p)))
}

// Receive takes up to max bytes the server sent.
func (c *Conn) Receive(max int) []byte {
	k := min(max, len(c.toClient))
	p := c.toClient[:k:k]
	c.toClient = c.toClient[k:]
	c.net.Trace("recv", int64(c.id)<<32|int64(k))
	return p
}

// Buffered returns how many bytes the server sent that the client has not
// read yet.
func (c *Conn) Buffered() int { return len(c.toClient) }

// CloseWrite sends the client's FIN.
func (c *Conn) CloseWrite() { c.clientFIN = true; c.net.Trace("fin", int64(c.id)) }

// Reset resets the connection from the client's side.
func (c *Conn) Reset() { c.reset = true; c.net.Trace("reset", int64(c.id)) }

// Vanish makes the client disappear without a FIN or RST: a cable pulled.
func (c *Conn) Vanish() { c.vanished = true; c.net.Trace("vanish", int64(c.id)) }

// Done reports whether the server has closed the connection, or shut down
// its side and the client has read all it sent.
func (c *Conn) Done() bool {
	return c.serverClosed || (c.serverFIN && len(c.toClient) == 0)
}

// ServerClosed reports whether the server closed the connection.
func (c *Conn) ServerClosed() bool { return c.serverClosed }

// Accepted reports whether the server has accepted the connection.
func (c *Conn) Accepted() bool { return c.accepted }

// serverSide is the server's end of a Conn.
type serverSide Conn

var _ biplane.CloseWriter = (*serverSide)(nil)

func (s *serverSide) Read(p []byte) (int, error) {
	c := (*Conn)(s)
	switch {
	case c.serverClosed:
		return 0, ErrClosed
	case c.reset:
		return 0, ErrReset
	case len(c.toServer) == 0 && c.clientFIN:
		return 0, io.EOF
	case len(c.toServer) == 0:
		return 0, biplane.ErrWouldBlock
	case c.net.R.IntN(6) == 0 && c.net.Now.Sub(c.sentAt) < MaxDelay:
		// Still in flight. Never for longer than MaxDelay: a loop that
		// steps late finds every byte sent long enough before.
		return 0, biplane.ErrWouldBlock
	}
	k := min(len(p), len(c.toServer))
	if k > 1 && c.net.R.IntN(3) == 0 {
		k = 1 + c.net.R.IntN(k) // a short read
	}
	copy(p, c.toServer[:k])
	c.toServer = c.toServer[k:]
	c.net.Trace("sread", int64(c.id)<<32|int64(k))
	return k, nil
}

func (s *serverSide) Write(p []byte) (int, error) {
	c := (*Conn)(s)
	switch {
	case c.serverClosed, c.serverFIN:
		return 0, ErrClosed
	case c.reset:
		return 0, ErrReset
	}
	room := c.window - len(c.toClient)
	switch {
	case room <= 0:
		return 0, biplane.ErrWouldBlock // the client is not reading
	case c.net.R.IntN(6) == 0 && (c.congested.IsZero() || c.net.Now.Sub(c.congested) < MaxDelay):
		// Congestion, with room in the client's window: never for longer
		// than MaxDelay in a row.
		if c.congested.IsZero() {
			c.congested = c.net.Now
		}
		return 0, biplane.ErrWouldBlock
	}
	c.congested = time.Time{}
	k := min(len(p), room)
	if k > 1 && c.net.R.IntN(3) == 0 {
		k = 1 + c.net.R.IntN(k) // a short write
	}
	if !c.vanished {
		c.toClient = append(c.toClient, p[:k]...)
	} else {
		c.window -= k // nobody reads: the window fills
	}
	c.net.Trace("swrite", int64(c.id)<<32|int64(k))
	if k < len(p) {
		return k, biplane.ErrWouldBlock
	}
	return k, nil
}

func (s *serverSide) CloseWrite() error {
	c := (*Conn)(s)
	if c.serverClosed {
		return ErrClosed
	}
	c.serverFIN = true
	c.net.Trace("sfin", int64(c.id))
	return nil
}

func (s *serverSide) Close() error {
	c := (*Conn)(s)
	c.serverClosed = true
	c.net.Trace("sclose", int64(c.id))
	return nil
}

func (s *serverSide) RemoteAddr() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), uint16(1024+s.id))
}
