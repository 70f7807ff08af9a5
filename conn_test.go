package biplane

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// testReceiver is a Receiver that records what it is given, takes at most
// take bytes per Write (all if zero) and then holds back with
// ErrWouldBlock, and answers Done with ErrWouldBlock while defer is set.
type testReceiver struct {
	got      []byte
	take     int
	hold     bool // the next Write takes nothing and would block
	deferred bool
	failAt   int   // Write fails once this many bytes were taken, if > 0
	failErr  error // what it fails with
	done     int
	aborted  []error
}

func (rc *testReceiver) Write(p []byte) (int, error) {
	if rc.hold {
		return 0, ErrWouldBlock
	}
	if rc.failAt > 0 && len(rc.got)+len(p) >= rc.failAt {
		return 0, rc.failErr
	}
	n := len(p)
	if rc.take > 0 && n > rc.take {
		n = rc.take
	}
	rc.got = append(rc.got, p[:n]...)
	if n < len(p) {
		return n, ErrWouldBlock
	}
	return n, nil
}

func (rc *testReceiver) Done() (Response, error) {
	if rc.deferred {
		return Response{}, ErrWouldBlock
	}
	rc.done++
	return Response{Body: []byte("got " + string(rc.got))}, nil
}

func (rc *testReceiver) Abort(err error) { rc.aborted = append(rc.aborted, err) }

// ended reports how many times rc was ended: Done's answer or Abort.
func (rc *testReceiver) ended() int { return rc.done + len(rc.aborted) }

// machine is a server over one fed connection on a fake clock, whose
// handler takes bodies on /up into rc, refuses /no on the head, answers
// /stream with a Stream and /ws with an Upgrade, and echoes anything
// else's buffered body.
type machine struct {
	srv *Server
	fc  *feedConn
	clk *fakeClock
	rc  *testReceiver
	wk  Wakeup
}

func newMachine(lim Limits) *machine {
	m := &machine{rc: &testReceiver{}}
	m.srv, m.fc, m.clk = newClockServer(lim)
	var mux Mux
	mux.Handle("PUT /up", Receive(func(r *Request) Response {
		m.wk = r.Wakeup()
		r.LimitBody(BodyLimits{MaxBytes: 64})
		return Response{Receive: m.rc}
	}))
	mux.Handle("PUT /no", Receive(func(r *Request) Response { return Response{Status: 401} }))
	mux.HandleFunc("GET /stream", func(r *Request) Response {
		return Response{Stream: strings.NewReader("streamed"), Length: 8}
	})
	mux.HandleFunc("GET /ws", func(r *Request) Response {
		return Response{Status: 101, Header: []Field{{"Upgrade", "x"}, {"Connection", "upgrade"}}, Upgrade: &pipeUpgrade{}}
	})
	mux.HandleFunc("POST /", func(r *Request) Response { return Response{Body: r.Body()} })
	m.srv.Handler = &mux
	return m
}

// pipeUpgrade takes what the peer sends and has nothing to say.
type pipeUpgrade struct{ got []byte }

func (u *pipeUpgrade) Read(p []byte) (int, error)  { return 0, ErrWouldBlock }
func (u *pipeUpgrade) Write(p []byte) (int, error) { u.got = append(u.got, p...); return len(p), nil }

func (m *machine) state() string {
	if len(m.srv.conns) == 0 {
		return "closed"
	}
	c := m.srv.conns[0]
	s := stateNames[c.state]
	if c.closeAfter {
		s += "+closing"
	}
	if c.held {
		s += "+held"
	}
	return s
}

// TestConnStates drives the connection state machine through a fake
// transport: each case sets a state up with input, then sends an event,
// and checks the state after it and the output it caused.
func TestConnStates(t *testing.T) {
	const (
		putUp     = "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"
		putUpCont = "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
		putNo     = "PUT /no HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"
		post      = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
	)
	type event func(m *machine)
	feed := func(s string) event { return func(m *machine) { m.fc.pending = append(m.fc.pending, s...) } }
	wait := func(d time.Duration) event { return func(m *machine) { m.clk.advance(d) } }
	wake := func(m *machine) { m.rc.hold, m.rc.deferred = false, false; m.wk.Wake() }
	eof := func(m *machine) { m.fc.eof = true }
	cases := []struct {
		name  string
		setup []event
		event event
		state string // after the event
		out   string // output caused by the event, as a prefix; "" for none
	}{
		{"head: complete, no body", nil, feed("POST /x HTTP/1.1\r\nHost: a\r\n\r\n"), "head", "HTTP/1.1 200 OK"},
		{"head: incomplete", nil, feed("GET /x HTTP/1.1\r\n"), "head", ""},
		{"head: malformed", nil, feed("GET /x HTTP/1.1\r\nBad Field: 1\r\n\r\n"), "closed", "HTTP/1.1 400"},
		{"head: timeout", []event{feed("GET /x HTTP/1.1\r\n")}, wait(11 * time.Second), "closed", "HTTP/1.1 408"},
		{"head: body for a plain handler", nil, feed(post), "body", ""},
		{"head: Expect for a plain handler", nil, feed(strings.Replace(post, "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1)), "body", "HTTP/1.1 100 Continue"},
		{"head: body over the limit", nil, feed("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999\r\n\r\n"), "closed", "HTTP/1.1 413"},
		{"body: complete", []event{feed(post)}, feed("hello"), "head", "HTTP/1.1 200 OK"},
		{"body: stalled", []event{feed(post + "he")}, wait(11 * time.Second), "closed", "HTTP/1.1 408"},
		{"head: accepted by a Receiver", nil, feed(putUp), "receive", ""},
		{"head: accepted, Expect", nil, feed(putUpCont), "receive", "HTTP/1.1 100 Continue"},
		{"head: over the route's limit", nil, feed("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n"), "closed", "HTTP/1.1 413"},
		{"head: refused, small body", nil, feed(putNo), "drain", "HTTP/1.1 401"},
		{"head: refused, Expect", nil, feed(strings.Replace(putNo, "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1)), "closed", "HTTP/1.1 401"},
		{"head: refused, chunked", nil, feed("PUT /no HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), "closed", "HTTP/1.1 401"},
		{"head: other methods' route", nil, feed("PUT /none/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"), "drain", "HTTP/1.1 405"},
		{"drain: body discarded", []event{feed(putNo)}, feed("abcd"), "head", ""},
		{"receive: piece", []event{feed(putUp)}, feed("01234"), "receive", ""},
		{"receive: held back", []event{func(m *machine) { m.rc.hold = true }, feed(putUp)}, feed("01234"), "receive+held", ""},
		{"receive: held, woken", []event{func(m *machine) { m.rc.hold = true }, feed(putUp + "0123456789")}, wake, "head", "HTTP/1.1 200 OK"},
		{"receive: held past the idle timeout", []event{func(m *machine) { m.rc.hold = true }, feed(putUp + "0123")}, wait(61 * time.Second), "closed", "HTTP/1.1 503"},
		{"receive: complete", []event{feed(putUp)}, feed("0123456789"), "head", "HTTP/1.1 200 OK"},
		{"receive: complete, deferred", []event{func(m *machine) { m.rc.deferred = true }, feed(putUp)}, feed("0123456789"), "reply+held", ""},
		{"reply: woken", []event{func(m *machine) { m.rc.deferred = true }, feed(putUp + "0123456789")}, wake, "head", "HTTP/1.1 200 OK"},
		{"receive: stalled", []event{feed(putUp + "01")}, wait(11 * time.Second), "closed", "HTTP/1.1 408"},
		{"receive: peer's EOF", []event{feed(putUp + "01")}, eof, "closed", ""},
		{"receive: Write fails", []event{func(m *machine) { m.rc.failAt, m.rc.failErr = 3, io.ErrShortBuffer }, feed(putUp)}, feed("0123"), "closed", "HTTP/1.1 500"},
		{"receive: chunked over the limit", []event{feed("PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")}, feed("41\r\n"), "closed", "HTTP/1.1 413"},
		{"head: streamed response", nil, feed("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"), "head", "HTTP/1.1 200 OK"},
		{"head: upgrade", nil, feed("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"), "upgraded", "HTTP/1.1 101"},
	}
	for _, tc := range cases {
		subtest(t, tc.name, func(t *testing.T) {
			m := newMachine(Limits{RequestTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second})
			steps(m.srv, 2)
			for _, e := range tc.setup {
				e(m)
				steps(m.srv, 3)
			}
			before := len(m.fc.out)
			tc.event(m)
			steps(m.srv, 4)
			if got := m.state(); got != tc.state {
				t.Errorf("state %s, want %s", got, tc.state)
			}
			out := string(m.fc.out[before:])
			if tc.out == "" && out != "" || !strings.HasPrefix(out, tc.out) {
				t.Errorf("output %q, want it to start with %q", out, tc.out)
			}
			if m.rc.ended() > 1 {
				t.Errorf("receiver ended %d times", m.rc.ended())
			}
			if m.state() == "closed" && len(m.rc.aborted)+m.rc.done == 0 && m.wk.c != nil {
				t.Errorf("connection closed, receiver never ended")
			}
		})
	}
}

// TestReceiveBody: a body handed to a Receiver piece by piece, held back
// and resumed, arrives whole and in order, by Content-Length and chunked,
// and the receiver is ended once, with Done.
func TestReceiveBody(t *testing.T) {
	body := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var chunked strings.Builder
	for i := 0; i < len(body); i += 7 {
		part := body[i:min(i+7, len(body))]
		chunked.WriteString(strings.ToLower(string("0123456789abcdef"[len(part)])) + ";x=1\r\n" + part + "\r\n")
	}
	chunked.WriteString("0\r\nTrailer: t\r\n\r\n")
	for _, framing := range []string{"length", "chunked"} {
		for _, take := range []int{0, 1, 5} {
			subtest(t, framing+"/take"+string(rune('0'+take)), func(t *testing.T) {
				m := newMachine(Limits{})
				m.rc.take = take
				in := "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 62\r\n\r\n" + body
				if framing == "chunked" {
					in = "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked.String()
				}
				in += "POST /x HTTP/1.1\r\nHost: a\r\n\r\n" // pipelined behind
				for i := 0; i < len(in); i += 3 {
					m.fc.pending = append(m.fc.pending, in[i:min(i+3, len(in))]...)
					steps(m.srv, 1)
					received, total := m.wk.Progress()
					if !m.wk.Closed() && (received != int64(len(m.rc.got)) || (framing == "length") != (total == 62)) {
						t.Fatalf("Progress() = %d, %d with %d taken", received, total, len(m.rc.got))
					}
					m.wk.Wake() // what the program does when it has room again
				}
				for range 100 {
					m.wk.Wake()
					steps(m.srv, 1)
				}
				if string(m.rc.got) != body {
					t.Fatalf("received %q, want %q", m.rc.got, body)
				}
				if m.rc.done != 1 || len(m.rc.aborted) != 0 {
					t.Fatalf("done %d, aborted %v", m.rc.done, m.rc.aborted)
				}
				out := string(m.fc.out)
				if !strings.Contains(out, "got "+body) || strings.Count(out, "HTTP/1.1 200 OK") != 2 {
					t.Fatalf("output %q", out)
				}
			})
		}
	}
}

// TestReceiveAbort: a receiver is aborted, once, with the reason, when its
// body ends early.
func TestReceiveAbort(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(m *machine)
		want error
	}{
		{"peer's EOF", func(m *machine) { m.fc.eof = true }, io.ErrUnexpectedEOF},
		{"stalled", func(m *machine) { m.clk.advance(11 * time.Second) }, errRequestTimeout},
		{"Wakeup.Close", func(m *machine) { m.wk.Close() }, ErrConnClosed},
		{"Server.Close", func(m *machine) { m.srv.Close() }, ErrServerClosed},
		{"Shutdown's timeout", func(m *machine) { m.srv.Shutdown(time.Second); steps(m.srv, 1); m.clk.advance(2 * time.Second) }, ErrServerClosed},
		{"malformed chunk", nil, errors.New("400")},
	} {
		subtest(t, tc.name, func(t *testing.T) {
			m := newMachine(Limits{RequestTimeout: 10 * time.Second})
			if tc.do == nil {
				m.fc.pending = []byte("PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n")
				steps(m.srv, 4)
			} else {
				m.fc.pending = []byte("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123")
				steps(m.srv, 3)
				tc.do(m)
				steps(m.srv, 3)
			}
			if len(m.rc.aborted) != 1 || m.rc.done != 0 {
				t.Fatalf("aborted %v, done %d; want one Abort", m.rc.aborted, m.rc.done)
			}
			got := m.rc.aborted[0]
			if pe, ok := got.(*ProtocolError); ok && tc.do == nil {
				if pe.Status != 400 {
					t.Fatalf("aborted with %v, want a 400", got)
				}
			} else if got != tc.want {
				t.Fatalf("aborted with %v, want %v", got, tc.want)
			}
			if !m.fc.closed {
				t.Fatal("connection not closed")
			}
		})
	}
}

// TestBodyRate: a body that keeps arriving at the minimum rate or faster
// is not cut by the request timeout, however long it takes; one that
// stalls is, a request timeout after its last byte.
func TestBodyRate(t *testing.T) {
	// Small sizes: this runs on boards with 64 KiB of RAM too.
	m := newMachine(Limits{RequestTimeout: 10 * time.Second, MinBodyRate: 20, MaxBodyBytes: 4096})
	m.fc.pending = []byte("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n")
	steps(m.srv, 2)
	piece := []byte(strings.Repeat("x", 40))
	for range 40 { // 40 bytes a second for 40 s: twice the minimum rate
		m.clk.advance(time.Second)
		m.fc.pending = append(m.fc.pending, piece...)
		steps(m.srv, 2)
	}
	if m.fc.closed || len(m.fc.out) != 0 {
		t.Fatalf("a body at twice the minimum rate was cut: %q", m.fc.out)
	}
	m.clk.advance(9 * time.Second)
	steps(m.srv, 2)
	if m.fc.closed {
		t.Fatal("cut before a request timeout without bytes")
	}
	m.clk.advance(2 * time.Second)
	steps(m.srv, 2)
	if !m.fc.closed || !strings.HasPrefix(string(m.fc.out), "HTTP/1.1 408") {
		t.Fatalf("stalled body: closed=%v out=%q, want 408", m.fc.closed, m.fc.out)
	}

	// A trickle at a tenth of the rate is cut by RequestTimeout/(1-0.1)
	// from the first byte: 11.1 s.
	m = newMachine(Limits{RequestTimeout: 10 * time.Second, MinBodyRate: 20})
	m.fc.pending = []byte("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n")
	steps(m.srv, 2)
	for i := range 20 {
		m.clk.advance(time.Second)
		m.fc.pending = append(m.fc.pending, piece[:2]...)
		steps(m.srv, 2)
		if m.fc.closed {
			if i < 10 || i > 12 {
				t.Fatalf("trickle cut after %d s, want 11 or 12", i+1)
			}
			return
		}
	}
	t.Fatal("a trickle at a tenth of the minimum rate was never cut")
}

// TestLateStepDecodedBody: a request deadline that passes while the body
// sits decoded, waiting for its receiver, which the program has woken but
// a late step has not yet reached (its connections budget spent on
// others), restarts the body's clock and hands the body on: the lateness
// is the loop's, not the client's (found by the simulation at seed 14111).
func TestLateStepDecodedBody(t *testing.T) {
	m := newMachine(Limits{RequestTimeout: 10 * time.Second})
	m.rc.take = 5 // takes 5 bytes, then holds back
	body := strings.Repeat("b", 40)
	m.fc.pending = []byte("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n" + body)
	steps(m.srv, 3)
	c := m.srv.conns[0]
	if c.state != stateReceive || !c.held || c.ex.body.pend == 0 {
		t.Fatalf("state %s, held %v, %d bytes decoded and pending: want a receiver held back with bytes pending", stateNames[c.state], c.held, c.ex.body.pend)
	}
	m.rc.take = 0
	m.wk.Wake()
	// The step that follows comes 11 s late, and its expire runs before
	// its budget reaches this connection.
	m.clk.advance(11 * time.Second)
	m.srv.tick()
	m.srv.expire()
	if len(m.fc.out) != 0 || m.fc.closed || len(m.rc.aborted) != 0 {
		t.Fatalf("answered %q (closed %v, aborted %v) while the body was waiting for the loop", m.fc.out, m.fc.closed, m.rc.aborted)
	}
	steps(m.srv, 3)
	if string(m.rc.got) != body || !strings.HasPrefix(string(m.fc.out), "HTTP/1.1 200 OK") {
		t.Fatalf("received %q, answered %q; want the whole body and 200", m.rc.got, m.fc.out)
	}
}
