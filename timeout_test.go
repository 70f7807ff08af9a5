package biplane

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand, so that deadline tests do
// not depend on how fast the machine is.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// feedConn is a connection whose input the test supplies as it goes.
type feedConn struct {
	fakeConn
	pending []byte
	eof     bool
}

func (c *feedConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		if c.eof {
			return 0, io.EOF
		}
		return 0, ErrWouldBlock
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func newClockServer(lim Limits) (*Server, *feedConn, *fakeClock) {
	// Small buffers: these tests also run on boards with 64 KiB of RAM.
	lim.ReadBufferSize = max(lim.ReadBufferSize, 512)
	lim.WriteBufferSize = max(lim.WriteBufferSize, 512)
	fc := &feedConn{}
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	srv := &Server{Listener: &feedListener{c: fc}, Limits: lim, NoDate: true, Clock: clk.now}
	return srv, fc, clk
}

type feedListener struct{ c *feedConn }

func (l *feedListener) Accept() (Conn, error) {
	if l.c == nil {
		return nil, ErrWouldBlock
	}
	c := l.c
	l.c = nil
	return c, nil
}
func (l *feedListener) Close() error { return nil }

func steps(srv *Server, n int) {
	for range n {
		srv.Step()
	}
}

// TestIdleDeadlineRenewed: each request restarts the idle clock, so a
// client that sends a request every 40 s is never cut off by a 60 s idle
// timeout, and one that stops is closed 60 s after its last response.
func TestIdleDeadlineRenewed(t *testing.T) {
	srv, fc, clk := newClockServer(Limits{IdleTimeout: 60 * time.Second})
	for i := range 5 {
		fc.pending = append(fc.pending, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"...)
		steps(srv, 3)
		if srv.Conns() != 1 || fc.closed {
			t.Fatalf("request %d: connection closed at %v", i, clk.t)
		}
		clk.advance(40 * time.Second)
		steps(srv, 3)
	}
	clk.advance(19 * time.Second) // 59 s after the last response
	steps(srv, 3)
	if fc.closed {
		t.Fatal("closed before the idle timeout")
	}
	clk.advance(2 * time.Second)
	steps(srv, 3)
	if !fc.closed || srv.Conns() != 0 {
		t.Fatal("not closed after the idle timeout")
	}
}

// TestRequestDeadline: a request still incomplete at the request timeout
// gets 408 and a close (RFC 9110 §15.5.9), however it trickles in.
func TestRequestDeadline(t *testing.T) {
	srv, fc, clk := newClockServer(Limits{RequestTimeout: 10 * time.Second})
	steps(srv, 2)
	for _, b := range []byte("GET / HTTP/1.1\r\nHost: a\r\n") { // never the final CRLF
		fc.pending = append(fc.pending, b)
		clk.advance(300 * time.Millisecond)
		steps(srv, 2)
	}
	if fc.closed {
		t.Fatal("closed early")
	}
	clk.advance(10 * time.Second)
	steps(srv, 3)
	if want := "HTTP/1.1 408 Request Timeout\r\n"; len(fc.out) < len(want) || string(fc.out[:len(want)]) != want {
		t.Fatalf("got %q, want a 408", fc.out)
	}
	if !fc.closed {
		t.Fatal("not closed after 408")
	}
}

// TestFirstRequestDeadline: a connection that never sends a byte is
// closed silently after the request timeout.
func TestFirstRequestDeadline(t *testing.T) {
	srv, fc, clk := newClockServer(Limits{RequestTimeout: 5 * time.Second})
	steps(srv, 2)
	clk.advance(4 * time.Second)
	steps(srv, 2)
	if fc.closed {
		t.Fatal("closed early")
	}
	clk.advance(2 * time.Second)
	steps(srv, 2)
	if !fc.closed || len(fc.out) != 0 {
		t.Fatalf("closed=%v out=%q, want closed silently", fc.closed, fc.out)
	}
}

// TestWriteDeadline: a peer that stops accepting output is closed after the
// write timeout; one that keeps accepting, however slowly, is not.
func TestWriteDeadline(t *testing.T) {
	big := make([]byte, 2<<10) // sizes small enough for a board's heap
	srv, fc, clk := newClockServer(Limits{WriteTimeout: 10 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512})
	srv.Handler = HandlerFunc(func(r *Request) Response { return Response{Body: big} })
	fc.writeMax = 50
	fc.pending = []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	steps(srv, 2)
	for range 20 { // slow but steady
		clk.advance(9 * time.Second)
		srv.enqueue(srv.conns[0]) // what a writable event does
		steps(srv, 1)
	}
	if fc.closed {
		t.Fatal("a slow reader was cut off")
	}
	fc.writeMax = -1 // now it accepts nothing
	clk.advance(11 * time.Second)
	steps(srv, 2)
	if !fc.closed {
		t.Fatal("a stalled reader was not closed")
	}
}

// manyListener hands out n silent connections, as a burst of clients that
// connect and send nothing.
type manyListener struct{ n int }

func (l *manyListener) Accept() (Conn, error) {
	if l.n == 0 {
		return nil, ErrWouldBlock
	}
	l.n--
	return &feedConn{}, nil
}
func (l *manyListener) Close() error { return nil }

// TestStepBudget: StepConns bounds what one step accepts and how many
// deadlines it acts on, not only the connections it advances, so a burst
// of connections or a wave of timeouts is spread over steps.
func TestStepBudget(t *testing.T) {
	for _, tc := range []struct {
		stepConns, conns int
		perStep          int // accepted, and closed by timeout, in one step
	}{
		{stepConns: 3, conns: 10, perStep: 3},
		{stepConns: 1, conns: 5, perStep: 1},
		// A few more than stepAccepts: this runs on boards with 64 KiB of
		// RAM too.
		{stepConns: 0, conns: stepAccepts + 8, perStep: stepAccepts}, // the default
		{stepConns: 100, conns: stepAccepts + 8, perStep: stepAccepts},
	} {
		clk := &fakeClock{t: time.Unix(1e9, 0)}
		srv := &Server{
			Listener: &manyListener{n: tc.conns}, NoDate: true, Clock: clk.now, StepConns: tc.stepConns,
			Limits: Limits{RequestTimeout: time.Second, MaxConns: 1000, ReadBufferSize: 512, WriteBufferSize: 512},
		}
		srv.Step()
		if got := srv.Conns(); got != tc.perStep {
			t.Errorf("StepConns %d: first step accepted %d of %d, want %d", tc.stepConns, got, tc.conns, tc.perStep)
		}
		for i := 0; srv.Conns() < tc.conns && i < tc.conns; i++ {
			srv.Step()
		}
		if srv.Conns() != tc.conns {
			t.Fatalf("StepConns %d: %d of %d accepted", tc.stepConns, srv.Conns(), tc.conns)
		}
		clk.advance(2 * time.Second) // every request deadline passed
		srv.Step()
		closed := tc.conns - srv.Conns()
		wantClosed := min(tc.conns, tc.perStep)
		if tc.stepConns == 0 || tc.stepConns > stepTimers {
			wantClosed = min(tc.conns, stepTimers)
		}
		if closed != wantClosed {
			t.Errorf("StepConns %d: one step closed %d of %d timed-out connections, want %d", tc.stepConns, closed, tc.conns, wantClosed)
		}
		if err := srv.CheckInvariants(); err != nil {
			t.Errorf("StepConns %d: %v", tc.stepConns, err)
		}
	}
}

// TestStepRounds: below 64, StepConns also shortens the rounds one
// connection gets in a step, so a pipelining client's requests are
// answered over more steps, a few at a time.
func TestStepRounds(t *testing.T) {
	answered := func(stepConns int) int {
		srv, fc, _ := newClockServer(Limits{})
		srv.StepConns = stepConns
		// 40 requests: this runs on boards with 64 KiB of RAM too.
		fc.pending = []byte(strings.Repeat("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 40))
		steps(srv, 3) // the first round of the first reads
		return bytes.Count(fc.out, []byte("HTTP/1.1 "))
	}
	few, many := answered(4), answered(64)
	if few == 0 || many < 4*few {
		t.Errorf("three steps answered %d pipelined requests with StepConns 4 and %d with 64; want some, and at least 4 times as many with 64", few, many)
	}
}
