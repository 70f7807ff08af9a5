package netsock_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
)

// guard bounds every wait in these tests. It only turns a hang into a
// failure; no test asserts that anything happens within it.
const guard = 5 * time.Second

// A path is one way New can serve a TCP listener.
type path struct {
	name string
	wrap func(net.Listener) net.Listener
	// fallback tells whether New must take the fallback path.
	fallback bool
}

var paths = []path{
	{"descriptor", func(ln net.Listener) net.Listener { return ln }, !fdPath},
	{"fallback", func(ln net.Listener) net.Listener { return hidden{ln} }, true},
}

// hidden hides the listener's concrete type, and so its descriptor, the
// way a wrapping listener (crypto/tls, netutil.LimitListener) does.
type hidden struct{ net.Listener }

// server drives one biplane listener from the test's goroutine, as a server
// loop would.
type server struct {
	t     *testing.T
	l     biplane.Listener
	w     biplane.Waiter
	ln    net.Listener // what New adapted, or nil
	addr  string
	ready []biplane.Conn
}

// newServer listens on a loopback port through p. Cleanup closes it.
func newServer(t *testing.T, p path) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := netsock.New(p.wrap(ln))
	if err != nil {
		ln.Close()
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		ln.Close()
	})
	if _, ok := l.(*netsock.Listener); ok != p.fallback {
		t.Fatalf("New(%T) returned %T; want the fallback: %v", p.wrap(ln), l, p.fallback)
	}
	w, ok := l.(biplane.Waiter)
	if !ok {
		t.Fatalf("%T does not implement biplane.Waiter", l)
	}
	return &server{t: t, l: l, w: w, ln: ln, addr: ln.Addr().String()}
}

// dial connects a client. Cleanup closes it.
func (s *server) dial() *net.TCPConn {
	s.t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// wait blocks until Wait reports c, or the listener if c is nil.
func (s *server) wait(c biplane.Conn) {
	s.t.Helper()
	deadline := time.Now().Add(guard)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			s.t.Fatalf("Wait did not report %v within %v", c, guard)
		}
		ready, acceptable, err := s.w.Wait(s.ready[:0], left)
		s.ready = ready
		if err != nil {
			s.t.Fatalf("Wait: %v", err)
		}
		if c == nil && acceptable {
			return
		}
		for _, r := range ready {
			if c != nil && r == c {
				return
			}
		}
	}
}

// accept returns the next connection, waiting for it. Cleanup closes it.
func (s *server) accept() biplane.Conn {
	s.t.Helper()
	for {
		c, err := s.l.Accept()
		if err == nil {
			s.t.Cleanup(func() { c.Close() })
			return c
		}
		if err != biplane.ErrWouldBlock {
			s.t.Fatalf("Accept: %v", err)
		}
		s.wait(nil)
	}
}

// read reads into p, waiting while the read would block.
func (s *server) read(c biplane.Conn, p []byte) (int, error) {
	for {
		n, err := c.Read(p)
		if err != biplane.ErrWouldBlock {
			return n, err
		}
		s.wait(c)
	}
}

// readAll reads c to EOF.
func (s *server) readAll(c biplane.Conn) string {
	s.t.Helper()
	var got []byte
	buf := make([]byte, 1000)
	for {
		n, err := s.read(c, buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return string(got)
		}
		if err != nil {
			s.t.Fatalf("Read after %d bytes: %v", len(got), err)
		}
	}
}

// readN reads exactly n bytes.
func (s *server) readN(c biplane.Conn, n int) string {
	s.t.Helper()
	got := make([]byte, n)
	for i := 0; i < n; {
		m, err := s.read(c, got[i:])
		if err != nil {
			s.t.Fatalf("Read after %d of %d bytes: %v", i, n, err)
		}
		i += m
	}
	return string(got)
}

// write writes all of p, waiting while the write would block.
func (s *server) write(c biplane.Conn, p []byte) {
	s.t.Helper()
	for len(p) > 0 {
		n, err := c.Write(p)
		p = p[n:]
		switch err {
		case nil:
		case biplane.ErrWouldBlock:
			s.wait(c)
		default:
			s.t.Fatalf("Write: %v", err)
		}
	}
}

// TestRemoteAddr checks RemoteAddr and CloseWriter on both paths; the rest
// of a connection is the suite's (TestConformance).
func TestRemoteAddr(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			s := newServer(t, p)
			client := s.dial()
			c := s.accept()
			want := client.LocalAddr().(*net.TCPAddr).AddrPort()
			if got := c.RemoteAddr(); got != want || !got.Addr().Is4() {
				t.Errorf("RemoteAddr = %v, want %v as IPv4", got, want)
			}
			if _, ok := c.(biplane.CloseWriter); !ok {
				t.Errorf("%T does not implement biplane.CloseWriter", c)
			}
		})
	}
}

// pattern returns bytes [from, from+n) of an endless stream that exposes
// lost, repeated or reordered bytes.
func pattern(from, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte((from + i) % 251)
	}
	return p
}

// TestCloseDelivers checks that Close returns at once and the bytes Write
// accepted still reach the peer: the fallback's writer goroutine sends
// them before it closes.
func TestCloseDelivers(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			s := newServer(t, p)
			client := s.dial()
			c := s.accept()
			total := 0
			for {
				n, err := c.Write(pattern(total, 5000))
				total += n
				if err == biplane.ErrWouldBlock {
					break
				}
				if err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
			c.Close()
			if got, err := io.ReadAll(client); !bytes.Equal(got, pattern(0, total)) || err != nil {
				t.Errorf("client read %d bytes, %v; want the %d bytes written", len(got), err, total)
			}
		})
	}
}

// TestGoroutines checks that closing the listener and its connections ends
// every goroutine the fallback started, with or without a CloseAccept
// first.
func TestGoroutines(t *testing.T) {
	for _, p := range paths {
		for _, closeAccept := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/CloseAccept=%v", p.name, closeAccept), func(t *testing.T) {
				testGoroutines(t, p, closeAccept)
			})
		}
	}
}

func testGoroutines(t *testing.T, p path, closeAccept bool) {
	before := runtime.NumGoroutine()
	func() {
		s := newServer(t, p)
		client := s.dial()
		c := s.accept()
		if closeAccept {
			if err := s.l.(biplane.AcceptCloser).CloseAccept(); err != nil {
				t.Fatal(err)
			}
		}
		client.Write([]byte("ping"))
		s.readN(c, 4)
		s.write(c, []byte("pong"))
		io.ReadFull(client, make([]byte, 4))
		c.Close()
		client.Close()
		s.l.Close()
	}()
	deadline := time.Now().Add(guard)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s",
				runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func TestListen(t *testing.T) {
	l, addr, err := netsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, l: l, w: l.(biplane.Waiter), addr: addr.String()}
	client := s.dial()
	c := s.accept()
	client.Write([]byte("hi"))
	if got := s.readN(c, 2); got != "hi" {
		t.Errorf("server read %q, want %q", got, "hi")
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close closed everything Listen opened, so nothing listens any more.
	if c, err := net.Dial("tcp", addr.String()); err == nil {
		c.Close()
		t.Errorf("Dial after Close succeeded")
	}
	if _, _, err := netsock.Listen("tcp", "256.0.0.1:0"); err == nil {
		t.Errorf("Listen on a bad address: no error")
	}
}
