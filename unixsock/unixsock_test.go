//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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

// waitFor calls Wait until it reports c, failing if it never does.
func waitFor(t testing.TB, l *unixsock.Listener, c *unixsock.Conn) {
	t.Helper()
	deadline := time.Now().Add(patience)
	var buf [64]biplane.Conn
	for {
		ready, _, err := l.Wait(buf[:0], max(time.Until(deadline), 0))
		if err != nil {
			t.Fatalf("Wait: %v", err)
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

// pattern fills p with the bytes at offsets off, off+1, … of a stream that
// a reader can check.
func pattern(p []byte, off int) []byte {
	for i := range p {
		p[i] = byte((off + i) % 251)
	}
	return p
}

func write(t testing.TB, c io.Writer, s string) {
	t.Helper()
	if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
	}
}

// TestClosedDuplicate closes a Conn whose descriptor was duplicated, so
// that its socket lives on, and gives the number to a new connection:
// bytes arriving on the old socket must never be read as the new one's,
// nor the closed Conn reported. (Closing does not deregister a file that
// outlives its descriptor from epoll: its events may come under the
// number, a spurious report the Waiter contract allows.)
func TestClosedDuplicate(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		l := listen(t, cfg, "tcp", "127.0.0.1:0")
		client1 := dial(t, "tcp", l.Addr().String())
		c1 := accept(t, l)
		num := c1.Fd()
		dup, err := syscall.Dup(num)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(dup)
		client2 := dial(t, "tcp", l.Addr().String()) // queued before num is free
		if err := c1.Close(); err != nil {
			t.Fatal(err)
		}
		c2 := accept(t, l)
		for tries := 0; c2.Fd() != num; tries++ {
			// A lower number freed meanwhile (a finalizer's close) was
			// taken first: accept until num is.
			if tries == 16 {
				t.Fatalf("no new connection got descriptor %d", num)
			}
			dial(t, "tcp", l.Addr().String())
			c2 = accept(t, l)
		}
		write(t, client1, "old")
		var buf [8]biplane.Conn
		ready, _, err := l.Wait(buf[:0], 0)
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		for _, r := range ready {
			if r == c1 {
				t.Fatal("Wait reported the closed Conn")
			}
		}
		p := make([]byte, 8)
		if n, err := c2.Read(p); !errors.Is(err, biplane.ErrWouldBlock) {
			t.Fatalf("new Conn's Read = %d, %v (%q); want ErrWouldBlock", n, err, p[:n])
		}
		write(t, client2, "new")
		if got := readString(t, l, c2, 3); got != "new" {
			t.Fatalf("new Conn read %q, want %q", got, "new")
		}
	})
}

// TestResetError checks the form of the error a peer's reset makes: the
// suite checks that there is one (TestConformance).
func TestResetError(t *testing.T) {
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
		if _, err := c.Writev([][]byte{[]byte("x"), []byte("y")}); err == nil || !strings.HasPrefix(err.Error(), "unixsock: ") {
			t.Fatalf("Writev after reset: %v, want an error with the prefix %q", err, "unixsock: ")
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

// TestConfigConns: Config.Conns grows the process's descriptor table when
// the Listener is made (Linux reports its size as FDSize), up to the
// process's limit when asked for more.
func TestConfigConns(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("FDSize is in Linux's /proc/self/status")
	}
	fdSize := func() int {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "FDSize:"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatal("no FDSize in /proc/self/status")
		return 0
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	want := fdSize() + 1000
	if uint64(want)+100 >= lim.Cur {
		t.Skipf("RLIMIT_NOFILE is %d", lim.Cur)
	}
	l, err := unixsock.Config{Conns: want}.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got := fdSize(); got < want {
		t.Errorf("FDSize is %d after Listen with Conns %d", got, want)
	}
	if lim.Cur > 1<<16 {
		return // growing to the limit would take megabytes
	}
	l, err = unixsock.Config{Conns: int(lim.Cur) + 1}.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen with Conns past RLIMIT_NOFILE (%d): %v", lim.Cur, err)
	}
	l.Close()
	if got := fdSize(); uint64(got) < lim.Cur {
		t.Errorf("FDSize is %d after Listen with Conns past RLIMIT_NOFILE (%d), want it grown to the limit", got, lim.Cur)
	}
}
