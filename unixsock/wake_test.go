//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

var (
	_ biplane.Waker        = (*unixsock.Listener)(nil)
	_ biplane.AcceptCloser = (*unixsock.Listener)(nil)
)

// blockedInWait waits until a goroutine is blocked in a system call inside
// Listener.Wait, so that a Wake is sure to find a Wait in progress. It
// watches goroutine states instead of sleeping. It reports false if no
// goroutine got there within patience.
func blockedInWait() bool {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(header, "[syscall") && strings.Contains(g, "unixsock.(*Listener).Wait(") {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// waitForWake calls Wait with no time limit, which only a Wake should end.
// If nothing ends it within patience, rescue makes something ready, so that
// the test fails instead of hanging; Wait then reports it.
func waitForWake(t *testing.T, l *unixsock.Listener, rescue func()) (ready []biplane.Conn, acceptable bool) {
	t.Helper()
	timer := time.AfterFunc(patience, rescue)
	ready, acceptable, err := l.Wait(nil, -1)
	if !timer.Stop() {
		t.Errorf("Wait(nil, -1) not woken within %v", patience)
	}
	if err != nil {
		t.Fatalf("Wait(nil, -1): %v", err)
	}
	return ready, acceptable
}

// rescueDial makes l acceptable, for waitForWake.
func rescueDial(t *testing.T, network, address string) func() {
	return func() {
		if c, err := net.Dial(network, address); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
}

func TestWake(t *testing.T) {
	tests := []struct {
		name   string
		wakes  int  // Wakes before the Wait, or in another goroutine if 0
		rounds int  // wake-and-wait rounds, checking that a drained waker wakes again
		accept bool // CloseAccept first
	}{
		{"during Wait", 0, 3, false},
		{"before Wait", 1, 3, false},
		{"many before Wait", 5, 3, false},
		{"during Wait after CloseAccept", 0, 2, true},
		{"before Wait after CloseAccept", 2, 2, true},
	}
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := listen(t, cfg, "tcp", "127.0.0.1:0")
				rescue := rescueDial(t, "tcp", l.Addr().String())
				if tt.accept {
					// After CloseAccept only a connection can end Wait.
					client := dial(t, "tcp", l.Addr().String())
					c := accept(t, l)
					if _, err := c.Read(make([]byte, 1)); err != biplane.ErrWouldBlock {
						t.Fatalf("Read: %v, want ErrWouldBlock", err)
					}
					if err := l.CloseAccept(); err != nil {
						t.Fatalf("CloseAccept: %v", err)
					}
					rescue = func() { client.Write([]byte("x")) }
					// epoll reports a new connection once, spuriously.
					if _, _, err := l.Wait(nil, 0); err != nil {
						t.Fatal(err)
					}
				}
				for round := range tt.rounds {
					woke := make(chan error, 1)
					if tt.wakes == 0 {
						go func() {
							if !blockedInWait() {
								t.Log("no Wait seen blocking; waking anyway")
							}
							woke <- l.Wake()
						}()
					} else {
						for range tt.wakes {
							if err := l.Wake(); err != nil {
								t.Fatalf("Wake: %v", err)
							}
						}
						woke <- nil
					}
					ready, acceptable := waitForWake(t, l, rescue)
					if err := <-woke; err != nil {
						t.Fatalf("Wake: %v", err)
					}
					if len(ready) != 0 || acceptable {
						t.Fatalf("round %d: Wait = %v, %v; want nothing reported for a Wake", round, ready, acceptable)
					}
				}
			})
		}
	})
}

// TestWakeConcurrent runs Wakes from several goroutines against a loop that
// waits without a time limit, then against Close. Run it with -race.
func TestWakeConcurrent(t *testing.T) {
	const wakers, wakes = 4, 200
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l, err := cfg.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, wakers)
		for range wakers {
			wg.Go(func() {
				for range wakes {
					if err := l.Wake(); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() {
			wg.Wait()
			close(done)
			l.Wake() // ends the Wait that may have consumed the last wake
		}()
		rescue := time.AfterFunc(patience, rescueDial(t, "tcp", l.Addr().String()))
		returns := 0
	loop:
		for {
			if _, _, err := l.Wait(nil, -1); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			returns++
			select {
			case <-done:
				break loop
			default:
			}
		}
		if !rescue.Stop() {
			t.Errorf("the final Wake did not end Wait(nil, -1) within %v", patience)
		}
		t.Logf("%d Wakes, %d Wait returns", wakers*wakes+1, returns)
		close(errs)
		for err := range errs {
			t.Errorf("Wake: %v", err)
		}

		// Close while Wakes are under way: each returns nil or an error,
		// and never touches a released descriptor.
		stop := make(chan struct{})
		afterClose := make(chan error, wakers)
		for range wakers {
			wg.Go(func() {
				for {
					err := l.Wake()
					select {
					case <-stop:
						afterClose <- l.Wake()
						return
					default:
					}
					if err != nil && !strings.HasPrefix(err.Error(), "unixsock: ") {
						t.Errorf("Wake during Close: %v", err)
					}
				}
			})
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		close(stop)
		wg.Wait()
		for range wakers {
			if err := <-afterClose; err == nil {
				t.Errorf("Wake after Close = nil, want an error")
			}
		}
	})
}

func TestCloseAccept(t *testing.T) {
	tests := []struct {
		network string
		address func(t *testing.T) string
		refused func(err error) bool // what dialing after CloseAccept fails with
	}{
		{"tcp", func(*testing.T) string { return "127.0.0.1:0" },
			func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{"unix", func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.sock") },
			func(err error) bool { return errors.Is(err, syscall.ENOENT) }}, // the file is gone
	}
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, tt := range tests {
			t.Run(tt.network, func(t *testing.T) {
				address := tt.address(t)
				l := listen(t, cfg, tt.network, address)
				if tt.network == "tcp" {
					address = l.Addr().String()
				}
				client := dial(t, tt.network, address)
				c := accept(t, l)
				// Dialed before CloseAccept, never accepted.
				queued := dial(t, tt.network, address)
				if _, acceptable, err := l.Wait(nil, patience); !acceptable || err != nil {
					t.Fatalf("Wait with a queued connection = %v, %v; want true, nil", acceptable, err)
				}

				for i := range 2 {
					if err := l.CloseAccept(); err != nil {
						t.Fatalf("CloseAccept #%d: %v", i+1, err)
					}
				}
				if tt.network == "unix" {
					if _, err := os.Stat(address); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("socket file after CloseAccept: %v, want it gone", err)
					}
				}
				if _, err := net.Dial(tt.network, address); !tt.refused(err) {
					t.Errorf("Dial after CloseAccept: %v, want it refused", err)
				}
				if _, err := queued.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("queued connection's Read after CloseAccept: %v, want EOF or reset", err)
				} else {
					t.Logf("queued connection's Read after CloseAccept: %v", err)
				}
				for range 2 {
					c, err := l.Accept()
					if c != nil || !errors.Is(err, unixsock.ErrAcceptClosed) || isTemporary(err) {
						t.Fatalf("Accept after CloseAccept = %v, %v; want nil, ErrAcceptClosed", c, err)
					}
				}

				// The established connection goes on in both directions,
				// and Wait goes on reporting it, never the listener.
				for _, msg := range []string{"ping", "again"} {
					if n, err := c.Read(make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
						t.Fatalf("Read before %q = %d, %v; want ErrWouldBlock", msg, n, err)
					}
					write(t, client, msg)
					waitNoAccept(t, l, c)
					if got := readString(t, l, c, len(msg)); got != msg {
						t.Fatalf("read %q, want %q", got, msg)
					}
					write(t, c, msg)
					got := make([]byte, len(msg))
					if _, err := io.ReadFull(client, got); err != nil || string(got) != msg {
						t.Fatalf("client read %q, %v; want %q", got, err, msg)
					}
				}
				client.Close()
				if n, err := read(t, l, c, make([]byte, 8)); n != 0 || err != io.EOF {
					t.Fatalf("Read after the client closed = %d, %v; want EOF", n, err)
				}

				for i := range 2 {
					if err := l.Close(); err != nil {
						t.Fatalf("Close #%d after CloseAccept: %v", i+1, err)
					}
				}
				if err := l.CloseAccept(); err != nil {
					t.Errorf("CloseAccept after Close: %v, want nil", err)
				}
				if _, err := l.Accept(); err == nil || err == biplane.ErrWouldBlock {
					t.Errorf("Accept after Close: %v, want an error", err)
				}
				if _, _, err := l.Wait(nil, 0); err == nil {
					t.Errorf("Wait after Close succeeded")
				}
				if err := l.Wake(); err == nil {
					t.Errorf("Wake after Close = nil, want an error")
				}
				if err := c.Close(); err != nil {
					t.Errorf("conn Close: %v", err)
				}
			})
		}
	})
}

// waitNoAccept is waitFor that also fails if Wait reports the listener.
func waitNoAccept(t *testing.T, l *unixsock.Listener, c *unixsock.Conn) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		ready, acceptable, err := l.Wait(nil, time.Until(deadline))
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if acceptable {
			t.Fatalf("Wait after CloseAccept reported the listener acceptable")
		}
		for _, r := range ready {
			if r == c {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Wait did not report the conn within %v", patience)
		}
	}
}

// TestCloseAcceptUnaccepted closes the listener with connections in the
// kernel's queue: they are reset, and Wait does not report the listener
// even though it had not reported it yet.
func TestCloseAcceptUnaccepted(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		if _, err := l.Accept(); err != biplane.ErrWouldBlock {
			t.Fatalf("Accept: %v, want ErrWouldBlock", err)
		}
		client := dial(t, "tcp", l.Addr().String())
		if err := l.CloseAccept(); err != nil {
			t.Fatal(err)
		}
		if ready, acceptable, err := l.Wait(nil, 0); len(ready) != 0 || acceptable || err != nil {
			t.Fatalf("Wait after CloseAccept = %v, %v, %v; want nothing", ready, acceptable, err)
		}
		if _, err := client.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client of a connection never accepted: Read = %v, want ECONNRESET", err)
		}
	})
}

func TestWakeAllocs(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, closeAccept := range []bool{false, true} {
			l := listen(t, cfg, "tcp", "127.0.0.1:0")
			if closeAccept {
				l.CloseAccept()
			}
			ready := make([]biplane.Conn, 0, 8)
			var err error
			allocs := testing.AllocsPerRun(200, func() {
				if err == nil {
					err = l.Wake()
				}
				if err == nil {
					ready, _, err = l.Wait(ready[:0], 0)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if allocs != 0 {
				t.Errorf("CloseAccept %v: Wake+Wait(0) allocates %v times, want 0", closeAccept, allocs)
			}
		}
	})
}
