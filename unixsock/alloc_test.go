//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// rawClient connects a blocking socket made with syscall alone, so that
// the client's side of a round trip allocates nothing and does not disturb
// testing.AllocsPerRun.
func rawClient(t testing.TB, l *unixsock.Listener) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	syscall.CloseOnExec(fd)
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		t.Fatal(err)
	}
	// Blocking reads give up eventually instead of hanging a broken test.
	tv := syscall.NsecToTimeval(int64(2 * patience))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	a := l.Addr()
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Addr: a.Addr().As4(), Port: int(a.Port())}); err != nil {
		t.Fatal(err)
	}
	return fd
}

// A roundTrip sends a message from a server Conn to a blocking client,
// which echoes it back. It exercises Write (or Writev), Read and Wait, with
// Read hitting ErrWouldBlock before the echo so that Wait must report it.
type roundTrip struct {
	l      *unixsock.Listener
	c      *unixsock.Conn
	client int
	msg    []byte
	bufs   [][]byte // Writev's buffers for msg, or nil to use Write
	buf    []byte
	ready  []biplane.Conn
}

func newRoundTrip(t testing.TB, cfg unixsock.Config, size int, writev bool) *roundTrip {
	l := listen(t, cfg, "tcp", "127.0.0.1:0")
	rt := &roundTrip{l: l, client: rawClient(t, l)}
	rt.c = accept(t, l)
	rt.msg = pattern(make([]byte, size), 0)
	if writev {
		rt.bufs = [][]byte{rt.msg[:size/2], rt.msg[size/2:]}
	}
	rt.buf = make([]byte, size)
	rt.ready = make([]biplane.Conn, 0, 8)
	return rt
}

func (rt *roundTrip) run() error {
	var n int
	var err error
	if rt.bufs != nil {
		n, err = rt.c.Writev(rt.bufs)
	} else {
		n, err = rt.c.Write(rt.msg)
	}
	if n != len(rt.msg) || err != nil {
		return fmt.Errorf("server write = %d, %v", n, err)
	}
	for got := 0; got < len(rt.msg); got += n {
		if n, err = syscall.Read(rt.client, rt.buf[got:]); n <= 0 || err != nil {
			return fmt.Errorf("client read = %d, %v", n, err)
		}
	}
	if _, err := rt.c.Read(rt.buf); err != biplane.ErrWouldBlock {
		return fmt.Errorf("server read before echo: %v, want ErrWouldBlock", err)
	}
	if n, err = syscall.Write(rt.client, rt.buf); n != len(rt.buf) || err != nil {
		return fmt.Errorf("client write = %d, %v", n, err)
	}
	for got := 0; got < len(rt.msg); {
		n, err = rt.c.Read(rt.buf[got:])
		if errors.Is(err, biplane.ErrWouldBlock) {
			if rt.ready, _, err = rt.l.Wait(rt.ready[:0], patience); err != nil {
				return err
			}
			if len(rt.ready) == 0 {
				return errors.New("Wait timed out")
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("server read = %d, %v", n, err)
		}
		got += n
	}
	return nil
}

func TestAllocs(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, writev := range []bool{false, true} {
			t.Run(fmt.Sprintf("writev=%v", writev), func(t *testing.T) {
				rt := newRoundTrip(t, cfg, 512, writev)
				var err error
				allocs := testing.AllocsPerRun(200, func() {
					if err == nil {
						err = rt.run()
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if allocs != 0 {
					t.Errorf("a Write+Read+Wait round trip allocates %v times, want 0", allocs)
				}
			})
		}
	})
}

func BenchmarkRoundTrip(b *testing.B) {
	for _, w := range waiters {
		for _, size := range []int{64, 16 << 10} {
			for _, writev := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/size=%d/writev=%v", w.name, size, writev), func(b *testing.B) {
					rt := newRoundTrip(b, w.cfg, size, writev)
					b.ReportAllocs()
					b.SetBytes(int64(2 * size))
					for b.Loop() {
						if err := rt.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// TestAcceptAllocs: accepting a TCP connection allocates its Conn and
// nothing else on Linux (accept4 is a raw call into the Listener's own
// address buffer), so an accept leaves no garbage behind.
func TestAcceptAllocs(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH == "386" {
		t.Skip("accept4 is a raw system call on Linux only, except 386")
	}
	l, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const runs = 50
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range runs + 1 { // AllocsPerRun's warm-up call takes one too
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	var failed error
	allocs := testing.AllocsPerRun(runs, func() {
		c, err := l.Accept()
		if err != nil {
			failed = err // the backlog holds every dialled connection
			return
		}
		c.Close()
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs > 1 {
		t.Errorf("Accept allocates %v times a connection, want 1 (its Conn)", allocs)
	}
}
