package sse

import (
	"errors"
	"io"

	"github.com/biplane-go/biplane"
)

// errSlow ends the stream of a subscriber removed by the Disconnect
// policy. The server abandons the response on it and closes the
// connection.
var errSlow = errors.New("sse: subscriber too slow, disconnected")

// minBuffer is the size a subscriber's buffer starts at.
const minBuffer = 512

// A Subscriber is one client's event stream: the Stream of the response
// [Broker.Subscribe] returns. The server reads it as the connection takes
// bytes; the broker queues events in it and wakes the connection.
type Subscriber struct {
	// The queue is a ring of at most max bytes holding whole encoded
	// events and comments. Each of them ends with an empty line ("\n\n")
	// and holds no other, and the stream is nothing but them, so every
	// "\n\n" in it ends an event: that is how DropOldest finds whole
	// events to drop, with no bookkeeping per event.
	b      *Broker
	wake   biplane.Wakeup
	buf    []byte // the ring; grows up to max
	head   int    // index in buf of the first queued byte
	n      int    // bytes queued
	max    int
	idx    int   // in b.subs; -1 once it has left
	done   error // what Read returns once the queue is empty; nil while subscribed
	lastID string
	hdr    [2]biplane.Field // the response's header fields, without an allocation of their own
	// The bytes Read has handed out so far: whether they end inside an
	// event (rather than just after one), and whether the last was LF.
	mid, nl bool
}

// LastEventID returns the Last-Event-ID header field of the subscriber's
// request (HTML §9.2.4): the ID of the last event the client received
// before it reconnected, or "" if it sent none. A handler can send the
// events after it with [Subscriber.Send] before returning the response.
func (s *Subscriber) LastEventID() string { return s.lastID }

// Send sends ev to this subscriber alone, as [Broker.Publish] sends to
// all, under the same Slow policy. It returns [ErrClosed] once the
// subscriber has left the broker.
func (s *Subscriber) Send(ev Event) error {
	if s.idx < 0 {
		return ErrClosed
	}
	enc, err := s.b.encode(ev)
	if err != nil {
		return err
	}
	s.push(enc, false)
	return nil
}

// Read implements io.Reader for the server: it hands out queued bytes,
// and returns [biplane.ErrWouldBlock] when there are none, until the
// broker wakes the connection with more. Once the subscriber has left
// the broker, it returns what is queued and then io.EOF, or, after a
// Disconnect, an error.
func (s *Subscriber) Read(p []byte) (int, error) {
	if s.n == 0 {
		if s.done != nil {
			return 0, s.done
		}
		return 0, biplane.ErrWouldBlock
	}
	k := copy(p, s.buf[s.head:min(s.head+s.n, len(s.buf))])
	if k < len(p) && k < s.n {
		k += copy(p[k:], s.buf[:s.n-k])
	}
	if k == 0 {
		return 0, nil
	}
	// Every "\n\n" in the stream ends an event (see the queue's comment).
	if k >= 2 {
		s.mid = p[k-2] != '\n' || p[k-1] != '\n'
	} else {
		s.mid = !s.nl || p[0] != '\n'
	}
	s.nl = p[k-1] == '\n'
	s.head = s.pos(k)
	s.n -= k
	if s.n == 0 {
		s.head = 0
		return k, s.done
	}
	return k, nil
}

// Close removes the subscriber from its broker. The server calls it when
// the response ends, whatever the reason, and its buffer is then freed.
// The program may call it too, to end this one stream gracefully: what is
// queued is sent, then the stream ends. Calls after the first do nothing.
func (s *Subscriber) Close() error {
	if s.idx >= 0 {
		s.b.detach(s)
	}
	s.end(io.EOF)
	if s.wake.Closed() {
		// The response is over: nothing will read the queue.
		s.buf, s.head, s.n = nil, 0, 0
	}
	return nil
}

// end makes the stream end with err once its queue is sent, unless it is
// already ending.
func (s *Subscriber) end(err error) {
	if s.done == nil {
		s.done = err
		s.wake.Wake()
	}
}

// pos returns the index in buf of the queued byte at offset i.
func (s *Subscriber) pos(i int) int {
	i += s.head
	if i >= len(s.buf) {
		i -= len(s.buf)
	}
	return i
}

// push queues the encoded event or comment p and wakes the connection. If
// there is no room, an optional p (a comment) is skipped, and anything
// else is dealt with by the Slow policy.
func (s *Subscriber) push(p []byte, optional bool) {
	if s.n+len(p) > s.max {
		if optional || !s.makeRoom(len(p)) {
			return
		}
	}
	if s.n+len(p) > len(s.buf) {
		s.grow(s.n + len(p))
	}
	tail := s.pos(s.n)
	k := copy(s.buf[tail:], p)
	copy(s.buf, p[k:])
	s.n += len(p)
	s.wake.Wake()
}

// grow enlarges the ring to hold at least need bytes, doubling, up to max.
func (s *Subscriber) grow(need int) {
	size := max(2*len(s.buf), minBuffer)
	for size < need {
		size *= 2
	}
	nb := make([]byte, min(size, s.max))
	k := copy(nb, s.buf[s.head:min(s.head+s.n, len(s.buf))])
	copy(nb[k:], s.buf[:s.n-k])
	s.buf, s.head = nb, 0
}

// makeRoom applies the Slow policy to make room for need more bytes. It
// reports whether there is room now.
func (s *Subscriber) makeRoom(need int) bool {
	b := s.b
	if b.Slow == Disconnect {
		b.detach(s)
		b.stats.Disconnected++
		s.end(errSlow)
		return false
	}
	// The event the connection is part-way through stays: p bytes at the
	// head of the queue.
	p := 0
	if s.mid {
		p = s.eventEnd(0, s.nl)
	}
	if p+need > s.max {
		b.stats.Dropped++ // the new event
		return false
	}
	drop := 0
	for s.n-drop+need > s.max {
		if s.buf[s.pos(p+drop)] != ':' { // a comment is no event
			b.stats.Dropped++
		}
		drop = s.eventEnd(p+drop, false) - p
	}
	// Move the partly sent event's rest forward over the dropped events,
	// from its end, as the two may overlap.
	for i := p - 1; i >= 0; i-- {
		s.buf[s.pos(drop+i)] = s.buf[s.pos(i)]
	}
	s.head = s.pos(drop)
	s.n -= drop
	return true
}

// eventEnd returns the offset just past the end of the event or comment
// at offset off of the queue: past its first "\n\n". nl says whether the
// byte before off was LF.
func (s *Subscriber) eventEnd(off int, nl bool) int {
	for i := off; i < s.n; i++ {
		if s.buf[s.pos(i)] != '\n' {
			nl = false
		} else if nl {
			return i + 1
		} else {
			nl = true
		}
	}
	return s.n // not reached: the queue holds whole events
}
