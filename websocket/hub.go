package websocket

import (
	"iter"
	"time"
	"unicode/utf8"
)

// A Hub is a set of open connections, for broadcasts and keep-alive. A
// connection leaves it by itself when it closes. The zero Hub is ready to
// use; like [Conn], it must be used from the loop's goroutine.
//
// The biplane server closes a connection on which no byte moves for
// [biplane.Limits].IdleTimeout (60 s by default), and a peer that vanished
// without a word may go unnoticed much longer. [Hub.Tick], called from the
// loop about once a second, covers both: it pings each connection that has
// received nothing for PingInterval, which moves bytes both ways and keeps
// it open; it drops one that then receives nothing for Timeout after the
// Ping, and one whose peer has not answered the server's Close frame
// within Timeout.
type Hub struct {
	// PingInterval is how long a connection may receive nothing before
	// Tick pings it. Keep it below the server's IdleTimeout. If zero, 30 s
	// is used.
	PingInterval time.Duration

	// Timeout is how long Tick waits for any byte after a Ping, or for the
	// peer's Close after the server's, before it closes the TCP
	// connection (OnClose then reports 1006). If zero, 15 s is used.
	Timeout time.Duration

	conns  []*Conn
	closed bool // Close has run: connections added later are closed too
}

// Default values of [Hub].
const (
	DefaultPingInterval = 30 * time.Second
	DefaultTimeout      = 15 * time.Second
)

// Add adds c to h, taking it out of any other Hub. A closed connection is
// not added. After [Hub.Close], c is closed with 1001 Going Away as it is
// added.
func (h *Hub) Add(c *Conn) {
	if c.hub == h || c.closed {
		return
	}
	if c.hub != nil {
		c.hub.Remove(c)
	}
	c.hub, c.hubIdx = h, len(h.conns)
	c.seen, c.seenRx, c.pingAt, c.closingAt = time.Time{}, c.rx, time.Time{}, time.Time{}
	h.conns = append(h.conns, c)
	if h.closed {
		c.Close(CloseGoingAway, goingAway)
	}
}

// goingAway is the reason Close gives.
const goingAway = "server shutting down"

// Close starts the closing handshake on every connection in h with 1001
// Going Away, "server shutting down" (RFC 6455 §7.4.1: "an endpoint is
// going away, such as a server going down"), after what each has queued,
// and closes every connection added to h from then on the same way.
// Register it to run when the server starts shutting down:
//
//	srv.OnShutdown(hub.Close)
//
// so that the [biplane.Server.Shutdown] drain does not wait for WebSocket
// connections until its timeout: each closes once its peer answers with
// its own Close frame, as browsers do at once. The connections stay in h
// until then, so that [Hub.Tick] drops a peer that leaves the Close
// unanswered for Timeout; the drain's own timeout bounds the rest.
func (h *Hub) Close() {
	h.closed = true
	for _, c := range h.conns {
		c.Close(CloseGoingAway, goingAway) // ErrClosed if already closing
	}
}

// Remove takes c out of h, if it is there.
func (h *Hub) Remove(c *Conn) {
	if c.hub != h {
		return
	}
	last := h.conns[len(h.conns)-1]
	h.conns[c.hubIdx], last.hubIdx = last, c.hubIdx
	h.conns[len(h.conns)-1] = nil
	h.conns = h.conns[:len(h.conns)-1]
	c.hub = nil
}

// Len returns the number of connections in h.
func (h *Hub) Len() int { return len(h.conns) }

// All returns an iterator over the connections in h. The loop's body may
// close or Remove the connection it is given, but not others.
func (h *Hub) All() iter.Seq[*Conn] {
	return func(yield func(*Conn) bool) {
		// Backwards, so that removing the current one moves an already
		// visited one into its place.
		for i := len(h.conns) - 1; i >= 0; i-- {
			if i < len(h.conns) && !yield(h.conns[i]) {
				return
			}
		}
	}
}

// Broadcast queues data as one message of type typ on every connection in
// h, and returns how many took it. A connection whose output buffer is
// full misses it (see [Conn.WriteMessage]); to drop such slow peers
// instead, range over [Hub.All] and Close those that return
// [ErrBufferFull]. A text message that is not UTF-8 is sent to none. It
// panics if typ is neither [Text] nor [Binary].
func (h *Hub) Broadcast(typ MessageType, data []byte) int {
	switch typ {
	case Text:
		if !utf8.Valid(data) {
			return 0
		}
	case Binary:
	default:
		panic("websocket: Broadcast with an invalid message type")
	}
	n := 0
	for _, c := range h.conns {
		if c.reserve(byte(typ), len(data), c.maxOut) == nil {
			c.out = append(c.out, data...)
			c.queued()
			n++
		}
	}
	return n
}

// Tick does the Hub's keep-alive work for the time now; see [Hub]. Call it
// from the loop, about once a second, with the current time. It costs a
// few comparisons per connection.
func (h *Hub) Tick(now time.Time) {
	interval, timeout := h.PingInterval, h.Timeout
	if interval <= 0 {
		interval = DefaultPingInterval
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for _, c := range h.conns {
		if c.seen.IsZero() || c.rx != c.seenRx {
			// Any byte received shows the peer is there.
			c.seen, c.seenRx, c.pingAt = now, c.rx, time.Time{}
		}
		if c.sentClose && c.closingAt.IsZero() {
			c.closingAt = now
		}
		switch {
		case c.aborted:
		case c.sentClose && now.Sub(c.closingAt) >= timeout,
			!c.pingAt.IsZero() && now.Sub(c.pingAt) >= timeout:
			// RFC 6455 §7.1.1 lets the server close the TCP connection
			// when the closing handshake does not finish; a peer that
			// answers no Ping is gone.
			c.aborted = true
			c.wake.Wake()
		case c.pingAt.IsZero() && !c.sentClose && now.Sub(c.seen) >= interval:
			if c.Ping(nil) == nil {
				c.pingAt = now
			}
		}
	}
}
