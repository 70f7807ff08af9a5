package netsock_test

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
)

// TestCloseAcceptSocket checks what CloseAccept does to the socket on each
// path, which the suite cannot see: Listen's listener refuses at once and
// removes a Unix socket's file; New's descriptor path leaves the socket to
// the net.Listener the caller still holds, so connections queue until that
// closes too, and are reset then. The rest of CloseAccept is the suite's
// (TestConformance).
func TestCloseAcceptSocket(t *testing.T) {
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
			if err := s.l.(biplane.AcceptCloser).CloseAccept(); err != nil {
				t.Fatal(err)
			}
			if tc.shared {
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
			if _, err := s.l.Accept(); !errors.Is(err, errAcceptClosed) && !errors.Is(err, netsock.ErrAcceptClosed) {
				t.Errorf("Accept after CloseAccept: %v, want ErrAcceptClosed", err)
			}
		})
	}
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
