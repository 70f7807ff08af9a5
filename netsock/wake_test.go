package netsock_test

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
)

// blockedIn waits until a goroutine is blocked, in a system call or a
// select, with fn on its stack. It watches goroutine states instead of
// sleeping, and reports false if no goroutine got there within guard.
func blockedIn(fn string) bool {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if (strings.Contains(header, "[syscall") || strings.Contains(header, "[select")) && strings.Contains(g, fn) {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// gone waits until no goroutine has fn on its stack, and reports whether
// that happened within guard.
func gone(fn string) bool {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		if !strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn) {
			return true
		}
		runtime.Gosched()
	}
	return false
}

// waitForWake calls Wait with no time limit, which only a Wake should end.
// If nothing ends it within guard, rescue makes something ready, so that
// the test fails instead of hanging; Wait then reports it.
func (s *server) waitForWake(rescue func()) (ready []biplane.Conn, acceptable bool) {
	s.t.Helper()
	timer := time.AfterFunc(guard, rescue)
	ready, acceptable, err := s.w.Wait(nil, -1)
	if !timer.Stop() {
		s.t.Errorf("Wait(nil, -1) not woken within %v", guard)
	}
	if err != nil {
		s.t.Fatalf("Wait(nil, -1): %v", err)
	}
	return ready, acceptable
}

// rescueDial makes the listener acceptable, for waitForWake.
func (s *server) rescueDial() {
	if c, err := net.Dial("tcp", s.addr); err == nil {
		s.t.Cleanup(func() { c.Close() })
	}
}

// waitNoAccept waits until Wait reports c, failing if it reports the
// listener meanwhile.
func (s *server) waitNoAccept(c biplane.Conn) {
	s.t.Helper()
	deadline := time.Now().Add(guard)
	for {
		ready, acceptable, err := s.w.Wait(s.ready[:0], time.Until(deadline))
		s.ready = ready
		if err != nil {
			s.t.Fatalf("Wait: %v", err)
		}
		if acceptable {
			s.t.Fatalf("Wait after CloseAccept reported the listener")
		}
		for _, r := range ready {
			if r == c {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("Wait did not report %v within %v", c, guard)
		}
	}
}

func TestWake(t *testing.T) {
	tests := []struct {
		name  string
		wakes int // Wakes before the Wait, or in another goroutine if 0
	}{
		{"during Wait", 0},
		{"before Wait", 1},
		{"many before Wait", 5},
	}
	for _, p := range paths {
		for _, tc := range tests {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				s := newServer(t, p)
				k, ok := s.l.(biplane.Waker)
				if !ok {
					t.Fatalf("%T does not implement biplane.Waker", s.l)
				}
				// Twice: a consumed wake must not stop the next one.
				for round := range 2 {
					woke := make(chan error, 1)
					if tc.wakes == 0 {
						go func() {
							if !blockedIn(").Wait(") {
								t.Log("no Wait seen blocking; waking anyway")
							}
							woke <- k.Wake()
						}()
					} else {
						for range tc.wakes {
							if err := k.Wake(); err != nil {
								t.Fatalf("Wake: %v", err)
							}
						}
						woke <- nil
					}
					ready, acceptable := s.waitForWake(s.rescueDial)
					if err := <-woke; err != nil {
						t.Fatalf("Wake: %v", err)
					}
					if len(ready) != 0 || acceptable {
						t.Fatalf("round %d: Wait = %v, %v; want nothing reported for a Wake", round, ready, acceptable)
					}
				}
			})
		}
	}
}

// TestWakeClose runs Wakes from other goroutines while the listener
// closes: each returns nil or an error, and those after Close an error.
// Run it with -race.
func TestWakeClose(t *testing.T) {
	const wakers = 4
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			s := newServer(t, p)
			k := s.l.(biplane.Waker)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			after := make(chan error, wakers)
			for range wakers {
				wg.Go(func() {
					for {
						k.Wake()
						select {
						case <-stop:
							after <- k.Wake()
							return
						default:
						}
					}
				})
			}
			if _, _, err := s.w.Wait(nil, 0); err != nil {
				t.Fatal(err)
			}
			if err := s.l.Close(); err != nil {
				t.Fatal(err)
			}
			close(stop)
			wg.Wait()
			for range wakers {
				if err := <-after; err == nil {
					t.Errorf("Wake after Close = nil, want an error")
				}
			}
		})
	}
}

func TestWakeAllocs(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			s := newServer(t, p)
			k := s.l.(biplane.Waker)
			ready := make([]biplane.Conn, 0, 8)
			var err error
			allocs := testing.AllocsPerRun(200, func() {
				if err == nil {
					err = k.Wake()
				}
				if err == nil {
					ready, _, err = s.w.Wait(ready[:0], 0)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if allocs != 0 {
				t.Errorf("Wake+Wait(0) allocates %v times, want 0", allocs)
			}
		})
	}
}

func TestCloseAccept(t *testing.T) {
	listen := func(network string) func(t *testing.T) *server {
		return func(t *testing.T) *server {
			address := "127.0.0.1:0"
			if network == "unix" {
				address = filepath.Join(t.TempDir(), "s.sock")
			}
			l, addr, err := netsock.Listen(network, address)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return &server{t: t, l: l, w: l.(biplane.Waiter), addr: addr.String()}
		}
	}
	tests := []struct {
		name    string
		network string
		open    func(t *testing.T) *server
		// shared tells that the caller still holds the socket through the
		// net.Listener given to New, so it listens until that closes too.
		shared bool
	}{
		{"Listen tcp", "tcp", listen("tcp"), false},
		{"Listen unix", "unix", listen("unix"), false},
		{"New fallback", "tcp", func(t *testing.T) *server { return newServer(t, paths[1]) }, false},
	}
	if fdPath {
		tests = append(tests, struct {
			name    string
			network string
			open    func(t *testing.T) *server
			shared  bool
		}{"New descriptor", "tcp", func(t *testing.T) *server { return newServer(t, paths[0]) }, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			ac, ok := s.l.(biplane.AcceptCloser)
			if !ok {
				t.Fatalf("%T does not implement biplane.AcceptCloser", s.l)
			}
			client, err := net.Dial(tc.network, s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			c := s.accept()

			for i := range 2 {
				if err := ac.CloseAccept(); err != nil {
					t.Fatalf("CloseAccept #%d: %v", i+1, err)
				}
			}
			if tc.shared {
				// The net.Listener keeps the socket open: connections
				// queue until it closes, and are then reset.
				queued, err := net.Dial(tc.network, s.addr)
				if err != nil {
					t.Fatalf("Dial while the net.Listener is open: %v", err)
				}
				defer queued.Close()
				s.ln.Close()
				queued.SetDeadline(time.Now().Add(guard))
				if _, err := queued.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("queued connection's Read after closing the net.Listener: %v, want EOF or reset", err)
				}
			}
			if tc.network == "unix" {
				if _, err := os.Stat(s.addr); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("socket file after CloseAccept: %v, want it gone", err)
				}
			}
			if nc, err := net.Dial(tc.network, s.addr); !refused(tc.network, err) {
				if err == nil {
					nc.Close()
				}
				t.Errorf("Dial after CloseAccept: %v, want it refused", err)
			}
			for range 2 {
				nc, err := s.l.Accept()
				var te interface{ Temporary() bool }
				if nc != nil || err == nil || err == biplane.ErrWouldBlock || (errors.As(err, &te) && te.Temporary()) {
					t.Fatalf("Accept after CloseAccept = %v, %v; want a final error", nc, err)
				}
				if !errors.Is(err, errAcceptClosed) && !errors.Is(err, netsock.ErrAcceptClosed) {
					t.Errorf("Accept after CloseAccept: %v, want ErrAcceptClosed", err)
				}
			}

			// The established connection goes on in both directions, and
			// Wait goes on reporting it, never the listener.
			if n, err := c.Read(make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
				t.Fatalf("Read before the client wrote = %d, %v; want ErrWouldBlock", n, err)
			}
			client.Write([]byte("ping"))
			s.waitNoAccept(c)
			if got := s.readN(c, 4); got != "ping" {
				t.Fatalf("server read %q, want %q", got, "ping")
			}
			s.write(c, []byte("pong"))
			got := make([]byte, 4)
			if _, err := io.ReadFull(client, got); err != nil || string(got) != "pong" {
				t.Fatalf("client read %q, %v; want %q", got, err, "pong")
			}

			// Wake still works; only a client write could end Wait now,
			// once the reports due (some spurious: a Unix socket's reader
			// makes room for its writer) are taken.
			for range 10 {
				if ready, _, _ := s.w.Wait(nil, 0); len(ready) == 0 {
					break
				}
			}
			k := s.l.(biplane.Waker)
			if err := k.Wake(); err != nil {
				t.Fatalf("Wake after CloseAccept: %v", err)
			}
			if ready, acceptable := s.waitForWake(func() { client.Write([]byte("x")) }); len(ready) != 0 || acceptable {
				t.Errorf("Wait after Wake = %v, %v; want nothing", ready, acceptable)
			}

			client.Close()
			if got := s.readAll(c); got != "" {
				t.Errorf("server read %q before EOF, want nothing", got)
			}
			for i := range 2 {
				if err := s.l.Close(); err != nil {
					t.Errorf("Close #%d after CloseAccept: %v", i+1, err)
				}
			}
			if err := ac.CloseAccept(); err != nil {
				t.Errorf("CloseAccept after Close: %v, want nil", err)
			}
			if err := k.Wake(); err == nil {
				t.Errorf("Wake after Close = nil, want an error")
			}
			if err := c.Close(); err != nil {
				t.Errorf("conn Close: %v", err)
			}
		})
	}
}

// TestFallbackCloseAcceptPending checks that CloseAccept closes the
// connections the accept goroutine took but the loop did not, ends that
// goroutine, and leaves accepted connections alone.
func TestFallbackCloseAcceptPending(t *testing.T) {
	cl := newChanListener()
	bl, err := netsock.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	s := &server{t: t, l: bl, w: bl.(biplane.Waiter)}

	client1, pipe1 := net.Pipe()
	defer client1.Close()
	cl.accepts <- acceptResult{c: pipe1}
	c := s.accept()
	client2, pipe2 := net.Pipe()
	defer client2.Close()
	cl.accepts <- acceptResult{c: pipe2}
	s.wait(nil) // pipe2 is pending

	if err := bl.(biplane.AcceptCloser).CloseAccept(); err != nil {
		t.Fatal(err)
	}
	if _, err := client2.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client Read of a pending conn after CloseAccept = %v, want EOF", err)
	}
	select {
	case <-cl.done:
	default:
		t.Errorf("CloseAccept did not close the net.Listener")
	}
	if !gone("netsock.(*Listener).acceptLoop") {
		t.Fatalf("the accept goroutine still runs %v after CloseAccept", guard)
	}
	// The net.Listener's failing Accept is not reported.
	if ready, acceptable, err := s.w.Wait(nil, 0); len(ready) != 0 || acceptable || err != nil {
		t.Errorf("Wait after CloseAccept = %v, %v, %v; want nothing", ready, acceptable, err)
	}
	if _, err := bl.Accept(); err != netsock.ErrAcceptClosed {
		t.Errorf("Accept after CloseAccept = %v, want ErrAcceptClosed", err)
	}
	go client1.Write([]byte("still here"))
	if got := s.readN(c, 10); got != "still here" {
		t.Errorf("server read %q, want %q", got, "still here")
	}
	c.Close()
}
