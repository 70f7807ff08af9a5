package servertest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A Conn is a raw TCP connection to a [Harness]'s server, for sending
// what no client library would (malformed, pipelined, cut short) and
// reading the answer byte by byte.
type Conn struct {
	net.Conn

	// Reader buffers what the server sends. Read through it, never
	// through the Conn, or the bytes it has buffered are skipped.
	Reader *bufio.Reader

	t testing.TB
}

// Dial opens a raw TCP connection to the server with a generous deadline
// on every read and write, so that a server bug fails t instead of
// hanging it. The connection is closed when t ends; t is also the test
// the Conn's methods fail.
func (h *Harness) Dial(t testing.TB) *Conn {
	t.Helper()
	c, err := net.Dial("tcp", h.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(connDeadline))
	t.Cleanup(func() { c.Close() })
	return &Conn{Conn: c, Reader: bufio.NewReader(c), t: t}
}

// Send writes s whole.
func (c *Conn) Send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Head reads one response head, up to and including its empty line, as
// it is on the wire.
func (c *Conn) Head() string {
	c.t.Helper()
	var sb strings.Builder
	for {
		line, err := c.Reader.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			c.t.Fatalf("reading head: %v after %q", err, sb.String())
		}
		if line == "\r\n" {
			return sb.String()
		}
	}
}

// Response reads one whole response with net/http's parser, and returns
// it with its body; method is the request's, for HEAD.
func (c *Conn) Response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.Reader, &http.Request{Method: method})
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

// ExpectEOF checks that the server closed the connection: the next read
// sees EOF (or a reset after a lingering close) and no more bytes.
func (c *Conn) ExpectEOF() {
	c.t.Helper()
	b, err := c.Reader.ReadByte()
	if err == nil {
		rest, _ := c.Reader.Peek(c.Reader.Buffered())
		c.t.Fatalf("connection still open: read %q", append([]byte{b}, rest...))
	}
	if err != io.EOF && !strings.Contains(err.Error(), "reset") {
		c.t.Fatalf("want EOF, got %v", err)
	}
}
