// Package transporttest is the conformance suite of biplane's transports:
// it checks that a [biplane.Listener] and its connections keep the rules
// that transport.go states, through the interfaces the server uses, against
// peers the transport's test provides. Every transport of the module runs
// it from its tests:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, transporttest.Transport{Listen: listen})
//	}
//
// The suite drives the listener from the test's goroutine as a server's
// loop would: it reads and writes until [biplane.ErrWouldBlock], then waits
// for the connection to be reported (if the listener is a
// [biplane.Waiter]) or polls it (if not). So a lost readiness edge shows as
// a report that never comes, and fails the test after [Transport.Patience]
// instead of hanging it. Peers run in goroutines of their own, as clients
// do. Nothing synchronises on a sleep; the only sleeps are the short pauses
// between polls of a transport that has no Waiter.
//
// Only tests import the package, and only tests that TinyGo does not build:
// its peers for package net import net.
package transporttest

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// A Transport is what the suite needs to know of one transport.
type Transport struct {
	// Listen opens a new listener and returns it with a function that
	// connects a new peer to it. It closes both when t ends (t.Cleanup);
	// the suite closes the listener earlier where a case needs it.
	// Required.
	Listen func(t testing.TB) (biplane.Listener, Dialer)

	// NoReset tells that a peer cannot reset a connection, as a TCP reset
	// does: its Reset closes instead, and the server reads the end of the
	// stream rather than an error. memsock's peers cannot reset.
	NoReset bool

	// NoFullWindow tells that Write cannot report a full window: a
	// transport whose driver blocks until a deadline of its own when the
	// peer stops reading, and then fails (tinysock), never returns
	// ErrWouldBlock for that. The cases that fill the window are skipped.
	NoFullWindow bool

	// Conns is how many connections the many-connections case opens at
	// once. If zero, 300: more than one epoll_wait's worth of events.
	Conns int

	// Patience bounds every wait for something that should happen at once,
	// such as a report after a peer wrote. It only turns a hang into a
	// failure. If zero, 5 s.
	Patience time.Duration
}

// A Dialer connects a new peer to the listener it was returned with.
type Dialer func() (Peer, error)

// A Peer is the client end of a connection: it blocks, like a net.Conn,
// and may be used from any goroutine.
type Peer interface {
	// Read blocks until there are bytes, the server ended its sending
	// (io.EOF), or the connection failed.
	Read(p []byte) (int, error)
	// Write blocks until all of p is written or the connection failed.
	Write(p []byte) (int, error)
	// CloseWrite ends sending; the peer may still read.
	CloseWrite() error
	// Close closes the connection, ending any Read or Write in progress.
	Close() error
	// Reset ends the connection abortively, as a TCP reset does (see
	// [Transport.NoReset]).
	Reset() error
	// SetDeadline makes Read and Write fail once t has passed, so that a
	// peer waiting for a broken transport gives up.
	SetDeadline(t time.Time) error
}

// Run runs every case of the suite against tr, each as a subtest.
func Run(t *testing.T, tr Transport) {
	if tr.Listen == nil {
		t.Fatal("transporttest: Transport.Listen is nil")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(newEnv(t, tr)) })
	}
}

// A testCase is one case of the suite.
type testCase struct {
	name string
	run  func(e *env)
}

// env is one case's listener, driven by the case's goroutine as a
// server's loop drives it.
type env struct {
	t        testing.TB
	tr       Transport
	l        biplane.Listener
	dial     Dialer
	w        biplane.Waiter // nil if the listener is not one
	patience time.Duration
	maxCall  time.Duration // how long one call may take before it counts as blocking

	buf        []biplane.Conn
	reported   map[biplane.Conn]bool // reports not yet taken by await
	blocked    map[biplane.Conn]bool // the last Read or Write returned ErrWouldBlock, and no report was taken since
	acceptable bool                  // reported and not yet taken
	closed     map[biplane.Conn]bool // closed: never to be reported
	noAccept   bool                  // after CloseAccept: acceptable must never be reported
	lClosed    bool                  // the listener is closed: Wait is over
}

func newEnv(t testing.TB, tr Transport) *env {
	e := &env{t: t, tr: tr, patience: tr.Patience,
		reported: map[biplane.Conn]bool{}, blocked: map[biplane.Conn]bool{}, closed: map[biplane.Conn]bool{}}
	if e.patience <= 0 {
		e.patience = 5 * time.Second
	}
	// A call that blocks waits for the peer, which acts only once the call
	// has returned, so it takes the peer's whole deadline. Anything much
	// shorter is the scheduler of a loaded machine.
	e.maxCall = e.patience
	e.l, e.dial = tr.Listen(t)
	if e.l == nil || e.dial == nil {
		t.Fatal("transporttest: Transport.Listen returned a nil listener or dialer")
	}
	e.w, _ = e.l.(biplane.Waiter)
	return e
}

// pollPause is how long the suite pauses between polls of a transport
// without a Waiter, so that its peers get the processor.
const pollPause = 50 * time.Microsecond

// call runs f, which calls the transport, and fails the test if it took
// long enough to count as blocking.
func (e *env) call(op string, f func()) {
	e.t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > e.maxCall {
		e.t.Errorf("%s took %v: a transport never blocks", op, d)
	}
}

// wait calls Wait once and records what it reports.
func (e *env) wait(timeout time.Duration) {
	e.t.Helper()
	var ready []biplane.Conn
	var acceptable bool
	var err error
	start := time.Now()
	ready, acceptable, err = e.w.Wait(e.buf[:0], timeout)
	if d := time.Since(start); timeout >= 0 && d > timeout+e.maxCall {
		e.t.Errorf("Wait(%v) returned after %v", timeout, d)
	}
	e.buf = ready
	if err != nil {
		e.t.Fatalf("Wait: %v", err)
	}
	for i, c := range ready {
		if c == nil {
			e.t.Errorf("Wait reported a nil connection")
		} else if e.closed[c] {
			e.t.Errorf("Wait reported a connection after it was closed")
		} else {
			e.reported[c] = true
		}
		ready[i] = nil
	}
	if acceptable && e.noAccept {
		e.t.Errorf("Wait reported the listener acceptable after CloseAccept")
	}
	e.acceptable = e.acceptable || acceptable
}

// waitUntil calls Wait with the time left until deadline, if any.
func (e *env) waitUntil(deadline time.Time) {
	e.t.Helper()
	e.wait(max(time.Until(deadline), 0))
}

// await waits until c, whose last Read or Write returned ErrWouldBlock, is
// reported by Wait, and fails the test if that does not happen by deadline:
// the transport lost an edge. Without a Waiter it pauses before the next
// poll, and fails only once deadline has passed.
//
// Like the server, the suite calls a connection again after ErrWouldBlock
// only once it is reported: the helpers that read and write call await
// first if the last call on c would have blocked, even if bytes came
// meanwhile, so that a transport cannot pass by having them ready
// without reporting them.
func (e *env) await(c biplane.Conn, deadline time.Time, what string) {
	e.t.Helper()
	delete(e.blocked, c)
	if e.w == nil || e.lClosed {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: still would block after %v", what, e.patience)
		}
		time.Sleep(pollPause)
		return
	}
	for !e.reported[c] {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: ErrWouldBlock, and Wait did not report the connection within %v: an edge was lost", what, e.patience)
		}
		e.waitUntil(deadline)
	}
	delete(e.reported, c)
}

// awaitAccept waits until Wait reports the listener acceptable, after
// Accept returned ErrWouldBlock.
func (e *env) awaitAccept(deadline time.Time) {
	e.t.Helper()
	if e.w == nil {
		if time.Now().After(deadline) {
			e.t.Fatalf("Accept: nothing to accept after %v", e.patience)
		}
		time.Sleep(pollPause)
		return
	}
	for !e.acceptable {
		if time.Now().After(deadline) {
			e.t.Fatalf("Accept: ErrWouldBlock, and Wait did not report the listener within %v after a dial", e.patience)
		}
		e.waitUntil(deadline)
	}
	e.acceptable = false
}

// dialPeer connects a peer, which the test's end closes.
func (e *env) dialPeer() Peer {
	e.t.Helper()
	p, err := e.dial()
	if err != nil {
		e.t.Fatalf("Dial: %v", err)
	}
	p.SetDeadline(time.Now().Add(4 * e.patience))
	e.t.Cleanup(func() { p.Close() })
	return p
}

// accept1 calls Accept once, checking the form of its result.
func (e *env) accept1() (c biplane.Conn, err error) {
	e.t.Helper()
	e.call("Accept", func() { c, err = e.l.Accept() })
	switch {
	case err == nil && c == nil:
		e.t.Fatalf("Accept = nil, nil")
	case err != nil && c != nil:
		e.t.Errorf("Accept returned a connection with the error %v", err)
	case err != nil && err != biplane.ErrWouldBlock && errors.Is(err, biplane.ErrWouldBlock):
		e.t.Errorf("Accept wrapped ErrWouldBlock: %v; the server compares with ==", err)
	}
	if c != nil {
		e.t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// accept returns the next connection, waiting for one.
func (e *env) accept() biplane.Conn {
	e.t.Helper()
	deadline := time.Now().Add(e.patience)
	for {
		c, err := e.accept1()
		if err == nil {
			return c
		}
		if err != biplane.ErrWouldBlock {
			e.t.Fatalf("Accept: %v", err)
		}
		e.awaitAccept(deadline)
	}
}

// pair dials a peer and accepts its connection. Nothing else may be
// pending.
func (e *env) pair() (Peer, biplane.Conn) {
	e.t.Helper()
	p := e.dialPeer()
	return p, e.accept()
}

// close closes c and remembers that Wait must never report it again.
func (e *env) close(c biplane.Conn) {
	e.t.Helper()
	var err error
	e.call("Close", func() { err = c.Close() })
	if err != nil {
		e.t.Errorf("Close: %v", err)
	}
	e.closed[c] = true
	delete(e.reported, c)
}

// setBlocked records whether a call on c returned ErrWouldBlock.
func (e *env) setBlocked(c biplane.Conn, err error) {
	if err == biplane.ErrWouldBlock {
		e.blocked[c] = true
	} else {
		delete(e.blocked, c)
	}
}

// read1 calls Read once and checks the form of its result.
func (e *env) read1(c biplane.Conn, p []byte) (n int, err error) {
	e.t.Helper()
	e.call("Read", func() { n, err = c.Read(p) })
	switch {
	case n < 0 || n > len(p):
		e.t.Fatalf("Read into %d bytes = %d, %v", len(p), n, err)
	case n > 0 && err != nil:
		e.t.Errorf("Read = %d, %v; bytes come with a nil error, the news on the next Read", n, err)
	case n == 0 && err == nil:
		e.t.Errorf("Read = 0, nil; want bytes, ErrWouldBlock, io.EOF or an error")
	case err != nil && err != biplane.ErrWouldBlock && errors.Is(err, biplane.ErrWouldBlock):
		e.t.Errorf("Read wrapped ErrWouldBlock: %v; the server compares with ==", err)
	case err != nil && err != io.EOF && errors.Is(err, io.EOF):
		e.t.Errorf("Read wrapped io.EOF: %v; the server compares with ==", err)
	}
	e.setBlocked(c, err)
	return n, err
}

// read reads into p, waiting while Read would block.
func (e *env) read(c biplane.Conn, p []byte, what string) (int, error) {
	e.t.Helper()
	deadline := time.Now().Add(e.patience)
	if e.blocked[c] {
		e.await(c, deadline, what)
	}
	for {
		n, err := e.read1(c, p)
		if err != biplane.ErrWouldBlock {
			return n, err
		}
		e.await(c, deadline, what)
	}
}

// readN reads exactly n bytes in Reads of at most size bytes.
func (e *env) readN(c biplane.Conn, n, size int, what string) []byte {
	e.t.Helper()
	got := make([]byte, 0, n)
	p := make([]byte, size)
	for len(got) < n {
		m, err := e.read(c, p[:min(size, n-len(got))], what)
		if err != nil {
			e.t.Fatalf("%s: Read after %d of %d bytes: %v", what, len(got), n, err)
		}
		got = append(got, p[:m]...)
	}
	return got
}

// readEnd reads until Read returns an error, io.EOF included, and
// returns the bytes read before it and the error.
func (e *env) readEnd(c biplane.Conn, size int, what string) ([]byte, error) {
	e.t.Helper()
	var got []byte
	p := make([]byte, size)
	for {
		n, err := e.read(c, p, what)
		got = append(got, p[:n]...)
		if err != nil {
			return got, err
		}
	}
}

// expectFinal checks that the stream of c has ended: Read returns io.EOF
// or an error, never bytes or ErrWouldBlock.
func (e *env) expectFinal(c biplane.Conn, what string) {
	e.t.Helper()
	if n, err := e.read1(c, make([]byte, 8)); n != 0 || err == nil || err == biplane.ErrWouldBlock {
		e.t.Errorf("%s: Read after the end = %d, %v; want io.EOF or an error, once ended", what, n, err)
	}
}

// write1 calls Write, or Writev with bufs split from p if vec, once, and
// checks the form of its result.
func (e *env) write1(c biplane.Conn, p []byte, vec bool) (n int, err error) {
	e.t.Helper()
	op := "Write"
	if vec {
		op = "Writev"
		vw := c.(biplane.VectorWriter)
		bufs := split(p)
		e.call(op, func() { n, err = vw.Writev(bufs) })
	} else {
		e.call(op, func() { n, err = c.Write(p) })
	}
	switch {
	case n < 0 || n > len(p):
		e.t.Fatalf("%s of %d bytes = %d, %v", op, len(p), n, err)
	case n == len(p) && err != nil:
		e.t.Errorf("%s wrote all %d bytes, with the error %v", op, n, err)
	case n < len(p) && err == nil:
		e.t.Errorf("%s wrote %d of %d bytes without an error", op, n, len(p))
	case err != nil && err != biplane.ErrWouldBlock && errors.Is(err, biplane.ErrWouldBlock):
		e.t.Errorf("%s wrapped ErrWouldBlock: %v; the server compares with ==", op, err)
	}
	e.setBlocked(c, err)
	return n, err
}

// split cuts p into buffers of varied sizes, some empty, for Writev.
func split(p []byte) [][]byte {
	a, b := len(p)/3, 2*len(p)/3
	return [][]byte{nil, p[:a], p[a:b], nil, p[b:]}
}

// write writes all of p in calls of at most chunk bytes, waiting while
// they would block, alternating Write and Writev if vec.
func (e *env) write(c biplane.Conn, p []byte, chunk int, vec bool, what string) {
	e.t.Helper()
	deadline := time.Now().Add(e.patience)
	for i := 0; len(p) > 0; i++ {
		if e.blocked[c] {
			e.await(c, deadline, what)
		}
		n, err := e.write1(c, p[:min(chunk, len(p))], vec && i%2 == 1)
		p = p[n:]
		switch {
		case err == biplane.ErrWouldBlock:
			if n > 0 {
				deadline = time.Now().Add(e.patience)
				if e.w == nil || e.lClosed {
					// Progress: a poller goes on at once, as the
					// server does; a Waiter's report is still due.
					delete(e.blocked, c)
				}
			}
		case err != nil:
			e.t.Fatalf("%s: Write with %d bytes left: %v", what, len(p), err)
		default:
			deadline = time.Now().Add(e.patience)
		}
	}
}

// A result is what a peer's goroutine did.
type result struct {
	data []byte
	err  error
}

// peerRead reads n bytes from p in its own goroutine, or to the end if n
// is negative.
func (e *env) peerRead(p Peer, n int) <-chan result {
	ch := make(chan result, 1)
	go func() {
		var got []byte
		buf := make([]byte, 32<<10)
		for n < 0 || len(got) < n {
			b := buf
			if n >= 0 {
				b = buf[:min(len(buf), n-len(got))]
			}
			m, err := p.Read(b)
			got = append(got, b[:m]...)
			if err != nil {
				ch <- result{got, err}
				return
			}
		}
		ch <- result{got, nil}
	}()
	return ch
}

// peerWrite writes data to p in its own goroutine, in pieces of at most
// piece bytes, then calls then, if not nil.
func (e *env) peerWrite(p Peer, data []byte, piece int, then func() error) <-chan error {
	ch := make(chan error, 1)
	go func() {
		for len(data) > 0 {
			n, err := p.Write(data[:min(piece, len(data))])
			data = data[n:]
			if err != nil {
				ch <- err
				return
			}
		}
		if then != nil {
			ch <- then()
			return
		}
		ch <- nil
	}()
	return ch
}

// receive takes a peer's result, failing the test if it does not come.
func receive[T any](e *env, ch <-chan T, what string) T {
	e.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(4 * e.patience):
		e.t.Fatalf("%s: the peer did not finish within %v", what, 4*e.patience)
		var zero T
		return zero
	}
}

// peerSend writes s to p from the test's goroutine, for messages small
// enough not to block.
func (e *env) peerSend(p Peer, s string) {
	e.t.Helper()
	if n, err := p.Write([]byte(s)); n != len(s) || err != nil {
		e.t.Fatalf("peer Write(%q) = %d, %v", s, n, err)
	}
}

// peerExpect reads exactly want from p.
func (e *env) peerExpect(p Peer, want []byte, what string) {
	e.t.Helper()
	r := receive(e, e.peerRead(p, len(want)), what)
	if r.err != nil || string(r.data) != string(want) {
		e.t.Fatalf("%s: peer read %s, %v; want %s", what, quote(r.data), r.err, quote(want))
	}
}

// peerExpectEnd reads from p to the end of the stream, and checks that it
// got want and then io.EOF.
func (e *env) peerExpectEnd(p Peer, want []byte, what string) {
	e.t.Helper()
	r := receive(e, e.peerRead(p, -1), what)
	if r.err != io.EOF || string(r.data) != string(want) {
		e.t.Fatalf("%s: peer read %s, then %v; want %s, then EOF", what, quote(r.data), r.err, quote(want))
	}
}

// quote shows a short byte string, or the length of a long one.
func quote(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%d bytes", len(b))
	}
	return fmt.Sprintf("%q", b)
}

// pattern returns bytes [from, from+n) of an endless stream that shows
// lost, repeated or reordered bytes.
func pattern(from, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte((from + i) % 251)
	}
	return p
}

// isTimeout reports whether err is a deadline's.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// isTemporary reports whether err asks the server to retry.
func isTemporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}
