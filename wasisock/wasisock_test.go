//go:build !wasip1

package wasisock

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

func TestListen(t *testing.T) {
	t.Run("finds the socket among the preopens", func(t *testing.T) {
		h := newFakeHost().install(t)
		h.add(&fakeSock{filetype: 3}) // a preopened directory
		fd := h.listener()
		l, err := Listen()
		if err != nil {
			t.Fatal(err)
		}
		if l.FD() != fd {
			t.Fatalf("got fd %d, want %d", l.FD(), fd)
		}
		if h.socks[fd].flags&fdflagNonblock == 0 {
			t.Fatal("the listening socket was not made non-blocking")
		}
	})
	t.Run("no socket", func(t *testing.T) {
		h := newFakeHost().install(t)
		h.add(&fakeSock{filetype: 3})
		if _, err := Listen(); err != ErrNoSocket {
			t.Fatalf("got %v, want ErrNoSocket", err)
		}
	})
	t.Run("no WASI", func(t *testing.T) {
		if _, err := Listen(); !errors.Is(err, ENOSYS) {
			t.Fatalf("got %v, want ENOSYS", err)
		}
	})
}

func TestCanPoll(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wazero  bool
		pending bool
		pollErr Errno
		want    bool
	}{
		{name: "runtime that looks at sockets", want: true},
		{name: "wazero 1.11: every read subscription at once", wazero: true, want: false},
		{name: "no poll_oneoff", pollErr: ENOSYS, want: false},
		{name: "a connection already pending errs towards polling", pending: true, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost().install(t)
			h.wazeroPoll, h.pollErr = tc.wazero, tc.pollErr
			fd := h.listener()
			if tc.pending {
				h.socks[fd].pending = []*fakeSock{{}}
			}
			l, err := NewListener(fd)
			if err != nil {
				t.Fatal(err)
			}
			if l.CanPoll() != tc.want {
				t.Fatalf("CanPoll: got %v, want %v", l.CanPoll(), tc.want)
			}
			if h.slept != 0 {
				t.Fatalf("the probe waited %v", h.slept)
			}
		})
	}
}

func TestAccept(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errs      []Errno
		pending   int
		want      error // nil: a connection
		temporary bool
	}{
		{name: "pending", pending: 1},
		{name: "none pending", want: biplane.ErrWouldBlock},
		{name: "aborted while queued: the next one", errs: []Errno{ECONNABORTED, EINTR}, pending: 1},
		{name: "out of descriptors", errs: []Errno{EMFILE}, pending: 1, want: EMFILE, temporary: true},
		{name: "out of memory", errs: []Errno{ENOMEM}, want: ENOMEM, temporary: true},
		{name: "bad descriptor is final", errs: []Errno{EBADF}, want: EBADF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost().install(t)
			fd := h.listener()
			h.socks[fd].acceptErr = tc.errs
			for range tc.pending {
				h.socks[fd].pending = append(h.socks[fd].pending, &fakeSock{})
			}
			l, _ := NewListener(fd)
			c, err := l.Accept()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("got %v, want a connection", err)
				}
				s := h.socks[uint32(c.(*Conn).FD())]
				if s.flags&fdflagNonblock == 0 {
					t.Fatal("accepted without fdflags.nonblock")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var tmp interface{ Temporary() bool }
			if got := errors.As(err, &tmp) && tmp.Temporary(); got != tc.temporary {
				t.Fatalf("%v: Temporary() = %v, want %v", err, got, tc.temporary)
			}
		})
	}
}

// accept1 returns a listener with one accepted connection over s.
func accept1(t *testing.T, s *fakeSock) (*fakeHost, *Listener, *Conn) {
	t.Helper()
	h := newFakeHost().install(t)
	fd := h.listener()
	h.socks[fd].pending = []*fakeSock{s}
	l, _ := NewListener(fd)
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return h, l, c.(*Conn)
}

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		sock fakeSock
		buf  int
		want []string // each Read's bytes, or "<error>"
	}{
		{name: "pieces then would-block", sock: fakeSock{in: [][]byte{[]byte("GET / "), []byte("HTTP/1.1")}}, buf: 64,
			want: []string{"GET / ", "HTTP/1.1", "<" + biplane.ErrWouldBlock.Error() + ">"}},
		{name: "split by a small buffer", sock: fakeSock{in: [][]byte{[]byte("abcdefg")}, eof: true}, buf: 3,
			want: []string{"abc", "def", "g", "<EOF>"}},
		{name: "would-block between pieces", sock: fakeSock{in: [][]byte{[]byte("a"), nil, []byte("b")}, eof: true}, buf: 8,
			want: []string{"a", "<" + biplane.ErrWouldBlock.Error() + ">", "b", "<EOF>"}},
		{name: "reset", sock: fakeSock{in: [][]byte{[]byte("a")}, readErr: ECONNRESET}, buf: 8,
			want: []string{"a", "<wasisock: sock_recv on fd 4: ECONNRESET>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, c := accept1(t, &tc.sock)
			buf := make([]byte, tc.buf)
			var got []string
			for range tc.want {
				n, err := c.Read(buf)
				switch {
				case err == io.EOF:
					got = append(got, "<EOF>")
				case err != nil:
					got = append(got, "<"+err.Error()+">")
				default:
					got = append(got, string(buf[:n]))
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name    string
		room    int
		sendErr Errno
		p       string
		n       int
		err     error
	}{
		{name: "all of it", room: -1, p: "hello", n: 5},
		{name: "part, then a full window", room: 3, p: "hello", n: 3, err: biplane.ErrWouldBlock},
		{name: "a full window", room: 0, p: "hello", n: 0, err: biplane.ErrWouldBlock},
		{name: "peer gone", sendErr: EPIPE, p: "hello", n: 0, err: EPIPE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, c := accept1(t, &fakeSock{room: tc.room, sendErr: tc.sendErr})
			n, err := c.Write([]byte(tc.p))
			if n != tc.n || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("got %d, %v; want %d, %v", n, err, tc.n, tc.err)
			}
			if got := string(h.socks[uint32(c.FD())].out); got != tc.p[:tc.n] {
				t.Fatalf("sent %q, want %q", got, tc.p[:tc.n])
			}
		})
	}
}

func TestClose(t *testing.T) {
	s := &fakeSock{room: -1}
	h, l, c := accept1(t, s)
	if err := c.CloseWrite(); err != nil || !s.shut {
		t.Fatalf("CloseWrite: %v, shut=%v", err, s.shut)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !s.closed || h.shutdowns != 2 {
		t.Fatalf("closed=%v after %d shutdowns, want closed after 2", s.closed, h.shutdowns)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if err := l.CloseAccept(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != ErrAcceptClosed {
		t.Fatalf("Accept after CloseAccept: got %v, want ErrAcceptClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err == nil || err == ErrAcceptClosed {
		t.Fatalf("Accept after Close: got %v", err)
	}
}

// TestPollerWait checks the edge-triggered contract over a level-triggered
// poll_oneoff: a connection is watched only for what last would block, and
// reported once per readiness.
func TestPollerWait(t *testing.T) {
	s := &fakeSock{room: 0}
	h, l, c := accept1(t, s)
	p := l.Poller()
	if l.Poller() != p {
		t.Fatal("Poller returned a second Poller")
	}
	ready, acceptable, err := p.Wait(nil, 0)
	if err != nil || len(ready) != 0 || acceptable {
		t.Fatalf("nothing would block yet: got %v %v %v", ready, acceptable, err)
	}
	// The listener is watched from the start; the connection is not, as
	// neither Read nor Write has met would-block yet.
	if len(h.lastSubs) != 2 || h.lastSubs[0].userdata != udListener || h.lastSubs[1].tag != eventClock {
		t.Fatalf("subscribed to %+v, want the listener and the clock", h.lastSubs)
	}

	// Read and Write and Accept meet would-block: Wait watches all three.
	buf := make([]byte, 16)
	if _, err := c.Read(buf); err != biplane.ErrWouldBlock {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("out")); err != biplane.ErrWouldBlock {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != biplane.ErrWouldBlock {
		t.Fatal(err)
	}
	ready, acceptable, err = p.Wait(nil, 5*time.Millisecond)
	if err != nil || len(ready) != 0 || acceptable {
		t.Fatalf("nothing ready: got %v %v %v", ready, acceptable, err)
	}
	if len(h.lastSubs) != 4 || h.slept != 5*time.Millisecond {
		t.Fatalf("subscribed to %d (want listener, read, write, clock), slept %v", len(h.lastSubs), h.slept)
	}

	// Input arrives, the window opens, a client connects: one report each.
	s.in = [][]byte{[]byte("GET")}
	s.room = -1
	h.socks[l.FD()].pending = []*fakeSock{{}}
	ready, acceptable, err = p.Wait(nil, -1)
	if err != nil || len(ready) != 1 || ready[0] != c || !acceptable {
		t.Fatalf("got %v %v %v, want the connection once and acceptable", ready, acceptable, err)
	}
	// Still readable and writable, but nobody met would-block since.
	ready, acceptable, _ = p.Wait(nil, -1)
	if len(ready) != 0 || acceptable {
		t.Fatalf("reported again without a would-block: %v %v", ready, acceptable)
	}
	if h.slept != 5*time.Millisecond+maxWait {
		t.Fatalf("slept %v in all, want %v: a negative timeout waits at most maxWait", h.slept, 5*time.Millisecond+maxWait)
	}

	// A connection closed since its subscription is not reported.
	s.in = nil
	c.Read(buf)
	c.Close()
	if ready, _, _ = p.Wait(nil, 0); len(ready) != 0 {
		t.Fatalf("reported a closed connection: %v", ready)
	}

	h.pollErr = EINTR
	if _, _, err = p.Wait(nil, 0); err != nil {
		t.Fatalf("EINTR: got %v, want a quiet early return", err)
	}
	h.pollErr = EINVAL
	if _, _, err = p.Wait(nil, 0); !errors.Is(err, EINVAL) {
		t.Fatalf("got %v, want EINVAL", err)
	}
}

// TestServe runs a biplane.Server over the fake runtime, both polling and
// waiting in poll_oneoff, with input split into pieces and a send window
// that fills.
func TestServe(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "polling", true: "poll_oneoff"}[poll], func(t *testing.T) {
			h := newFakeHost().install(t)
			lfd := h.listener()
			body := strings.Repeat("b", 3000)
			s := &fakeSock{
				in: [][]byte{
					[]byte("POST /echo HTTP/1.1\r\nHo"), nil, []byte("st: a\r\nContent-Length: 3000\r\n\r\n"),
					[]byte(body[:1000]), nil, []byte(body[1000:]),
					[]byte("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
				},
				eof:  true,
				room: 1000,
			}
			h.socks[lfd].pending = []*fakeSock{s}
			l, err := NewListener(lfd)
			if err != nil {
				t.Fatal(err)
			}
			var bl biplane.Listener = l
			if poll {
				bl = l.Poller()
			}
			srv := &biplane.Server{Listener: bl, NoDate: true,
				Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
					return biplane.Response{Body: r.Body()}
				})}
			for i := 0; !s.closed; i++ {
				if i == 1000 {
					t.Fatalf("not done after 1000 steps; sent %q", s.out)
				}
				srv.Step()
				srv.Wait(0)
				s.room = 1000 // the peer reads
			}
			srv.Close()
			if n := bytes.Count(s.out, []byte("HTTP/1.1 200 OK\r\n")); n != 2 || !bytes.Contains(s.out, []byte("\r\n\r\n"+body)) {
				t.Fatalf("got %d responses in %q", n, s.out)
			}
		})
	}
}

// TestNoAllocs: reading, writing and waiting cost no allocation.
func TestNoAllocs(t *testing.T) {
	s := &fakeSock{room: -1}
	h, l, c := accept1(t, s)
	p := l.Poller()
	buf := make([]byte, 64)
	msg := []byte("HTTP/1.1 200 OK\r\n\r\n")
	ready := make([]biplane.Conn, 0, 4)
	h.lastSubs = make([]subscription, 0, 8)
	chunks := make([][]byte, 1)
	got := testing.AllocsPerRun(100, func() {
		chunks[0] = msg
		s.in = chunks
		c.Read(buf)
		c.Read(buf)
		c.Write(msg)
		s.out = s.out[:0]
		p.Wait(ready[:0], 0)
	})
	if got != 0 {
		t.Fatalf("%v allocations per read, write and wait, want 0", got)
	}
}
