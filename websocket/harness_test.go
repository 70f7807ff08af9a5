//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package websocket_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/websocket"
)

// A closeEvent is one call of OnClose.
type closeEvent struct {
	peer   string // the client's address
	code   int
	reason string
	err    error
}

// echoServer is the server most tests talk to. On /echo it echoes every
// message, except the text "!close", which makes the server close with
// 4001, "!ping", which makes it ping, and "!panic", which panics. Every connection is in hub, and
// every OnClose is reported on closes.
type echoServer struct {
	*servertest.Harness
	hub    websocket.Hub
	closes chan closeEvent
	conns  chan *websocket.Conn // each new Conn, while there is room
	panics chan any
	cfg    websocket.Config
}

func startEcho(t *testing.T, cfg websocket.Config) *echoServer {
	t.Helper()
	es := &echoServer{closes: make(chan closeEvent, 100), conns: make(chan *websocket.Conn, 1), panics: make(chan any, 10)}
	if cfg.OnMessage == nil {
		cfg.OnMessage = func(c *websocket.Conn, m websocket.Message) {
			switch {
			case m.Type == websocket.Text && string(m.Data) == "!close":
				if err := c.Close(4001, "asked"); err != nil {
					t.Errorf("Close: %v", err)
				}
			case m.Type == websocket.Text && string(m.Data) == "!panic":
				panic("on purpose")
			case m.Type == websocket.Text && string(m.Data) == "!ping":
				if err := c.Ping([]byte("srv")); err != nil {
					t.Errorf("Ping: %v", err)
				}
			default:
				if err := c.WriteMessage(m.Type, m.Data); err != nil {
					t.Errorf("echo of %d bytes: %v", len(m.Data), err)
				}
			}
		}
	}
	cfg.OnClose = func(c *websocket.Conn, code int, reason string) {
		es.closes <- closeEvent{c.RemoteAddr().String(), code, reason, c.Err()}
	}
	cfg.OnPanic = func(v any) { es.panics <- v }
	es.cfg = cfg
	var mux biplane.Mux
	mux.HandleFunc("/echo", func(r *biplane.Request) biplane.Response {
		c, resp := websocket.Upgrade(r, &es.cfg)
		if c != nil {
			es.hub.Add(c)
			select {
			case es.conns <- c:
			default:
			}
		}
		return resp
	})
	es.Harness = servertest.Start(t, &biplane.Server{Handler: &mux})
	return es
}

// closed waits for OnClose to report c's connection closed, setting
// aside reports of other connections (of earlier cases that failed).
func (es *echoServer) closed(c *client) closeEvent {
	c.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-es.closes:
			if ev.peer == c.nc.LocalAddr().String() {
				return ev
			}
		case <-timeout:
			c.t.Fatal("no OnClose within 30 s")
			return closeEvent{}
		}
	}
}

// A client is a WebSocket client written by hand on raw TCP, to send what
// no library would.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dial opens a TCP connection to the server, with a generous deadline
// (see servertest.Harness.Dial).
func (es *echoServer) dial(t *testing.T) *client {
	t.Helper()
	sc := es.Dial(t)
	return &client{t: t, nc: sc.Conn, br: sc.Reader}
}

// handshakeRequest is a valid opening handshake for path with key.
func handshakeRequest(path, key string, extra ...string) string {
	s := "GET " + path + " HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	for _, e := range extra {
		s += e + "\r\n"
	}
	return s + "\r\n"
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// connect dials and completes the opening handshake, checking the 101
// (RFC 6455 §4.2.2). after is sent in the same write as the request.
func (es *echoServer) connect(t *testing.T, after []byte, extra ...string) (*client, *http.Response) {
	t.Helper()
	c := es.dial(t)
	key := newKey()
	c.send(append([]byte(handshakeRequest("/echo", key, extra...)), after...))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("handshake: status %d, want 101", resp.StatusCode)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(h[:]); got != want {
		t.Fatalf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(resp.Header.Get("Connection"), "upgrade") {
		t.Fatalf("101 without Upgrade: websocket and Connection: Upgrade: %v", resp.Header)
	}
	return c, resp
}

func (c *client) send(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// sendChopped sends b in writes of at most chop bytes (all at once if
// chop <= 0), the way Autobahn sends its "chops".
func (c *client) sendChopped(b []byte, chop int) {
	c.t.Helper()
	if chop <= 0 {
		c.send(b)
		return
	}
	for len(b) > 0 {
		k := min(chop, len(b))
		c.send(b[:k])
		b = b[k:]
	}
}

// A frame is one frame on the wire, with every field the client may get
// wrong on purpose.
type frame struct {
	op       byte
	fin      bool
	rsv      byte // RSV1-3 as bits 0x4, 0x2, 0x1
	unmasked bool
	long     int // 0: shortest length form; 2 or 8: force that extended form
	payload  []byte
}

// bytes encodes f as a client would, masked with a random key (RFC 6455
// §5.2, §5.3).
func (f frame) bytes() []byte {
	b0 := f.op | f.rsv<<4
	if f.fin {
		b0 |= 0x80
	}
	var mask byte = 0x80
	if f.unmasked {
		mask = 0
	}
	n := len(f.payload)
	b := []byte{b0}
	switch {
	case f.long == 8 || f.long == 0 && n > 0xffff:
		b = binary.BigEndian.AppendUint64(append(b, mask|127), uint64(n))
	case f.long == 2 || n > 125:
		b = binary.BigEndian.AppendUint16(append(b, mask|126), uint16(n))
	default:
		b = append(b, mask|byte(n))
	}
	if f.unmasked {
		return append(b, f.payload...)
	}
	var key [4]byte
	rand.Read(key[:])
	b = append(b, key[:]...)
	for i, x := range f.payload {
		b = append(b, x^key[i%4])
	}
	return b
}

// Client frame shorthands.
func text(s string) frame          { return frame{op: 1, fin: true, payload: []byte(s)} }
func binaryMsg(p []byte) frame     { return frame{op: 2, fin: true, payload: p} }
func ping(s string) frame          { return frame{op: 9, fin: true, payload: []byte(s)} }
func pong(s string) frame          { return frame{op: 10, fin: true, payload: []byte(s)} }
func frag(op byte, s string) frame { return frame{op: op, payload: []byte(s)} }
func cont(s string, fin bool) frame {
	return frame{op: 0, fin: fin, payload: []byte(s)}
}

// closeMsg is a Close frame with code (none if 0) and reason.
func closeMsg(code int, reason string) frame {
	var p []byte
	if code != 0 {
		p = binary.BigEndian.AppendUint16(nil, uint16(code))
	}
	return frame{op: 8, fin: true, payload: append(p, reason...)}
}

func frames(fs ...frame) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.bytes()...)
	}
	return b
}

// read reads one server frame, checking that it is one a server may send:
// FIN (this server does not fragment), no RSV, unmasked (RFC 6455 §5.1),
// the shortest length form.
func (c *client) read() frame {
	c.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	if h[0]&0x70 != 0 || h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		c.t.Fatalf("server frame header % x: RSV set, not FIN, or masked", h)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(c.br, l[:])
		if n = uint64(binary.BigEndian.Uint16(l[:])); n < 126 {
			c.t.Fatalf("16-bit length %d", n)
		}
	case 127:
		var l [8]byte
		io.ReadFull(c.br, l[:])
		if n = binary.BigEndian.Uint64(l[:]); n <= 0xffff || n > 1<<30 {
			c.t.Fatalf("64-bit length %d", n)
		}
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		c.t.Fatalf("reading %d bytes of payload: %v", n, err)
	}
	return frame{op: h[0] & 0x0f, fin: true, payload: p}
}

// expect reads a frame and checks its opcode and payload.
func (c *client) expect(op byte, payload []byte) {
	c.t.Helper()
	f := c.read()
	if f.op != op || string(f.payload) != string(payload) {
		c.t.Fatalf("got frame op %d with %d bytes %.40q, want op %d with %d bytes %.40q",
			f.op, len(f.payload), f.payload, op, len(payload), payload)
	}
}

// expectClose reads a Close frame and returns its code (1005 if none).
func (c *client) expectClose() (int, string) {
	c.t.Helper()
	f := c.read()
	if f.op != 8 {
		c.t.Fatalf("got frame op %d %.40q, want a Close", f.op, f.payload)
	}
	switch len(f.payload) {
	case 0:
		return 1005, ""
	case 1:
		c.t.Fatalf("Close with a 1-byte payload")
	}
	return int(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
}

// expectEOF checks that the server closed the TCP connection cleanly and
// sent nothing more: EOF, not a reset, which would have discarded what
// the client had not yet read. Then it closes its own end, as a client
// does once the server has closed (RFC 6455 §7.1.1): the server, which
// lingers after its FIN to read what the client still sends, sees the
// client's EOF and lets the connection go at once.
func (c *client) expectEOF() {
	defer c.nc.Close()
	c.t.Helper()
	b, err := c.br.ReadByte()
	if err == nil {
		rest, _ := c.br.Peek(c.br.Buffered())
		c.t.Fatalf("connection still open: read % x", append([]byte{b}, rest...))
	}
	if err != io.EOF {
		c.t.Fatalf("want EOF, got %v", err)
	}
}
