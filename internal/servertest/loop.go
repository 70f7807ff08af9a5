package servertest

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A LoopClient is a non-blocking TCP client made of bare system calls,
// stepped together with its own [biplane.Server] in the caller's
// goroutine: no other goroutine runs, so that testing.AllocsPerRun and
// benchmarks count only the server's (and these calls') allocations.
type LoopClient struct {
	tb  testing.TB
	srv *biplane.Server
	fd  int
	buf []byte // 64 KiB: RoundTrip's responses must fit
}

// NewLoopClient serves h over a new [unixsock.Listener] on 127.0.0.1:0
// and connects to it. Server and socket are closed when tb ends.
func NewLoopClient(tb testing.TB, h biplane.Handler) *LoopClient {
	tb.Helper()
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &biplane.Server{Listener: ln, Handler: h}
	tb.Cleanup(func() { srv.Close() })
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { syscall.Close(fd) })
	ap := ln.Addr()
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		tb.Fatal(err)
	}
	syscall.SetNonblock(fd, true)
	return &LoopClient{tb: tb, srv: srv, fd: fd, buf: make([]byte, 64<<10)}
}

// RoundTrip sends req and steps the server until want bytes of response
// have arrived (or, if want is 0, until a response ending in end has),
// and returns the response. It stays valid until the next call.
func (c *LoopClient) RoundTrip(req []byte, want int, end []byte) []byte {
	if _, err := syscall.Write(c.fd, req); err != nil {
		c.tb.Fatal(err)
	}
	got := 0
	for steps := 0; want == 0 || got < want; steps++ {
		if steps > 1_000_000 {
			c.tb.Fatalf("no response after %d steps: %q", steps, c.buf[:got])
		}
		c.srv.Step()
		n, _ := syscall.Read(c.fd, c.buf[got:])
		if n > 0 {
			got += n
			if want == 0 && bytes.HasSuffix(c.buf[:got], end) {
				break
			}
		}
	}
	return c.buf[:got]
}

// Download sends req and steps the server until n bytes of response have
// arrived, discarding them: for responses larger than RoundTrip's buffer.
func (c *LoopClient) Download(req []byte, n int) {
	if _, err := syscall.Write(c.fd, req); err != nil {
		c.tb.Fatal(err)
	}
	for got, steps := 0, 0; got < n; steps++ {
		if steps > 10_000_000 {
			c.tb.Fatalf("%d of %d bytes after %d steps", got, n, steps)
		}
		c.srv.Step()
		k, _ := syscall.Read(c.fd, c.buf[:min(len(c.buf), n-got)])
		if k > 0 {
			got += k
		}
	}
}

// Server returns the client's server, to set its fields before the first
// RoundTrip.
func (c *LoopClient) Server() *biplane.Server { return c.srv }
