//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// patience bounds every wait for something that should happen at once, so
// that a broken wake-up fails the test instead of hanging it.
const patience = 5 * time.Second

// waiters are the Wait implementations every behavioural test runs with.
var waiters = []struct {
	name string
	cfg  unixsock.Config
}{
	{"default", unixsock.Config{}},
	{"poll", unixsock.Config{UsePoll: true}},
}

func forEachWaiter(t *testing.T, f func(t *testing.T, cfg unixsock.Config)) {
	for _, w := range waiters {
		t.Run(w.name, func(t *testing.T) { f(t, w.cfg) })
	}
}

func listen(t testing.TB, cfg unixsock.Config, network, address string) *unixsock.Listener {
	t.Helper()
	l, err := cfg.Listen(network, address)
	if err != nil {
		t.Fatalf("Listen(%q, %q): %v", network, address, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dial(t testing.TB, network, address string) net.Conn {
	t.Helper()
	c, err := net.Dial(network, address)
	if err != nil {
		t.Fatalf("Dial(%q, %q): %v", network, address, err)
	}
	c.SetDeadline(time.Now().Add(2 * patience))
	t.Cleanup(func() { c.Close() })
	return c
}

// accept takes the next connection, waiting for the listener to be
// reported when there is none yet.
func accept(t testing.TB, l *unixsock.Listener) *unixsock.Conn {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		c, err := l.Accept()
		if err == nil {
			uc := c.(*unixsock.Conn)
			t.Cleanup(func() { uc.Close() })
			return uc
		}
		if !errors.Is(err, biplane.ErrWouldBlock) {
			t.Fatalf("Accept: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("Accept: nothing to accept after %v", patience)
		}
		if _, _, err := l.Wait(nil, time.Until(deadline)); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
}

// waitFor calls Wait until it reports c, failing if it never does, and
// checks that no conn in never is reported meanwhile.
func waitFor(t testing.TB, l *unixsock.Listener, c *unixsock.Conn, never ...*unixsock.Conn) {
	t.Helper()
	deadline := time.Now().Add(patience)
	var buf [64]biplane.Conn
	for {
		ready, _, err := l.Wait(buf[:0], time.Until(deadline))
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		found := false
		for _, r := range ready {
			for _, n := range never {
				if r == n {
					t.Fatalf("Wait reported closed conn %p", n)
				}
			}
			found = found || r == c
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Wait did not report the conn within %v", patience)
		}
	}
}

// read reads from c, waiting while it would block.
func read(t testing.TB, l *unixsock.Listener, c *unixsock.Conn, p []byte) (int, error) {
	t.Helper()
	for {
		n, err := c.Read(p)
		if !errors.Is(err, biplane.ErrWouldBlock) {
			return n, err
		}
		waitFor(t, l, c)
	}
}

// readString reads from c until it has n bytes.
func readString(t testing.TB, l *unixsock.Listener, c *unixsock.Conn, n int) string {
	t.Helper()
	p := make([]byte, n)
	for got := 0; got < n; {
		m, err := read(t, l, c, p[got:])
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", got, err)
		}
		got += m
	}
	return string(p)
}

func write(t testing.TB, c io.Writer, s string) {
	t.Helper()
	if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
	}
}

func TestAcceptWouldBlock(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		c, err := l.Accept()
		if c != nil || err != biplane.ErrWouldBlock {
			t.Fatalf("Accept() = %v, %v; want nil, ErrWouldBlock", c, err)
		}
	})
}

func TestWaitZeroTimeout(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		ready, acceptable, err := l.Wait(nil, 0)
		if len(ready) != 0 || acceptable || err != nil {
			t.Fatalf("Wait(nil, 0) = %v, %v, %v; want [], false, nil", ready, acceptable, err)
		}
	})
}

func TestWaitReportsAccept(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, during := range []bool{false, true} {
			t.Run(fmt.Sprintf("dialDuringWait=%v", during), func(t *testing.T) {
				l := listen(t, cfg, "tcp", "127.0.0.1:0")
				if _, err := l.Accept(); err != biplane.ErrWouldBlock {
					t.Fatalf("Accept: %v, want ErrWouldBlock", err)
				}
				dialed := make(chan error, 1)
				client := func() {
					c, err := net.Dial("tcp", l.Addr().String())
					if err == nil {
						t.Cleanup(func() { c.Close() })
					}
					dialed <- err
				}
				if during {
					go client()
				} else {
					client()
				}
				ready, acceptable, err := l.Wait(nil, patience)
				if err != nil || !acceptable || len(ready) != 0 {
					t.Fatalf("Wait = %v, %v, %v; want [], true, nil", ready, acceptable, err)
				}
				if err := <-dialed; err != nil {
					t.Fatal(err)
				}
				if _, err := l.Accept(); err != nil {
					t.Fatalf("Accept after Wait: %v", err)
				}
			})
		}
	})
}

func TestReadWouldBlockThenData(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client := dial(t, "tcp", l.Addr().String())
		c := accept(t, l)
		p := make([]byte, 16)
		if n, err := c.Read(p); n != 0 || err != biplane.ErrWouldBlock {
			t.Fatalf("Read before data = %d, %v; want 0, ErrWouldBlock", n, err)
		}
		write(t, client, "hello")
		if got := readString(t, l, c, 5); got != "hello" {
			t.Fatalf("read %q, want %q", got, "hello")
		}
		if n, err := c.Read(p); n != 0 || err != biplane.ErrWouldBlock {
			t.Fatalf("Read after data = %d, %v; want 0, ErrWouldBlock", n, err)
		}
		// Edge-triggered: the second message must be reported anew.
		write(t, client, "again")
		waitFor(t, l, c)
		if got := readString(t, l, c, 5); got != "again" {
			t.Fatalf("read %q, want %q", got, "again")
		}
		if n, err := c.Read(nil); n != 0 || err != nil {
			t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestReadEOF(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client := dial(t, "tcp", l.Addr().String())
		c := accept(t, l)
		write(t, client, "bye")
		client.Close()
		if got := readString(t, l, c, 3); got != "bye" {
			t.Fatalf("read %q, want %q", got, "bye")
		}
		for range 2 { // EOF is sticky
			if n, err := read(t, l, c, make([]byte, 8)); n != 0 || err != io.EOF {
				t.Fatalf("Read after peer closed = %d, %v; want 0, EOF", n, err)
			}
		}
	})
}

// pattern fills p with the bytes at offsets off, off+1, … of a stream that
// a reader can check.
func pattern(p []byte, off int) []byte {
	for i := range p {
		p[i] = byte((off + i) % 251)
	}
	return p
}

func TestPartialWrite(t *testing.T) {
	writers := []struct {
		name  string
		write func(c *unixsock.Conn, p []byte) (int, error)
	}{
		{"Write", (*unixsock.Conn).Write},
		{"Writev", func(c *unixsock.Conn, p []byte) (int, error) {
			return c.Writev([][]byte{p[:1000], nil, p[1000:2000], p[2000:]})
		}},
	}
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, w := range writers {
			t.Run(w.name, func(t *testing.T) {
				l := listen(t, cfg, "tcp", "127.0.0.1:0")
				client := dial(t, "tcp", l.Addr().String())
				c := accept(t, l)

				// Fill the send buffer and the client's receive buffer.
				buf := make([]byte, 64<<10)
				total := 0
				for {
					n, err := w.write(c, pattern(buf, total))
					total += n
					if err == biplane.ErrWouldBlock {
						if n == len(buf) {
							t.Fatalf("wrote all %d bytes, yet ErrWouldBlock", n)
						}
						break
					}
					if err != nil || n != len(buf) {
						t.Fatalf("%s = %d, %v; want %d, nil", w.name, n, err, len(buf))
					}
					if total > 1<<30 {
						t.Fatalf("wrote %d bytes without ErrWouldBlock", total)
					}
				}
				t.Logf("%d bytes before ErrWouldBlock", total)

				drained := make(chan error, 1)
				go func(total int) {
					got := make([]byte, total)
					if _, err := io.ReadFull(client, got); err != nil {
						drained <- err
						return
					}
					if !bytes.Equal(got, pattern(make([]byte, total), 0)) {
						drained <- errors.New("client read corrupted data")
						return
					}
					drained <- nil
				}(total)
				for {
					waitFor(t, l, c)
					n, err := w.write(c, pattern(buf, total))
					total += n
					if n > 0 {
						break
					}
					if err != biplane.ErrWouldBlock {
						t.Fatalf("%s after drain = %d, %v", w.name, n, err)
					}
				}
				if err := <-drained; err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func TestPeerReset(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client := dial(t, "tcp", l.Addr().String())
		c := accept(t, l)
		client.(*net.TCPConn).SetLinger(0)
		client.Close() // sends RST
		n, err := read(t, l, c, make([]byte, 8))
		if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read after reset = %d, %v; want 0, ECONNRESET", n, err)
		}
		if !strings.HasPrefix(err.Error(), "unixsock: read: ") {
			t.Errorf("error %q lacks the prefix %q", err, "unixsock: read: ")
		}
		// Writing to the dead connection fails; it must not raise SIGPIPE.
		if _, err := c.Write([]byte("x")); err == nil || err == biplane.ErrWouldBlock {
			t.Fatalf("Write after reset: %v, want an error", err)
		}
		if _, err := c.Writev([][]byte{[]byte("x"), []byte("y")}); err == nil || err == biplane.ErrWouldBlock {
			t.Fatalf("Writev after reset: %v, want an error", err)
		}
	})
}

func TestCloseWrite(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client := dial(t, "tcp", l.Addr().String())
		c := accept(t, l)
		write(t, c, "last words")
		if err := c.CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		got, err := io.ReadAll(client)
		if string(got) != "last words" || err != nil {
			t.Fatalf("client ReadAll = %q, %v; want %q, nil", got, err, "last words")
		}
		// The other direction still works.
		write(t, client, "reply")
		if got := readString(t, l, c, 5); got != "reply" {
			t.Fatalf("read %q, want %q", got, "reply")
		}
	})
}

func TestRemoteAddr(t *testing.T) {
	tests := []struct {
		network, listen, dial string
	}{
		{"tcp4", "127.0.0.1:0", "127.0.0.1"},
		{"tcp", "127.0.0.1:0", "127.0.0.1"},
		{"tcp6", "[::1]:0", "::1"},
		{"tcp", ":0", "127.0.0.1"}, // IPv4 client of a dual-stack socket
		{"tcp", ":0", "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.listen+" "+tt.dial, func(t *testing.T) {
			l, err := unixsock.Listen(tt.network, tt.listen)
			if err != nil {
				if strings.Contains(tt.listen+tt.dial, ":") {
					t.Skipf("no IPv6: %v", err)
				}
				t.Fatal(err)
			}
			defer l.Close()
			client, err := net.Dial("tcp", netip.AddrPortFrom(netip.MustParseAddr(tt.dial), l.Addr().Port()).String())
			if err != nil {
				t.Skipf("cannot dial %s: %v", tt.dial, err)
			}
			defer client.Close()
			c := accept(t, l)
			want := client.LocalAddr().(*net.TCPAddr).AddrPort()
			want = netip.AddrPortFrom(want.Addr().Unmap(), want.Port())
			if got := c.RemoteAddr(); got != want {
				t.Fatalf("RemoteAddr() = %v, want %v", got, want)
			}
		})
	}
}

func TestConnClose(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client1 := dial(t, "tcp", l.Addr().String())
		c1 := accept(t, l)
		write(t, client1, "x")
		readString(t, l, c1, 1)
		if _, err := c1.Read(make([]byte, 1)); err != biplane.ErrWouldBlock {
			t.Fatalf("Read: %v, want ErrWouldBlock", err)
		}
		write(t, client1, "y") // an event for c1 is now due
		// Dial before closing c1, so that the server side of the next
		// connection can take c1's descriptor.
		client2 := dial(t, "tcp", l.Addr().String())
		fd := c1.Fd()
		for i := range 2 {
			if err := c1.Close(); err != nil {
				t.Fatalf("Close #%d: %v", i+1, err)
			}
		}
		if c1.Fd() != -1 {
			t.Errorf("Fd() after Close = %d, want -1", c1.Fd())
		}
		if _, err := c1.Read(make([]byte, 1)); err == nil || err == biplane.ErrWouldBlock {
			t.Errorf("Read after Close: %v, want an error", err)
		}
		if _, err := c1.Write([]byte("z")); err == nil || err == biplane.ErrWouldBlock {
			t.Errorf("Write after Close: %v, want an error", err)
		}
		if _, _, err := l.Wait(nil, 0); err != nil {
			t.Fatal(err)
		}

		// The new connection likely reuses the descriptor; events for it
		// must never bring back the closed Conn.
		c2 := accept(t, l)
		t.Logf("closed fd %d, new fd %d", fd, c2.Fd())
		client1.Write([]byte("more")) // may fail: c1 was closed unread, so reset
		write(t, client2, "z")
		waitFor(t, l, c2, c1)
		if got := readString(t, l, c2, 1); got != "z" {
			t.Fatalf("read %q, want %q", got, "z")
		}
		ready, _, err := l.Wait(nil, 0)
		for _, r := range ready {
			if r == c1 {
				t.Fatalf("Wait reported the closed conn")
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestWaitTimeout(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		for _, d := range []time.Duration{time.Microsecond, 300 * time.Microsecond, 2 * time.Millisecond, 2500 * time.Microsecond} {
			start := time.Now()
			ready, acceptable, err := l.Wait(nil, d)
			elapsed := time.Since(start)
			if len(ready) != 0 || acceptable || err != nil {
				t.Fatalf("Wait(nil, %v) = %v, %v, %v; want [], false, nil", d, ready, acceptable, err)
			}
			// Only the lower bound: a busy machine may wake us late.
			if elapsed < d {
				t.Errorf("Wait(nil, %v) returned after %v", d, elapsed)
			}
		}
	})
}

func TestAddr(t *testing.T) {
	l := listen(t, unixsock.Config{}, "tcp", "127.0.0.1:0")
	a := l.Addr()
	if a.Addr() != netip.MustParseAddr("127.0.0.1") || a.Port() == 0 {
		t.Fatalf("Addr() = %v, want 127.0.0.1 with a real port", a)
	}
	dial(t, "tcp", a.String())
	accept(t, l)

	l = listen(t, unixsock.Config{}, "tcp", "localhost:0")
	if got := l.Addr().Addr(); got != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("localhost: Addr() = %v, want 127.0.0.1", got)
	}
}

func TestListenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		network, address string
		want             string        // in the message
		errno            syscall.Errno // if not 0, what the error wraps
	}{
		{"udp", "127.0.0.1:0", `unknown network "udp"`, 0},
		{"tcp", "127.0.0.1", "missing port", 0},
		{"tcp", "127.0.0.1:http", `invalid port "http"`, 0},
		{"tcp", "127.0.0.1:65536", `invalid port "65536"`, 0},
		{"tcp", "example.com:80", `host "example.com" is not an IP address or localhost`, 0},
		{"tcp", "::1:80", "must be in brackets", 0},
		{"tcp", "[::1:80", "missing ']'", 0},
		{"tcp4", "[::1]:0", "::1 is not an IPv4 address", 0},
		{"tcp6", "127.0.0.1:0", "127.0.0.1 is not an IPv6 address", 0},
		{"tcp6", "[fe80::1%eth0]:0", `zone "eth0" is not an interface index`, 0},
		{"tcp", "192.0.2.1:0", "bind: ", syscall.EADDRNOTAVAIL},
		{"unix", "", "empty socket path", 0},
		{"unix", strings.Repeat("x", 200), "socket path is 200 bytes long", 0},
		{"unix", filepath.Join(dir, "missing", "s.sock"), "bind: ", syscall.ENOENT},
	}
	for _, tt := range tests {
		l, err := unixsock.Listen(tt.network, tt.address)
		if err == nil {
			l.Close()
			t.Errorf("Listen(%q, %q) succeeded, want an error", tt.network, tt.address)
			continue
		}
		prefix := "unixsock: listen " + tt.network + " " + tt.address + ": "
		if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.want) {
			t.Errorf("Listen(%q, %q) error %q, want %q after the prefix %q", tt.network, tt.address, msg, tt.want, prefix)
		}
		if tt.errno != 0 && !errors.Is(err, tt.errno) {
			t.Errorf("Listen(%q, %q) error %q does not wrap %v", tt.network, tt.address, err, tt.errno)
		}
	}
}

func TestListenAddressInUse(t *testing.T) {
	l := listen(t, unixsock.Config{}, "tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	_, err := unixsock.Listen("tcp", addr)
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "bind: address already in use") {
		t.Fatalf("second Listen on %s: %v, want EADDRINUSE", addr, err)
	}

	path := filepath.Join(t.TempDir(), "s.sock")
	ul := listen(t, unixsock.Config{}, "unix", path)
	if _, err := unixsock.Listen("unix", path); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second Listen on %s: %v, want EADDRINUSE", path, err)
	}
	// The failed Listen must leave the first one's socket file alone.
	dial(t, "unix", path)
	accept(t, ul)
}

func TestReusePort(t *testing.T) {
	cfg := unixsock.Config{ReusePort: true}
	l1 := listen(t, cfg, "tcp", "127.0.0.1:0")
	l2 := listen(t, cfg, "tcp", l1.Addr().String())
	if l1.Addr() != l2.Addr() {
		t.Fatalf("addresses differ: %v, %v", l1.Addr(), l2.Addr())
	}
}

func TestUnix(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		path := filepath.Join(t.TempDir(), "s.sock")
		l := listen(t, cfg, "unix", path)
		if l.Addr() != (netip.AddrPort{}) {
			t.Errorf("Addr() = %v, want zero", l.Addr())
		}
		client := dial(t, "unix", path)
		c := accept(t, l)
		if c.RemoteAddr() != (netip.AddrPort{}) {
			t.Errorf("RemoteAddr() = %v, want zero", c.RemoteAddr())
		}
		write(t, client, "ping")
		if got := readString(t, l, c, 4); got != "ping" {
			t.Fatalf("read %q, want %q", got, "ping")
		}

		// Closing the listener removes the file and stops Wait and
		// Accept, but leaves the connection to its owner.
		for i := range 2 {
			if err := l.Close(); err != nil {
				t.Fatalf("Close #%d: %v", i+1, err)
			}
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file after Close: %v, want it gone", err)
		}
		if _, err := l.Accept(); err == nil || err == biplane.ErrWouldBlock || isTemporary(err) {
			t.Errorf("Accept after Close: %v, want a final error", err)
		}
		if _, _, err := l.Wait(nil, 0); err == nil {
			t.Errorf("Wait after Close succeeded")
		}
		write(t, c, "pong")
		got := make([]byte, 4)
		if _, err := io.ReadFull(client, got); err != nil || string(got) != "pong" {
			t.Fatalf("client read %q, %v; want %q", got, err, "pong")
		}
		if err := c.Close(); err != nil {
			t.Fatalf("conn Close after listener Close: %v", err)
		}
	})
}

func isTemporary(err error) bool {
	var te interface{ Temporary() bool }
	return errors.As(err, &te) && te.Temporary()
}

func TestNewListener(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	f, err := nl.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	l, err := unixsock.NewListener(fd)
	if err != nil {
		t.Fatalf("NewListener: %v", err)
	}
	defer l.Close()
	if want := nl.Addr().(*net.TCPAddr).AddrPort(); l.Addr() != want {
		t.Fatalf("Addr() = %v, want %v", l.Addr(), want)
	}
	client := dial(t, "tcp", l.Addr().String())
	c := accept(t, l)
	write(t, client, "hi")
	if got := readString(t, l, c, 2); got != "hi" {
		t.Fatalf("read %q, want %q", got, "hi")
	}
}

func TestNewListenerErrors(t *testing.T) {
	sock, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pipe [2]int
	if err := syscall.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pipe[1])
	tests := []struct {
		name string
		fd   int
		want string
	}{
		{"unconnected socket", sock, "is not listening"},
		{"pipe", pipe[0], "getsockopt SO_TYPE"},
	}
	for _, tt := range tests {
		_, err := unixsock.NewListener(tt.fd)
		if err == nil || !strings.HasPrefix(err.Error(), "unixsock: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewListener(%s) = %v, want an error with %q", tt.name, err, tt.want)
		}
		// It took ownership, so it closed the descriptor.
		if err := syscall.Close(tt.fd); err != syscall.EBADF {
			t.Errorf("%s: descriptor still open after NewListener failed (close: %v)", tt.name, err)
		}
	}
}

// TestAcceptTemporary runs Accept out of descriptors and expects an error
// the server may retry.
func TestAcceptTemporary(t *testing.T) {
	l := listen(t, unixsock.Config{}, "tcp", "127.0.0.1:0")
	dial(t, "tcp", l.Addr().String())
	if _, acceptable, err := l.Wait(nil, patience); !acceptable || err != nil {
		t.Fatalf("Wait = %v, %v", acceptable, err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 3 // only stdin, stdout and stderr
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	c, err := l.Accept()
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatalf("cannot restore RLIMIT_NOFILE: %v", err)
	}
	if err == nil {
		c.Close()
		t.Skip("a descriptor below 3 was free")
	}
	if !errors.Is(err, syscall.EMFILE) || !isTemporary(err) {
		t.Fatalf("Accept with no descriptors left: %v, want temporary EMFILE", err)
	}
	if !strings.HasPrefix(err.Error(), "unixsock: accept: ") {
		t.Errorf("error %q lacks the prefix %q", err, "unixsock: accept: ")
	}
	accept(t, l) // the connection waited in the queue
}

func TestManyConns(t *testing.T) {
	const n = 300 // more than one Wait's worth of epoll events
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		clients := make([]net.Conn, n)
		for i := range clients {
			clients[i] = dial(t, "tcp", l.Addr().String())
		}
		conns := make(map[biplane.Conn]bool)
		for range n {
			c := accept(t, l)
			if _, err := c.Read(make([]byte, 1)); err != biplane.ErrWouldBlock {
				t.Fatalf("Read: %v, want ErrWouldBlock", err)
			}
			conns[c] = true
		}
		for _, c := range clients {
			write(t, c, "!")
		}
		deadline := time.Now().Add(patience)
		ready := make([]biplane.Conn, 0, n)
		p := make([]byte, 8)
		for len(conns) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d conns never reported", len(conns))
			}
			var err error
			ready, _, err = l.Wait(ready[:0], time.Until(deadline))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ready {
				if !conns[r] {
					continue
				}
				if n, err := r.Read(p); n == 1 && err == nil {
					delete(conns, r)
				} else if err != biplane.ErrWouldBlock {
					t.Fatalf("Read = %d, %v", n, err)
				}
			}
		}
	})
}

// TestShortRead checks what follows a Read that returned fewer bytes than
// asked, after which the next Read may answer ErrWouldBlock without asking
// the kernel: whatever the peer sent next, before or after the short read,
// still reaches the reader through Wait.
func TestShortRead(t *testing.T) {
	tests := []struct {
		name   string
		before func(c *net.TCPConn) // before Accept
		after  func(c *net.TCPConn) // after the first short read
		want   string               // all the bytes read
		end    error                // what ends the reading: io.EOF, or nil for a reset
	}{
		{"data and FIN before accept", func(c *net.TCPConn) { c.Write([]byte("abc")); c.CloseWrite() }, nil, "abc", io.EOF},
		{"data and RST before accept", func(c *net.TCPConn) { c.Write([]byte("abc")); c.SetLinger(0); c.Close() }, nil, "abc", nil},
		{"data, then more data", func(c *net.TCPConn) { c.Write([]byte("abc")) }, func(c *net.TCPConn) { c.Write([]byte("def")); c.CloseWrite() }, "abcdef", io.EOF},
		{"data, then FIN", func(c *net.TCPConn) { c.Write([]byte("abc")) }, func(c *net.TCPConn) { c.CloseWrite() }, "abc", io.EOF},
		{"data, then RST", func(c *net.TCPConn) { c.Write([]byte("abc")) }, func(c *net.TCPConn) { c.SetLinger(0); c.Close() }, "abc", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
				l := listen(t, cfg, "tcp", "127.0.0.1:0")
				client := dial(t, "tcp", l.Addr().String()).(*net.TCPConn)
				tc.before(client) // on loopback, its packets have arrived when it returns
				c := accept(t, l)
				var got []byte
				p := make([]byte, 64) // larger than anything sent: every read is short
				var end error
				for acted := false; ; {
					n, err := read(t, l, c, p)
					got = append(got, p[:n]...)
					if err != nil {
						end = err
						break
					}
					if !acted && tc.after != nil {
						acted = true
						tc.after(client)
					}
				}
				if string(got) != tc.want && !(tc.end == nil && strings.HasPrefix(tc.want, string(got))) {
					t.Errorf("read %q, want %q", got, tc.want)
				}
				switch {
				case tc.end == io.EOF && end != io.EOF:
					t.Errorf("reading ended with %v, want EOF", end)
				case tc.end == nil && !errors.Is(end, syscall.ECONNRESET):
					t.Errorf("reading ended with %v, want a reset", end)
				}
			})
		})
	}
}
