//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package websocket_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/websocket"
)

// A wireCase is one exchange with the echo server, most of them cases of
// the Autobahn test suite (crossbario/autobahn-testsuite, whose case
// numbers they cite) reproduced by hand, the others rules of RFC 6455.
type wireCase struct {
	name string
	send []byte // sent after the handshake
	chop int    // send in writes of this many bytes (0: at once)
	want []frame
	// close is the code of the server's Close frame (1005: none), or 0
	// if the server does not close: the client then closes with 1000 and
	// expects the echo.
	close int
	// answered: send already holds the client's Close (a frame with the
	// Close opcode, valid or not), so the server's Close answers it and
	// the client sends nothing more. lost: the server can no longer find
	// where the client's frames end, so it closes the TCP connection
	// right after its Close frame, without waiting for the client's.
	answered, lost bool
	// after is sent once the server's Close is read, before the client's
	// answering Close: the rest of a frame the server failed in the
	// middle.
	after []byte
	// report is the code OnClose reports, if not the server's close code
	// (or 1000 when close is 0).
	report int
	// echo: the server's Close echoes the client's code, whatever it is;
	// the server has not failed the connection.
	echo bool
}

func wireCases() []wireCase {
	var cases []wireCase
	// Autobahn 1.1.x, 1.2.x: echo of sizes around the length forms.
	for i, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
		p := bytes.Repeat([]byte("*"), n)
		sec := strconv.Itoa(i + 1)
		cases = append(cases,
			wireCase{name: "1.1." + sec + " text " + strconv.Itoa(n), send: frames(text(string(p))), want: []frame{text(string(p))}},
			wireCase{name: "1.2." + sec + " binary " + strconv.Itoa(n), send: frames(binaryMsg(p)), want: []frame{binaryMsg(p)}})
	}
	big := bytes.Repeat([]byte{0xfe}, 65536)
	ping125 := strings.Repeat("\xfe", 125)
	valid := "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	var tenPings, tenPongs []frame
	for i := range 10 {
		tenPings = append(tenPings, ping("payload-"+strconv.Itoa(i)))
		tenPongs = append(tenPongs, pong("payload-"+strconv.Itoa(i)))
	}
	var bytewise []frame // a valid text message, one byte per frame
	for i := range len(valid) {
		op := byte(0)
		if i == 0 {
			op = 1
		}
		bytewise = append(bytewise, frame{op: op, fin: i == len(valid)-1, payload: []byte{valid[i]}})
	}
	invalid := valid + "\xed\xa0\x80edited" // Autobahn 6.3.1: a surrogate
	var badBytewise []frame
	for i := range len(invalid) {
		op := byte(0)
		if i == 0 {
			op = 1
		}
		badBytewise = append(badBytewise, frame{op: op, fin: i == len(invalid)-1, payload: []byte{invalid[i]}})
	}
	// Autobahn 6.4.3: one frame announcing 21 bytes, cut right after the
	// byte that makes it invalid (0x90 after 0xf4: past U+10FFFF).
	failFast := text(valid + "\xf4\x90\x80\x80edited").bytes()
	cut := len(failFast) - len("\x80\x80edited")
	reason123 := strings.Repeat("r", 123)

	cases = append(cases, []wireCase{
		{name: "1.1.8 text 65536 in chops of 997", send: frames(binaryMsg(big)), chop: 997, want: []frame{binaryMsg(big)}},

		{name: "2.1 ping without payload", send: frames(ping("")), want: []frame{pong("")}},
		{name: "2.2 ping with text", send: frames(ping("Hello, world!")), want: []frame{pong("Hello, world!")}},
		{name: "2.3 ping with binary", send: frames(ping("\x00\xff\xfe\xfd\xfc\xfb\x00\xff")), want: []frame{pong("\x00\xff\xfe\xfd\xfc\xfb\x00\xff")}},
		{name: "2.4 ping of 125 bytes", send: frames(ping(ping125)), want: []frame{pong(ping125)}},
		{name: "2.5 ping of 126 bytes", send: frames(ping(ping125 + "x")), close: 1002},
		{name: "2.6 ping of 125 bytes, octet-wise", send: frames(ping(ping125)), chop: 1, want: []frame{pong(ping125)}},
		{name: "2.7 unsolicited pong", send: frames(pong(""))},
		{name: "2.8 unsolicited pong with payload", send: frames(pong("unsolicited pong payload"))},
		{name: "2.9 pong, then ping", send: frames(pong("unsolicited"), ping("ping payload")), want: []frame{pong("ping payload")}},
		{name: "2.10 ten pings", send: frames(tenPings...), want: tenPongs},
		{name: "2.11 ten pings, octet-wise", send: frames(tenPings...), chop: 1, want: tenPongs},

		{name: "3.1 RSV=1", send: frames(frame{op: 1, fin: true, rsv: 4, payload: []byte("Hello")}), close: 1002},
		{name: "3.2 RSV=2 after a message", send: frames(text("Hello"), frame{op: 1, fin: true, rsv: 2, payload: []byte("Hello")}, ping("")),
			want: []frame{text("Hello")}, close: 1002},
		{name: "3.4 RSV=4 after a message, octet-wise", send: frames(text("Hello"), frame{op: 1, fin: true, rsv: 1, payload: []byte("Hello")}, ping("")),
			chop: 1, want: []frame{text("Hello")}, close: 1002},
		{name: "3.5 RSV=5 binary", send: frames(frame{op: 2, fin: true, rsv: 5, payload: []byte{1, 2}}), close: 1002},
		{name: "3.6 RSV=6 ping", send: frames(frame{op: 9, fin: true, rsv: 6}), close: 1002},
		{name: "3.7 RSV=7 close", send: frames(frame{op: 8, fin: true, rsv: 7}), close: 1002, answered: true},

		{name: "4.1.1 opcode 3", send: frames(frame{op: 3, fin: true}), close: 1002},
		{name: "4.1.2 opcode 4 with payload", send: frames(frame{op: 4, fin: true, payload: []byte("reserved")}), close: 1002},
		{name: "4.1.3 opcode 5 after a message", send: frames(text("Hello"), frame{op: 5, fin: true}, ping("")),
			want: []frame{text("Hello")}, close: 1002},
		{name: "4.2.1 opcode 11", send: frames(frame{op: 11, fin: true}), close: 1002},
		{name: "4.2.2 opcode 12 with payload", send: frames(frame{op: 12, fin: true, payload: []byte("reserved")}), close: 1002},
		{name: "4.2.3 opcode 13 after a message", send: frames(text("Hello"), frame{op: 13, fin: true}, ping("")),
			want: []frame{text("Hello")}, close: 1002},

		{name: "5.1 fragmented ping", send: frames(frag(9, "frag1"), cont("frag2", true)), close: 1002},
		{name: "5.2 fragmented pong", send: frames(frag(10, "frag1"), cont("frag2", true)), close: 1002},
		{name: "5.3 text in 2 fragments", send: frames(frag(1, "frag1"), cont("frag2", true)), want: []frame{text("frag1frag2")}},
		{name: "5.5 text in 2 fragments, octet-wise", send: frames(frag(1, "frag1"), cont("frag2", true)), chop: 1, want: []frame{text("frag1frag2")}},
		{name: "5.6 ping between fragments", send: frames(frag(1, "frag1"), ping("ping"), cont("frag2", true)),
			want: []frame{pong("ping"), text("frag1frag2")}},
		{name: "5.8 ping between fragments, octet-wise", send: frames(frag(1, "frag1"), ping("ping"), cont("frag2", true)), chop: 1,
			want: []frame{pong("ping"), text("frag1frag2")}},
		{name: "5.9 continuation (FIN) with nothing to continue", send: frames(cont("fragment", true), text("Hello")), close: 1002},
		{name: "5.12 continuation (not FIN) with nothing to continue", send: frames(cont("fragment", false), text("Hello")), close: 1002},
		{name: "5.15 stray continuation after a message", send: frames(frag(1, "fragment1"), cont("fragment2", true), cont("fragment3", false), text("fragment4")),
			want: []frame{text("fragment1fragment2")}, close: 1002},
		{name: "5.18 two text frames for one message", send: frames(frag(1, "fragment1"), text("fragment2")), close: 1002},
		{name: "5.19 five fragments, pings between", send: frames(frag(1, "f1"), cont("f2", false), ping("p1"), cont("f3", false), cont("f4", false), ping("p2"), cont("f5", true)),
			want: []frame{pong("p1"), pong("p2"), text("f1f2f3f4f5")}},

		{name: "6.1.2 three empty fragments", send: frames(frag(1, ""), cont("", false), cont("", true)), want: []frame{text("")}},
		{name: "6.1.3 empty, middle, empty", send: frames(frag(1, ""), cont("middle", false), cont("", true)), want: []frame{text("middle")}},
		{name: "6.2.2 UTF-8 split at a code point", send: frames(frag(1, valid[:5]), cont(valid[5:], true)), want: []frame{text(valid)}},
		{name: "6.2.3 UTF-8 in 1-byte frames", send: frames(bytewise...), want: []frame{text(valid)}},
		{name: "6.3.1 invalid UTF-8 in one frame", send: frames(text(invalid)), close: 1007},
		{name: "6.3.2 invalid UTF-8 in 1-byte frames", send: frames(badBytewise...), close: 1007},
		{name: "6.4.1 invalid UTF-8 fails before the last fragment", send: frames(frag(1, valid), cont("\xf4\x90\x80\x80", false)),
			close: 1007, after: frames(cont("edited", true))},
		{name: "6.4.3 invalid UTF-8 fails in the middle of a frame", send: failFast[:cut], close: 1007, after: failFast[cut:]},
		{name: "6.x overlong form", send: frames(text("\xc0\xaf")), close: 1007},
		{name: "6.x message ends inside a character", send: frames(text("abc\xce")), close: 1007},

		{name: "7.1.1 message, then close", send: frames(text("Hello World!"), closeMsg(1000, "")), want: []frame{text("Hello World!")}, close: 1000, answered: true},
		{name: "7.1.2 two closes", send: frames(closeMsg(1000, ""), closeMsg(1000, "")), close: 1000, answered: true},
		{name: "7.1.3 ping after close", send: frames(closeMsg(1000, ""), ping("after")), close: 1000, answered: true},
		{name: "7.1.4 text after close", send: frames(closeMsg(1000, ""), text("after")), close: 1000, answered: true},
		{name: "7.1.5 close between fragments", send: frames(frag(1, "fragment1"), closeMsg(1000, ""), cont("fragment2", true)), close: 1000, answered: true},
		{name: "7.3.1 close without payload", send: frames(closeMsg(0, "")), close: 1005, answered: true},
		{name: "7.3.2 close with 1 byte", send: frames(frame{op: 8, fin: true, payload: []byte{0x03}}), close: 1002, answered: true},
		{name: "7.3.3 close with a code", send: frames(closeMsg(1000, "")), close: 1000, answered: true},
		{name: "7.3.4 close with a reason", send: frames(closeMsg(1000, "Hello World!")), close: 1000, answered: true},
		{name: "7.3.5 close with a 123-byte reason", send: frames(closeMsg(1000, reason123)), close: 1000, answered: true},
		{name: "7.3.6 close with a 124-byte reason", send: frames(closeMsg(1000, reason123+"r")), close: 1002, answered: true},
		{name: "7.5.1 close reason not UTF-8", send: frames(closeMsg(1000, invalid)), close: 1007, answered: true},
		{name: "7.13.1 close code 5000", send: frames(closeMsg(5000, "")), close: 1002, answered: true},
		{name: "7.13.2 close code 65535", send: frames(closeMsg(65535, "")), close: 1002, answered: true},

		{name: "RFC 6455 §5.1 unmasked frame", send: frames(frame{op: 1, fin: true, unmasked: true, payload: []byte("Hello")}), close: 1002},
		{name: "RFC 6455 §5.2 16-bit length for 5 bytes", send: frames(frame{op: 1, fin: true, long: 2, payload: []byte("Hello")}), close: 1002},
		{name: "RFC 6455 §5.2 64-bit length for 126 bytes", send: frames(frame{op: 2, fin: true, long: 8, payload: make([]byte, 126)}), close: 1002},
		{name: "RFC 6455 §5.2 64-bit length with its top bit set", send: []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, close: 1002, lost: true},
		{name: "RFC 6455 §7.4.1 message over the limit", send: frames(binaryMsg(make([]byte, 65537))), close: 1009},
		{name: "RFC 6455 §7.4.1 fragments over the limit", send: frames(frag(2, string(make([]byte, 40000))), cont(string(make([]byte, 30000)), true)), close: 1009},
		{name: "RFC 6455 §7.4.1 limit fails before the payload", send: frames(binaryMsg(make([]byte, 100000)))[:14], close: 1009,
			after: frames(binaryMsg(make([]byte, 100000)))[14:]},
		{name: "RFC 6455 §5.5.1 data after the server's close is ignored", send: frames(text("!close")), close: 4001,
			after: frames(text("ignored"), ping("ignored"), binaryMsg([]byte("ignored")))},
	}...)
	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cases = append(cases, wireCase{name: "7.7.x valid close code " + strconv.Itoa(code),
			send: frames(closeMsg(code, "")), close: code, answered: true, echo: true})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cases = append(cases, wireCase{name: "7.9.x invalid close code " + strconv.Itoa(code),
			send: frames(frame{op: 8, fin: true, payload: []byte{byte(code >> 8), byte(code)}}), close: 1002, answered: true})
	}
	return cases
}

// TestWire runs each case against the echo server over a real socket:
// the frames the server sends, its Close code, that it closes the TCP
// connection (cleanly, with a FIN: the client reads EOF, never a reset),
// and what OnClose reports.
func TestWire(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := es.connect(t, nil)
			c.sendChopped(tc.send, tc.chop)
			for _, f := range tc.want {
				c.expect(f.op, f.payload)
			}
			report := tc.report
			switch {
			case tc.close == 0:
				c.send(frames(closeMsg(1000, "bye")))
				if code, _ := c.expectClose(); code != 1000 {
					t.Fatalf("close code %d, want the echo of 1000", code)
				}
				if report == 0 {
					report = 1000
				}
			default:
				code, _ := c.expectClose()
				if code != tc.close {
					t.Fatalf("close code %d, want %d", code, tc.close)
				}
				c.send(tc.after)
				if !tc.answered && !tc.lost {
					// Answer as RFC 6455 §5.5.1 says, echoing the code.
					if code == 1005 {
						code = 0
					}
					c.send(frames(closeMsg(code, "")))
				}
				if report == 0 {
					report = tc.close
				}
			}
			c.expectEOF()
			ev := es.closed(c)
			if ev.code != report {
				t.Errorf("OnClose code %d (%q), want %d", ev.code, ev.reason, report)
			}
			var ce *websocket.CloseError
			if failed := !tc.echo && (tc.close == 1002 || tc.close == 1007 || tc.close == 1009); failed != errors.As(ev.err, &ce) || failed && ce.Code != tc.close {
				t.Errorf("Conn.Err() = %v, want a CloseError with %d: %v", ev.err, tc.close, failed)
			}
		})
	}
}

// TestHandshakeRefused sends opening handshakes that RFC 6455 §4.2.1
// refuses, and checks the status and the fields that go with it.
func TestHandshakeRefused(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	key := newKey()
	valid := handshakeRequest("/echo", key)
	without := func(field string) string {
		var kept []string
		for _, l := range strings.Split(valid, "\r\n") {
			if !strings.HasPrefix(l, field+":") {
				kept = append(kept, l)
			}
		}
		return strings.Join(kept, "\r\n")
	}
	with := func(field, value string) string {
		return strings.Replace(without(field), "\r\n\r\n", "\r\n"+field+": "+value+"\r\n\r\n", 1)
	}
	for _, tc := range []struct {
		name, req string
		status    int
		field     string // a field the refusal must carry, "Name: value"
	}{
		{"§4.2.1 ¶1 not GET", strings.Replace(valid, "GET", "POST", 1), 405, "Allow: GET"},
		{"§4.2.1 ¶1 HEAD", strings.Replace(valid, "GET", "HEAD", 1), 405, "Allow: GET"},
		{"§4.2.1 ¶1 HTTP/1.0", strings.Replace(valid, "HTTP/1.1", "HTTP/1.0", 1), 400, ""},
		{"§4.2.1 ¶3 no Upgrade", without("Upgrade"), 426, "Upgrade: websocket"},
		{"§4.2.1 ¶3 Upgrade: h2c", with("Upgrade", "h2c"), 426, "Upgrade: websocket"},
		{"§4.2.1 ¶4 no upgrade in Connection", with("Connection", "keep-alive"), 400, ""},
		{"§4.2.1 ¶5 no key", without("Sec-WebSocket-Key"), 400, ""},
		{"§4.2.1 ¶5 key of 15 bytes", with("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"), 400, ""},
		{"§4.2.1 ¶5 key not base64", with("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="), 400, ""},
		{"§11.3.1 two keys", strings.Replace(valid, "\r\n\r\n", "\r\nSec-WebSocket-Key: "+newKey()+"\r\n\r\n", 1), 400, ""},
		{"§4.4 version 8", with("Sec-WebSocket-Version", "8"), 426, "Sec-WebSocket-Version: 13"},
		{"§4.4 no version", without("Sec-WebSocket-Version"), 426, "Sec-WebSocket-Version: 13"},
		{"§4.4 two versions", strings.Replace(valid, "\r\n\r\n", "\r\nSec-WebSocket-Version: 13\r\n\r\n", 1), 426, "Sec-WebSocket-Version: 13"},
		{"§10.2 cross-origin", with("Origin", "http://evil.example"), 403, ""},
		{"§10.2 origin null", with("Origin", "null"), 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := es.dial(t)
			c.send([]byte(tc.req))
			method, _, _ := strings.Cut(tc.req, " ")
			resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body, tc.status)
			}
			if tc.field != "" {
				name, value, _ := strings.Cut(tc.field, ": ")
				if got := resp.Header.Get(name); got != value {
					t.Errorf("%s: %q, want %q", name, got, value)
				}
			}
			if resp.Header.Get("Sec-WebSocket-Accept") != "" {
				t.Errorf("refusal carries Sec-WebSocket-Accept")
			}
		})
	}
}

// TestHandshakeAccepted checks handshakes that must succeed: fields in
// other cases and inside lists, a same-origin Origin, subprotocol
// selection (RFC 6455 §4.2.2), and frames sent in the same write as the
// request.
func TestHandshakeAccepted(t *testing.T) {
	es := startEcho(t, websocket.Config{Protocols: []string{"v2.chat", "chat"}})
	for _, tc := range []struct {
		name     string
		extra    []string
		protocol string
	}{
		{"plain", nil, ""},
		{"§4.2.1 tokens in lists, any case", []string{"connection: keep-alive, UPGRADE", "upgrade: WebSocket"}, ""},
		{"§10.2 same origin", []string{"Origin: http://TEST"}, ""},
		{"§4.2.2 server's preference", []string{"Sec-WebSocket-Protocol: chat, v2.chat"}, "v2.chat"},
		{"§4.2.2 across fields", []string{"Sec-WebSocket-Protocol: mqtt", "Sec-WebSocket-Protocol: x, chat"}, "chat"},
		{"§4.2.2 none in common", []string{"Sec-WebSocket-Protocol: mqtt"}, ""},
		{"§4.2.2 case-sensitive", []string{"Sec-WebSocket-Protocol: CHAT"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := es.connect(t, frames(text("early")), tc.extra...)
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.protocol {
				t.Errorf("Sec-WebSocket-Protocol %q, want %q", got, tc.protocol)
			}
			if resp.Header.Get("Sec-WebSocket-Extensions") != "" {
				t.Errorf("an extension was negotiated")
			}
			c.expect(1, []byte("early"))
			c.send(frames(closeMsg(1000, "")))
			c.expectClose()
			c.expectEOF()
			es.closed(c)
		})
	}
}

// TestCheckOrigin replaces the same-origin default.
func TestCheckOrigin(t *testing.T) {
	es := startEcho(t, websocket.Config{CheckOrigin: func(r *biplane.Request) bool {
		return string(r.Header("Origin")) == "https://app.example"
	}})
	c, _ := es.connect(t, nil, "Origin: https://app.example")
	c.nc.Close()
	if ev := es.closed(c); ev.code != 1006 {
		t.Errorf("OnClose code %d after a vanished peer, want 1006", ev.code)
	}
	c = es.dial(t)
	c.send([]byte(handshakeRequest("/echo", newKey(), "Origin: http://test")))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != 403 {
		t.Fatalf("origin refused by CheckOrigin: %v, %v; want 403", resp, err)
	}
}

// TestServerPing checks a Ping from the server (RFC 6455 §5.5.2).
func TestServerPing(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	c, _ := es.connect(t, frames(text("!ping")))
	c.expect(9, []byte("srv"))
	c.send(frames(pong("srv"), closeMsg(1000, "")))
	c.expectClose()
	c.expectEOF()
	es.closed(c)
}

// TestCallbackPanic checks that a panic in OnMessage costs only its
// connection a 1011 Close (RFC 6455 §7.4.1), and is reported to OnPanic.
func TestCallbackPanic(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	other, _ := es.connect(t, nil)
	c, _ := es.connect(t, frames(text("!panic"), text("after")))
	if code, _ := c.expectClose(); code != 1011 {
		t.Fatalf("close code %d, want 1011", code)
	}
	c.send(frames(closeMsg(1011, "")))
	c.expectEOF()
	if v := <-es.panics; v != "on purpose" {
		t.Errorf("OnPanic got %v", v)
	}
	if ev := es.closed(c); ev.code != 1011 {
		t.Errorf("OnClose code %d, want 1011", ev.code)
	}
	other.send(frames(text("still here")))
	other.expect(1, []byte("still here"))
}

// TestBackpressure sends many messages without reading, through a server
// whose output buffer holds one echo: the server must stop reading
// rather than buffer or drop echoes, and every echo must arrive, in
// order. The echo's WriteMessage never fails (startEcho checks).
func TestBackpressure(t *testing.T) {
	const n, size = 2000, 1000
	var peak int
	es := startEcho(t, websocket.Config{MaxMessageBytes: size, WriteBufferBytes: 1,
		OnMessage: func(c *websocket.Conn, m websocket.Message) {
			if err := c.WriteMessage(m.Type, m.Data); err != nil {
				t.Errorf("echo: %v", err)
			}
			peak = max(peak, c.Buffered())
		}})
	c, _ := es.connect(t, nil)
	msg := func(i int) []byte {
		return bytes.Repeat([]byte{byte(i)}, size-i%7)
	}
	sent := make(chan error, 1)
	go func() {
		var b []byte
		for i := range n {
			b = append(b, binaryMsg(msg(i)).bytes()...)
		}
		_, err := c.nc.Write(b)
		sent <- err
	}()
	for i := range n {
		c.expect(2, msg(i))
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	c.send(frames(closeMsg(1000, "")))
	c.expectClose()
	c.expectEOF()
	es.closed(c)
	es.Do(func() {
		if limit := size + 10 + 256; peak > limit {
			t.Errorf("%d bytes queued at once, bound %d", peak, limit)
		}
	})
}

// TestBroadcast sends from the loop to every connection of a Hub, and
// checks that a closed connection leaves it.
func TestBroadcast(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	var cs []*client
	for range 3 {
		c, _ := es.connect(t, nil)
		cs = append(cs, c)
	}
	var n int
	es.Do(func() { n = es.hub.Broadcast(websocket.Text, []byte("news")) })
	if n != 3 {
		t.Fatalf("Broadcast reached %d, want 3", n)
	}
	for _, c := range cs {
		c.expect(1, []byte("news"))
	}
	cs[0].send(frames(closeMsg(1001, "leaving")))
	cs[0].expectClose()
	cs[0].expectEOF()
	if ev := es.closed(cs[0]); ev.code != 1001 || ev.reason != "leaving" {
		t.Errorf("OnClose %d %q, want 1001 \"leaving\"", ev.code, ev.reason)
	}
	es.Do(func() {
		if es.hub.Len() != 2 {
			t.Errorf("Hub.Len %d after a close, want 2", es.hub.Len())
		}
		n = es.hub.Broadcast(websocket.Binary, []byte{1, 2, 3})
		if bad := es.hub.Broadcast(websocket.Text, []byte{0xff}); bad != 0 {
			t.Errorf("invalid UTF-8 broadcast to %d", bad)
		}
	})
	if n != 2 {
		t.Fatalf("Broadcast reached %d, want 2", n)
	}
	for _, c := range cs[1:] {
		c.expect(2, []byte{1, 2, 3})
	}
}

// TestHubKeepAlive drives Hub.Tick with made-up times: a silent
// connection is pinged after PingInterval, kept while it sends anything,
// and dropped (no Close frame, OnClose 1006) when it sends nothing for
// Timeout after a Ping.
func TestHubKeepAlive(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	es.Do(func() { es.hub.PingInterval, es.hub.Timeout = 10*time.Second, 5*time.Second })
	c, _ := es.connect(t, nil)
	t0 := time.Now()
	tick := func(d time.Duration) { es.Do(func() { es.hub.Tick(t0.Add(d)) }) }
	sync := func() { // the server has taken everything sent before
		c.send(frames(text("sync")))
		c.expect(1, []byte("sync"))
	}
	tick(0)
	tick(9 * time.Second) // quiet, not yet for long
	tick(10 * time.Second)
	c.expect(9, nil)
	c.send(frames(pong("")))
	sync()
	tick(16 * time.Second) // answered: seen anew
	tick(25 * time.Second)
	tick(26 * time.Second)
	c.expect(9, nil)
	sync() // no Pong, but any byte received counts as an answer
	tick(30 * time.Second)
	tick(36 * time.Second)
	tick(46 * time.Second)
	c.expect(9, nil) // not answered this time
	tick(50 * time.Second)
	tick(51 * time.Second)
	c.expectEOF()
	if ev := es.closed(c); ev.code != 1006 {
		t.Errorf("OnClose code %d, want 1006", ev.code)
	}
}

// TestHubCloseTimeout drops a connection whose peer does not answer the
// server's Close within the Hub's Timeout (RFC 6455 §7.1.1).
func TestHubCloseTimeout(t *testing.T) {
	es := startEcho(t, websocket.Config{})
	es.Do(func() { es.hub.Timeout = 5 * time.Second })
	c, _ := es.connect(t, frames(text("!close")))
	if code, reason := c.expectClose(); code != 4001 || reason != "asked" {
		t.Fatalf("Close %d %q, want 4001 \"asked\"", code, reason)
	}
	t0 := time.Now()
	es.Do(func() { es.hub.Tick(t0) })
	es.Do(func() { es.hub.Tick(t0.Add(4 * time.Second)) })
	c.send(frames(text("ignored")))
	es.Do(func() { es.hub.Tick(t0.Add(5 * time.Second)) })
	c.expectEOF()
	if ev := es.closed(c); ev.code != 1006 {
		t.Errorf("OnClose code %d, want 1006", ev.code)
	}
}

// TestWriteErrors checks what Conn's writers refuse, and that what they
// took is sent.
func TestWriteErrors(t *testing.T) {
	es := startEcho(t, websocket.Config{MaxMessageBytes: 100, WriteBufferBytes: 200})
	c, _ := es.connect(t, nil)
	wc := <-es.conns
	es.Do(func() {
		for _, tc := range []struct {
			name string
			err  error
			want error // nil: no error, unless any is set
			any  bool  // some error, not a sentinel
		}{
			{"invalid UTF-8", wc.WriteText("\xff"), websocket.ErrInvalidUTF8, false},
			{"too large", wc.WriteBinary(make([]byte, 300)), websocket.ErrMessageTooLarge, false},
			{"fits", wc.WriteBinary(make([]byte, 150)), nil, false},
			{"full", wc.WriteBinary(make([]byte, 100)), websocket.ErrBufferFull, false},
			{"ping of 126 bytes", wc.Ping(make([]byte, 126)), nil, true},
			{"close code 1005", wc.Close(1005, ""), nil, true},
			{"close reason of 124 bytes", wc.Close(1000, strings.Repeat("r", 124)), nil, true},
			{"close", wc.Close(1000, "done"), nil, false},
			{"write after close", wc.WriteText("late"), websocket.ErrClosed, false},
			{"close again", wc.Close(1000, ""), websocket.ErrClosed, false},
		} {
			if tc.any && tc.err == nil || !tc.any && tc.err != tc.want {
				t.Errorf("%s: %v, want %v (any error: %v)", tc.name, tc.err, tc.want, tc.any)
			}
		}
		if wc.Buffered() == 0 {
			t.Error("nothing buffered")
		}
	})
	c.expect(2, make([]byte, 150))
	if code, reason := c.expectClose(); code != 1000 || reason != "done" {
		t.Errorf("Close %d %q, want 1000 \"done\"", code, reason)
	}
	c.send(frames(closeMsg(1000, "")))
	c.expectEOF()
	if ev := es.closed(c); ev.code != 1000 || ev.err != nil {
		t.Errorf("OnClose %d, Err %v; want 1000, nil", ev.code, ev.err)
	}
}
