// Package servertest is the harness that the repository's tests share: it
// runs a [biplane.Server] over a real socket on 127.0.0.1 in a goroutine
// of its own, as a program's loop, and gives the test ways in: closures
// run on the loop ([Harness.Do]), raw TCP connections ([Harness.Dial]),
// a net/http client ([NewClient], [RoundTrip]), curl ([Curl]), and a
// client stepped in the test's own goroutine for allocation counts
// ([LoopClient]).
//
// Only tests import it, and only tests that are not built by TinyGo
// (`//go:build !tinygo`): it imports net, net/http and unixsock. No
// package's non-test code may import it; the root package's
// TestNoNetDependency checks that.
//
// Every wait is bounded by a generous deadline, so that a server bug fails
// a test instead of hanging it; nothing here synchronises on a sleep.
package servertest

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// Deadlines: generous, so that a loaded 2-core machine does not trip them,
// yet finite, so that a bug fails rather than hangs.
const (
	waitDeadline = 20 * time.Second // WaitFor
	connDeadline = 30 * time.Second // every read and write of a Conn
)

// Loop wait bounds. With a [biplane.Waker] listener Do wakes the loop, so
// its wait is only a backstop; without one, nothing can cut a wait short,
// so it is bounded for calls to be picked up promptly.
const (
	wakeBackstop = 100 * time.Millisecond
	noWakeBound  = 2 * time.Millisecond
	betweenBound = 5 * time.Millisecond // with BetweenSteps
)

// A Harness runs a [biplane.Server] in a goroutine of its own until the
// test that started it ends. The test talks to the server through its
// socket, at Addr, and runs code on its loop with [Harness.Do].
type Harness struct {
	// Server is the server being run. Its methods must be called on the
	// loop, in a closure given to Do, except those documented as safe
	// from any goroutine (Shutdown), and any after Done is closed.
	Server *biplane.Server

	// Addr is the host:port clients dial; URL is "http://" + Addr.
	Addr, URL string

	t       testing.TB
	waker   biplane.Waker // the listener's, or nil
	calls   chan func()
	done    chan struct{}
	closed  sync.Once
	between func() // BetweenSteps's f; loop only
}

// Start runs srv over a new [unixsock.Listener] on 127.0.0.1:0, which it
// sets as srv.Listener, and closes it when t ends. srv.Listener must be
// nil; see [StartOn] for a listener of the caller's.
func Start(t testing.TB, srv *biplane.Server) *Harness {
	t.Helper()
	if srv.Listener != nil {
		t.Fatal("servertest: Start with srv.Listener set; use StartOn")
	}
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	return StartOn(t, srv, ln.Addr().String())
}

// StartOn runs srv over the listener already in srv.Listener, which
// clients reach at addr, and closes it when t ends.
func StartOn(t testing.TB, srv *biplane.Server, addr string) *Harness {
	t.Helper()
	h := &Harness{
		Server: srv,
		Addr:   addr,
		URL:    "http://" + addr,
		t:      t,
		calls:  make(chan func(), 1),
		done:   make(chan struct{}),
	}
	h.waker, _ = srv.Listener.(biplane.Waker)
	go h.loop()
	t.Cleanup(h.Close)
	return h
}

// loop steps the server until it stops, running Do's calls between steps.
//
// It runs at most one call per step, and waits before the next step:
// what a test sends on a socket before a Do is in the kernel before that
// Do's Wake, so the wait that the Wake ends also reports those bytes, and
// the step after it reads them before the call runs, as a program's loop
// would. Draining every pending call at once could run a test's next call
// before the server has read what the test sent in between.
func (h *Harness) loop() {
	defer close(h.done)
	for {
		if h.between != nil {
			h.between()
		}
		if !h.Server.Step() {
			return
		}
		select {
		case f := <-h.calls:
			f()
		default:
		}
		wait := wakeBackstop
		if h.waker == nil {
			wait = noWakeBound
		}
		if h.between != nil {
			wait = min(wait, betweenBound)
		}
		h.Server.Wait(wait)
	}
}

// Do runs f on the server's loop, between steps, and waits for it. Once
// the loop has ended it returns without running f.
func (h *Harness) Do(f func()) {
	ran := make(chan struct{})
	select {
	case h.calls <- func() { f(); close(ran) }:
		if h.waker != nil {
			// After the send, so that the wake cannot come before the
			// call it is for; a wake after Close does nothing.
			h.waker.Wake()
		}
	case <-h.done:
		return
	}
	select {
	case <-ran:
	case <-h.done:
	}
}

// BetweenSteps makes the loop call f before every step from now on, as a
// program does its own work between steps (ticks, publishing), and wait
// at most 5 ms between steps so that f runs often.
func (h *Harness) BetweenSteps(f func()) {
	h.Do(func() { h.between = f })
}

// WaitFor waits until cond, evaluated on the loop, holds, failing t with
// "still waiting for what" after a generous deadline. It polls: what it
// waits for is a state, not an event, and each poll is a round trip
// through the loop.
func (h *Harness) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for {
		var ok bool
		h.Do(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // a poll interval, not a synchronisation
	}
}

// WaitConns waits until the server has n open connections
// ([biplane.Server.Conns]), as WaitFor does.
func (h *Harness) WaitConns(t testing.TB, n int) {
	t.Helper()
	h.WaitFor(t, "Conns() == "+strconv.Itoa(n), func() bool { return h.Server.Conns() == n })
}

// Done is closed once the loop has ended: after Close, or once the server
// stops on its own (after Shutdown, or a listener failure).
func (h *Harness) Done() <-chan struct{} { return h.done }

// Close closes the server on its loop, waits for the loop to end, and
// fails the test that started the harness if the server stopped with an
// error. It runs when that test ends; calling it again does nothing.
func (h *Harness) Close() {
	h.closed.Do(func() {
		h.Do(func() { h.Server.Close() })
		<-h.done
		if err := h.Server.Err(); err != nil {
			h.t.Errorf("server stopped with %v", err)
		}
	})
}
