//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A harness runs a Server over a real socket on 127.0.0.1 in a goroutine of
// its own: the whole server runs there, and the test talks to it through
// the socket, or runs code on the loop with do.
type harness struct {
	t     *testing.T
	srv   *biplane.Server
	addr  string
	calls chan func()
	done  chan struct{}
}

func startServer(t *testing.T, h biplane.Handler, lim biplane.Limits) *harness {
	t.Helper()
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServerOn(t, ln, ln.Addr().String(), h, lim)
}

// startServerOn is startServer over a listener of the caller's, listening
// on addr.
func startServerOn(t *testing.T, ln biplane.Listener, addr string, h biplane.Handler, lim biplane.Limits) *harness {
	t.Helper()
	hs := &harness{
		t:     t,
		srv:   &biplane.Server{Listener: ln, Handler: h, Limits: lim},
		addr:  addr,
		calls: make(chan func()),
		done:  make(chan struct{}),
	}
	go func() {
		defer close(hs.done)
		for range hs.srv.Steps() {
			select {
			case f := <-hs.calls:
				f()
			default:
			}
			// Bounded, so that calls from the test are picked up.
			hs.srv.Wait(2 * time.Millisecond)
		}
	}()
	t.Cleanup(func() {
		hs.do(func() { hs.srv.Close() })
		<-hs.done
		if err := hs.srv.Err(); err != nil {
			t.Errorf("server stopped with %v", err)
		}
	})
	return hs
}

// do runs f on the server's loop and waits for it.
func (hs *harness) do(f func()) {
	ran := make(chan struct{})
	select {
	case hs.calls <- func() { f(); close(ran) }:
		<-ran
	case <-hs.done:
	}
}

// conns returns the server's open connection count, read on its loop.
func (hs *harness) conns() int {
	var n int
	hs.do(func() { n = hs.srv.Conns() })
	return n
}

// waitConns waits until the server has n open connections, failing after
// a generous bound. It polls on the loop: the count is a state, not an
// event, and each poll is a round trip through the loop.
func (hs *harness) waitConns(n int) {
	hs.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for hs.conns() != n {
		if time.Now().After(deadline) {
			hs.t.Fatalf("open connections: %d, want %d", hs.conns(), n)
		}
	}
}

// dial opens a raw TCP connection with a generous deadline, so that a
// server bug fails the test instead of hanging it.
func (hs *harness) dial() *rawConn {
	hs.t.Helper()
	c, err := net.Dial("tcp", hs.addr)
	if err != nil {
		hs.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	hs.t.Cleanup(func() { c.Close() })
	return &rawConn{t: hs.t, Conn: c, br: bufio.NewReader(c)}
}

type rawConn struct {
	t *testing.T
	net.Conn
	br *bufio.Reader
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response reads one response; method is the request's, for HEAD.
func (c *rawConn) response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("reading body: %v", err)
	}
	return resp, string(body)
}

// expectEOF checks that the server closed the connection: the next read
// sees EOF (or a reset after a lingering close) and no more bytes.
func (c *rawConn) expectEOF() {
	c.t.Helper()
	b, err := c.br.ReadByte()
	if err == nil {
		rest, _ := c.br.Peek(c.br.Buffered())
		c.t.Fatalf("connection still open: read %q", append([]byte{b}, rest...))
	}
	if err != io.EOF && !strings.Contains(err.Error(), "reset") {
		c.t.Fatalf("want EOF, got %v", err)
	}
}

// echo answers with the request body; /panic panics.
var echo = biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
	if string(r.Path()) == "/panic" {
		panic("handler panic on purpose")
	}
	return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
})

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"
}
