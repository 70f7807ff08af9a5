//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A harness runs a biplane Server over a real socket on 127.0.0.1 in a
// goroutine of its own; the test talks to it through the socket, and runs
// code on the loop with do.
type harness struct {
	t      *testing.T
	srv    *biplane.Server
	addr   string
	url    string
	calls  chan func()
	done   chan struct{}
	panics []any // OnPanic's values; read them with do
}

func startServer(t *testing.T, h biplane.Handler, lim biplane.Limits) *harness {
	t.Helper()
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{
		t:     t,
		addr:  ln.Addr().String(),
		calls: make(chan func()),
		done:  make(chan struct{}),
	}
	hs.url = "http://" + hs.addr
	hs.srv = &biplane.Server{Listener: ln, Handler: h, Limits: lim,
		OnPanic: func(v any) { hs.panics = append(hs.panics, v) }}
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

// panicked returns the values OnPanic has seen, read on the loop.
func (hs *harness) panicked() []any {
	var v []any
	hs.do(func() { v = append(v, hs.panics...) })
	return v
}

// client is a net/http client with a generous timeout, so that a bug fails
// the test instead of hanging it; it does not follow redirects.
func client() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends req with c and returns the response and its body.
func roundTrip(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// dial opens a raw TCP connection with a generous deadline.
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

// head reads one response head, up to and including its empty line.
func (c *rawConn) head() string {
	c.t.Helper()
	var sb strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			c.t.Fatalf("reading head: %v after %q", err, sb.String())
		}
		if line == "\r\n" {
			return sb.String()
		}
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

// expectEOF checks that the server closed the connection.
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

// curl runs curl with args and a generous timeout, returning its output.
func curl(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "20"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %q: %v", args, err)
	}
	return string(out)
}
