//go:build darwin || dragonfly || freebsd || linux || netbsd

package netsock_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
	"github.com/biplane-go/biplane/unixsock"
)

// fdPath tells whether New serves a plain TCP listener through its
// descriptor on this system.
const fdPath = true

func TestNewDescriptor(t *testing.T) {
	tests := []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", filepath.Join(t.TempDir(), "sock")},
	}
	for _, tc := range tests {
		ln, err := net.Listen(tc.network, tc.address)
		if err != nil {
			t.Fatal(err)
		}
		l, err := netsock.New(ln)
		if err != nil {
			t.Fatalf("New(%T): %v", ln, err)
		}
		ul, ok := l.(*unixsock.Listener)
		if !ok {
			t.Errorf("New(%T) = %T, want *unixsock.Listener", ln, l)
		} else if tc.network == "tcp" && ul.Addr().String() != ln.Addr().String() {
			t.Errorf("unixsock Addr = %v, want %v", ul.Addr(), ln.Addr())
		}
		// Closing the listener leaves ln, which the caller owns, working.
		l.Close()
		c, err := net.Dial(tc.network, ln.Addr().String())
		if err != nil {
			t.Errorf("%s: Dial after closing New's listener: %v", tc.network, err)
		} else {
			c.Close()
		}
		ln.Close()
	}
}

// embedded exposes SyscallConn but overrides Accept, as a listener that
// wraps connections might.
type embedded struct{ *net.TCPListener }

func (e embedded) Accept() (net.Conn, error) { return e.TCPListener.Accept() }

func TestNewEmbeddedTakesFallback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := netsock.New(embedded{ln.(*net.TCPListener)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, ok := l.(*netsock.Listener); !ok {
		t.Errorf("New(embedded) = %T, want the fallback *netsock.Listener", l)
	}
}

func TestListenDescriptor(t *testing.T) {
	tests := []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", filepath.Join(t.TempDir(), "sock")},
	}
	for _, tc := range tests {
		l, addr, err := netsock.Listen(tc.network, tc.address)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := l.(*unixsock.Listener); tc.network == "tcp" && !ok {
			t.Errorf("Listen(tcp) = %T, want *unixsock.Listener", l)
		}
		s := &server{t: t, l: l, w: l.(biplane.Waiter)}
		client, err := net.Dial(tc.network, addr.String())
		if err != nil {
			t.Fatal(err)
		}
		c := s.accept()
		client.Write([]byte("hi"))
		if got := s.readN(c, 2); got != "hi" {
			t.Errorf("%s: server read %q, want %q", tc.network, got, "hi")
		}
		c.Close()
		client.Close()
		if err := l.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.network, err)
		}
		if c, err := net.Dial(tc.network, addr.String()); err == nil {
			c.Close()
			t.Errorf("%s: Dial after Close succeeded", tc.network)
		}
		if tc.network == "unix" {
			if _, err := os.Stat(tc.address); !os.IsNotExist(err) {
				t.Errorf("socket file after Close: Stat = %v, want not exist", err)
			}
		}
	}
}

// errAcceptClosed is what Accept returns after CloseAccept on the
// descriptor path.
var errAcceptClosed = unixsock.ErrAcceptClosed

// refused reports whether err is how dialing a listener that CloseAccept
// closed fails: ECONNREFUSED for TCP, ENOENT for a removed socket file.
func refused(network string, err error) bool {
	if network == "unix" {
		return errors.Is(err, syscall.ENOENT)
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
