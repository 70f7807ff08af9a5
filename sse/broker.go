package sse

import (
	"io"
	"strconv"
	"time"

	"github.com/biplane-go/biplane"
)

// Default values of [Broker]'s fields.
const (
	DefaultBufferSize        = 16 << 10
	DefaultHeartbeatInterval = 15 * time.Second
)

// A Policy is what a [Broker] does with a subscriber whose buffer has no
// room for the next event: its client reads more slowly than the
// program publishes.
type Policy uint8

const (
	// DropOldest discards whole events, oldest first, until the new one
	// fits; an event the connection has begun to send is finished first,
	// so the client never sees part of one. The client misses events
	// (their IDs show the gap) and goes on with the newest: right for
	// readings where only the latest matters. If the new event does not
	// fit even then (the rest of a large event is still being sent), the
	// new event is the one dropped.
	DropOldest Policy = iota

	// Disconnect removes the subscriber from the broker at once. Its
	// stream sends the whole events queued before, then fails, so the
	// server closes the connection without the chunked body's end and the
	// client knows it was cut off; an EventSource reconnects with
	// Last-Event-ID and can be brought up to date. A peer that reads
	// nothing at all is closed by the server after [biplane.Limits]
	// WriteTimeout.
	Disconnect
)

// A Broker sends the events the program publishes to every subscribed
// client, each over its own streamed response: a Server-Sent Events
// stream (HTML §9.2), read in browsers with EventSource.
//
// Each subscriber has a bounded buffer. Publish encodes an event once and
// copies it into each buffer, where the server's loop picks it up as the
// client's connection takes it. A buffer that is full when an event
// comes is a slow subscriber, dealt with as the Slow policy says.
//
// Like the server, a Broker belongs to the loop's goroutine: call its
// methods, and its subscribers', from handlers or between the server's
// steps, never from another goroutine. Publishing allocates nothing once
// the subscribers' buffers have grown to what they hold.
//
// The zero Broker is ready to use. Its fields must not change once it
// has subscribers.
type Broker struct {
	// BufferSize bounds the bytes queued for one subscriber: encoded
	// events its connection has not taken yet. Buffers start small and
	// grow as needed up to it. An event whose encoding is larger is
	// refused with [ErrTooLarge]. If zero, [DefaultBufferSize] (16 KiB)
	// is used.
	BufferSize int

	// Slow is the policy for subscribers whose buffer is full:
	// [DropOldest] (the zero value) or [Disconnect].
	Slow Policy

	// HeartbeatInterval is how long the broker may send nothing before
	// [Broker.Tick] sends a comment to every subscriber. The server closes
	// a stream that moves no byte for [biplane.Limits] IdleTimeout (60 s
	// by default), and proxies have similar timeouts; a comment keeps the
	// stream open, and a write to a client that vanished fails, so the
	// server notices it and the subscriber leaves. Keep it well below
	// those timeouts. If zero, [DefaultHeartbeatInterval] (15 s, as HTML
	// §9.2.7 suggests) is used; if negative, Tick sends none.
	HeartbeatInterval time.Duration

	// Retry, if positive, is sent to each new subscriber as its
	// reconnection time ("retry" field), in whole milliseconds.
	Retry time.Duration

	subs   []*Subscriber
	enc    []byte // the event being published, encoded once
	closed bool
	sent   bool      // something went to everyone since the last Tick
	last   time.Time // when Tick last saw something sent
	stats  Stats
}

// Stats are a [Broker]'s counters since it was created.
type Stats struct {
	Subscribed   uint64 // subscribers added
	Published    uint64 // events published to all subscribers
	Dropped      uint64 // events (not comments) dropped for slow subscribers, once per subscriber
	Disconnected uint64 // subscribers removed by the Disconnect policy
}

// Comments the broker sends: on subscribing, so that the client (and any
// proxy between) sees bytes at once, and as heartbeats. Like events, each
// ends with an empty line (HTML §9.2.5: a comment line followed by an
// empty line dispatches nothing).
const helloComment = ": ok\n"

var ping = []byte(": ping\n\n")

func (b *Broker) bufferSize() int {
	if b.BufferSize > 0 {
		return b.BufferSize
	}
	return DefaultBufferSize
}

// Subscribe adds a subscriber for the request r and returns the response
// to answer it with: 200 with Content-Type text/event-stream, Cache-Control
// no-cache, X-Accel-Buffering no (so that nginx passes events on at once),
// and the subscriber as its Stream, which the server sends chunked (to an
// HTTP/1.0 client, until the connection closes). The handler must return
// that response (or else Close the subscriber), and may add header
// fields to it (append to Header) or
// send the subscriber events of its own first, such as those the client
// missed ([Subscriber.LastEventID]).
//
// The subscriber is nil when none was added: for a HEAD request, which
// gets the same head and no body (RFC 9110 §9.3.2), and after
// [Broker.Close], when the response is 204 No Content, which tells an
// EventSource to stop reconnecting (HTML §9.2.7). Subscribe does not look
// at the method otherwise; [Broker.Respond] does.
//
// The subscriber leaves the broker when the server closes its stream: the
// client went away, a timeout, [biplane.Server.Close].
func (b *Broker) Subscribe(r *biplane.Request) (biplane.Response, *Subscriber) {
	if b.closed {
		return biplane.Response{Status: 204}, nil
	}
	resp := biplane.Response{ContentType: "text/event-stream"}
	if r.Method() == "HEAD" {
		var hdr [2]biplane.Field
		resp.Header = appendHeader(hdr[:0])
		resp.Stream = noBody{}
		return resp, nil
	}
	s := &Subscriber{b: b, wake: r.Wakeup(), max: b.bufferSize(), idx: len(b.subs)}
	if id := r.Header("Last-Event-ID"); len(id) > 0 {
		s.lastID = string(id)
	}
	b.subs = append(b.subs, s)
	b.stats.Subscribed++
	hello := append(b.enc[:0], helloComment...)
	if b.Retry > 0 {
		hello = append(hello, "retry: "...)
		hello = strconv.AppendInt(hello, b.Retry.Milliseconds(), 10)
		hello = append(hello, '\n')
	}
	b.enc = append(hello, '\n')
	s.push(b.enc, true)
	resp.Header = appendHeader(s.hdr[:0])
	resp.Stream = s
	return resp, s
}

func appendHeader(h []biplane.Field) []biplane.Field {
	return append(h,
		biplane.Field{Name: "Cache-Control", Value: "no-cache"},
		biplane.Field{Name: "X-Accel-Buffering", Value: "no"})
}

// noBody is the Stream of a HEAD response: the server never reads it, but
// a Stream is what makes it send the head of a streamed response.
type noBody struct{}

func (noBody) Read([]byte) (int, error) { return 0, io.EOF }

// Respond makes the Broker a [biplane.Handler]: it answers GET (and HEAD)
// with [Broker.Subscribe], and other methods with 405 Method Not Allowed
// and an Allow field (RFC 9110 §15.5.6).
//
//	mux.Handle("GET /events", &broker)
func (b *Broker) Respond(r *biplane.Request) biplane.Response {
	switch r.Method() {
	case "GET", "HEAD":
		resp, _ := b.Subscribe(r)
		return resp
	}
	return biplane.Response{
		Status:      405,
		ContentType: "text/plain; charset=utf-8",
		Header:      []biplane.Field{{Name: "Allow", Value: "GET, HEAD"}},
		Body:        []byte("405 method not allowed\n"),
	}
}

// Publish sends ev to every subscriber. It encodes ev once into a buffer
// the broker reuses and copies it into each subscriber's buffer. It
// returns an error, and sends nothing, if ev is invalid (see [Event]) or
// larger than BufferSize once encoded, or after [Broker.Close].
func (b *Broker) Publish(ev Event) error {
	if b.closed {
		return ErrClosed
	}
	enc, err := b.encode(ev)
	if err != nil {
		return err
	}
	b.stats.Published++
	b.sent = true
	// Backwards, so that a subscriber removed by the Disconnect policy is
	// replaced at its index by one already served.
	for i := len(b.subs) - 1; i >= 0; i-- {
		b.subs[i].push(enc, false)
	}
	return nil
}

// PublishData publishes an event with data alone: Publish(Event{Data: data}).
func (b *Broker) PublishData(data string) error {
	return b.Publish(Event{Data: data})
}

// encode encodes ev into the broker's buffer and checks its size.
func (b *Broker) encode(ev Event) ([]byte, error) {
	enc, err := AppendEvent(b.enc[:0], ev)
	if err != nil {
		return nil, err
	}
	b.enc = enc
	if max := b.bufferSize(); len(enc) > max {
		return nil, &eventError{ErrTooLarge, strconv.Itoa(len(enc)) + " bytes encoded, buffer size " + strconv.Itoa(max)}
	}
	return enc, nil
}

// Heartbeat sends a comment line (": ping") to every subscriber now;
// EventSource ignores it. It never makes room for itself: a subscriber
// whose buffer is full is not idle, and gets none.
func (b *Broker) Heartbeat() {
	b.heartbeat()
	b.sent = true
}

func (b *Broker) heartbeat() {
	for _, s := range b.subs {
		s.push(ping, true)
	}
}

// Tick sends a heartbeat comment to every subscriber if the broker has
// sent them nothing (no event, no heartbeat) for HeartbeatInterval,
// measured between calls to Tick: call it from the loop, with the time
// now, as often as the interval's precision needs (every step is fine;
// it costs little when there is nothing to send). New subscribers get a
// comment at once, so none waits longer than HeartbeatInterval plus the
// time between Ticks for a byte. It never makes room for the comment:
// see [Broker.Heartbeat].
func (b *Broker) Tick(now time.Time) {
	iv := b.HeartbeatInterval
	if iv == 0 {
		iv = DefaultHeartbeatInterval
	}
	switch {
	case iv < 0:
	case b.sent || b.last.IsZero():
		b.sent, b.last = false, now
	case now.Sub(b.last) >= iv:
		b.heartbeat()
		b.last = now
	}
}

// Len returns the number of subscribers.
func (b *Broker) Len() int { return len(b.subs) }

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats { return b.stats }

// Close ends every subscriber's stream gracefully: each sends what is
// queued for it, then ends (its Read returns io.EOF), and the server
// ends the chunked body properly and keeps or closes the connection as
// usual. Afterwards Subscribe answers 204 No Content, which tells an
// EventSource to stop reconnecting (HTML §9.2.7), and Publish returns
// [ErrClosed]. Register it to run when the server starts shutting down:
//
//	srv.OnShutdown(broker.Close)
//
// else [biplane.Server.Shutdown] waits for the streams until its timeout.
func (b *Broker) Close() {
	b.closed = true
	for i := len(b.subs) - 1; i >= 0; i-- {
		s := b.subs[i]
		b.subs[i] = nil
		s.idx = -1
		s.end(io.EOF)
	}
	b.subs = b.subs[:0]
}

// detach removes s from the broker in O(1), moving the last subscriber
// into its place.
func (b *Broker) detach(s *Subscriber) {
	i, n := s.idx, len(b.subs)-1
	last := b.subs[n]
	b.subs[i], last.idx = last, i
	b.subs[n] = nil
	b.subs = b.subs[:n]
	s.idx = -1
}
