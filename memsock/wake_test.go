package memsock_test

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// waitForWake calls Wait with no time limit, which only a Wake should end.
// If nothing ends it within guard, rescue makes something ready, so that
// the test fails instead of hanging; Wait then reports it.
func waitForWake(t *testing.T, l *memsock.Listener, rescue func()) (ready []biplane.Conn, acceptable bool) {
	t.Helper()
	timer := time.AfterFunc(guard, rescue)
	ready, acceptable, err := l.Wait(nil, -1)
	if !timer.Stop() {
		t.Errorf("Wait(nil, -1) not woken within %v", guard)
	}
	if err != nil {
		t.Fatalf("Wait(nil, -1): %v", err)
	}
	return ready, acceptable
}

func TestWake(t *testing.T) {
	tests := []struct {
		name        string
		wakes       int  // Wakes before the Wait, or in another goroutine while it blocks if 0
		closeAccept bool // CloseAccept first
	}{
		{"during Wait", 0, false},
		{"before Wait", 1, false},
		{"many before Wait", 5, false},
		{"during Wait after CloseAccept", 0, true},
		{"before Wait after CloseAccept", 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := memsock.NewListener()
			defer l.Close()
			rescue := func() { l.Dial() }
			if tc.closeAccept {
				// After CloseAccept only a connection can end Wait.
				c, _ := pair(t, l)
				if err := l.CloseAccept(); err != nil {
					t.Fatal(err)
				}
				rescue = func() { c.Write([]byte("x")) }
			}
			l.Wait(nil, 0) // consume what dialing reported
			// Twice: a consumed wake must not stop the next one.
			for round := range 2 {
				woke := make(chan error, 1)

				if tc.wakes == 0 {
					blocked := make(chan struct{}, 1)
					memsock.SetWaitHook(l, func() {
						select {
						case blocked <- struct{}{}:
						default:
						}
					})
					go func() {
						select {
						case <-blocked:
						case <-time.After(guard):
						}
						woke <- l.Wake()
					}()
				} else {
					for range tc.wakes {
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
				// Wakes before a Wait make one early return, not more.
				if r, a, err := l.Wait(nil, 0); len(r) != 0 || a || err != nil {
					t.Errorf("round %d: next Wait(0) = %v, %v, %v; want nothing", round, r, a, err)
				}
			}
		})
	}
}

// TestWakeConcurrent runs Wakes from several goroutines against a loop that
// waits without a time limit, then against Close. Run it with -race.
func TestWakeConcurrent(t *testing.T) {
	const wakers, wakes = 4, 200
	l := memsock.NewListener()
	var wg sync.WaitGroup
	wg.Add(wakers)
	for range wakers {
		go func() {
			defer wg.Done()
			for range wakes {
				if err := l.Wake(); err != nil {
					t.Errorf("Wake: %v", err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
		l.Wake() // ends the Wait that may have consumed the last wake
	}()
	rescue := time.AfterFunc(guard, func() { l.Dial() })
	for {
		if _, _, err := l.Wait(nil, -1); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		select {
		case <-done:
		default:
			continue
		}
		break
	}
	if !rescue.Stop() {
		t.Errorf("the final Wake did not end Wait(nil, -1) within %v", guard)
	}

	stop := make(chan struct{})
	after := make(chan error, wakers)
	wg.Add(wakers)
	for range wakers {
		go func() {
			defer wg.Done()
			for {
				l.Wake()
				select {
				case <-stop:
					after <- l.Wake()
					return
				default:
				}
			}
		}()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	for range wakers {
		if err := <-after; err != memsock.ErrClosed {
			t.Errorf("Wake after Close = %v, want ErrClosed", err)
		}
	}
}

func TestCloseAccept(t *testing.T) {
	l := memsock.NewListener()
	c, s := pair(t, l)
	pending, err := l.Dial()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := l.CloseAccept(); err != nil {
			t.Fatalf("CloseAccept #%d: %v", i+1, err)
		}
	}
	if _, err := l.Dial(); err != memsock.ErrAcceptClosed {
		t.Errorf("Dial after CloseAccept = %v, want ErrAcceptClosed", err)
	}
	for range 2 {
		s, err := l.Accept()
		var te interface{ Temporary() bool }
		if s != nil || err != memsock.ErrAcceptClosed || errors.As(err, &te) {
			t.Fatalf("Accept after CloseAccept = %v, %v; want nil, ErrAcceptClosed", s, err)
		}
	}
	// The connection dialed but not accepted was refused, and the Dial
	// before CloseAccept is not reported.
	if n, err := pending.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("pending client Read = %d, %v; want 0, EOF", n, err)
	}
	if _, err := pending.Write([]byte("x")); err != memsock.ErrPeerClosed {
		t.Errorf("pending client Write = %v, want ErrPeerClosed", err)
	}
	if r, a, err := l.Wait(nil, 0); len(r) != 0 || a || err != nil {
		t.Errorf("Wait after CloseAccept = %v, %v, %v; want nothing", r, a, err)
	}

	// The accepted connection goes on in both directions, and Wait goes
	// on reporting it.
	buf := make([]byte, 8)
	for _, msg := range []string{"ping", "again"} {
		if n, err := s.Read(buf); n != 0 || err != biplane.ErrWouldBlock {
			t.Fatalf("server Read before %q = %d, %v; want ErrWouldBlock", msg, n, err)
		}
		c.Write([]byte(msg))
		r, a, err := l.Wait(nil, guard)
		if len(r) != 1 || r[0] != s || a || err != nil {
			t.Fatalf("Wait after a client write = %v, %v, %v; want [%v], false, nil", r, a, err, s)
		}
		if n, err := s.Read(buf); string(buf[:n]) != msg || err != nil {
			t.Fatalf("server Read = %q, %v; want %q", buf[:n], err, msg)
		}
		if n, err := s.Write([]byte(msg)); n != len(msg) || err != nil {
			t.Fatalf("server Write = %d, %v", n, err)
		}
		if n, err := c.Read(buf); string(buf[:n]) != msg || err != nil {
			t.Fatalf("client Read = %q, %v; want %q", buf[:n], err, msg)
		}
	}

	for i := range 2 {
		if err := l.Close(); err != nil {
			t.Fatalf("Close #%d after CloseAccept: %v", i+1, err)
		}
	}
	if err := l.CloseAccept(); err != nil {
		t.Errorf("CloseAccept after Close = %v, want nil", err)
	}
	if err := l.Wake(); err != memsock.ErrClosed {
		t.Errorf("Wake after Close = %v, want ErrClosed", err)
	}
	if _, err := l.Dial(); err != memsock.ErrClosed {
		t.Errorf("Dial after Close = %v, want ErrClosed", err)
	}
	if _, err := l.Accept(); err != memsock.ErrClosed {
		t.Errorf("Accept after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("conn Close: %v", err)
	}
}

func TestWakeAllocs(t *testing.T) {
	l := memsock.NewListener()
	ready := make([]biplane.Conn, 0, 4)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
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
		t.Errorf("Wake+Wait(0) allocates %v times, want 0", allocs)
	}
}
