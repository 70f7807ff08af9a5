//go:build !tinygo

// Not built by TinyGo: it serves over real sockets (unixsock). See README.md, "TinyGo".

package biplane_test

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A loopClient is a non-blocking TCP client made of bare system calls, so
// that a test can step the server and the client in one goroutine and
// count only the server's allocations.
type loopClient struct {
	t   testing.TB
	srv *biplane.Server
	fd  int
	buf []byte
}

func newLoopClient(t testing.TB, h biplane.Handler) *loopClient {
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &biplane.Server{Listener: ln, Handler: h}
	t.Cleanup(func() { srv.Close() })
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	ap := ln.Addr()
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	syscall.SetNonblock(fd, true)
	return &loopClient{t: t, srv: srv, fd: fd, buf: make([]byte, 64<<10)}
}

// roundTrip sends req and steps the server until want bytes of response
// have arrived (or, if want is 0, until a response ending in end arrives),
// returning the response length.
func (c *loopClient) roundTrip(req []byte, want int, end []byte) int {
	if _, err := syscall.Write(c.fd, req); err != nil {
		c.t.Fatal(err)
	}
	got := 0
	for steps := 0; want == 0 || got < want; steps++ {
		if steps > 1_000_000 {
			c.t.Fatalf("no response after %d steps: %q", steps, c.buf[:got])
		}
		c.srv.Step()
		n, _ := syscall.Read(c.fd, c.buf[got:])
		if n > 0 {
			got += n
			if want == 0 && bytes.HasSuffix(c.buf[:got], end) {
				return got
			}
		}
	}
	return got
}

var helloBody = []byte("<b>Hello, world!</b>")

func helloMux() *biplane.Mux {
	var m biplane.Mux
	m.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: helloBody}
	})
	m.HandleFunc("POST /echo", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
	})
	return &m
}

// TestSteadyStateAllocs: a keep-alive GET and a small POST through the
// whole loop, over a real socket, allocate nothing once warm.
func TestSteadyStateAllocs(t *testing.T) {
	for _, tc := range []struct {
		name, req, end string
	}{
		{"GET", "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: alloc-test\r\nAccept: */*\r\n\r\n", "</b>"},
		{"POST", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world", "hello world"},
		{"POST chunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newLoopClient(t, helloMux())
			req := []byte(tc.req)
			n := c.roundTrip(req, 0, []byte(tc.end))
			for range 10 {
				c.roundTrip(req, n, nil)
			}
			if allocs := testing.AllocsPerRun(500, func() { c.roundTrip(req, n, nil) }); allocs != 0 {
				t.Errorf("got %v allocs per request, want 0", allocs)
			}
		})
	}
}

// BenchmarkKeepAlive measures one keep-alive request through the whole
// loop over loopback, client and server in one goroutine.
func BenchmarkKeepAlive(b *testing.B) {
	for _, bc := range []struct {
		name, req, end string
	}{
		{"GET", "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", "</b>"},
		{"POST", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world", "hello world"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newLoopClient(b, helloMux())
			req := []byte(bc.req)
			n := c.roundTrip(req, 0, []byte(bc.end))
			b.SetBytes(int64(len(req) + n))
			b.ReportAllocs()
			for b.Loop() {
				c.roundTrip(req, n, nil)
			}
		})
	}
}
