package websocket_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/websocket"
)

// hubServer serves WebSocket upgrades on /ws over memsock, each
// connection added to hub, and records OnClose codes.
func hubServer(hub *websocket.Hub, codes *[]int) (*biplane.Server, *memsock.Listener) {
	cfg := &websocket.Config{
		OnMessage: func(c *websocket.Conn, m websocket.Message) {},
		OnClose:   func(c *websocket.Conn, code int, reason string) { *codes = append(*codes, code) },
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /ws", func(r *biplane.Request) biplane.Response {
		c, resp := websocket.Upgrade(r, cfg)
		if c != nil {
			hub.Add(c)
		}
		return resp
	})
	ln := memsock.NewListener()
	return &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}, ln
}

const wsHandshake = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// readClose reads the 101's head, then one unmasked server frame, and
// returns its opcode, close code and reason.
func readClose(t *testing.T, br *bufio.Reader) (op byte, code int, reason string) {
	t.Helper()
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the 101: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	p := make([]byte, h[1]&0x7f)
	if _, err := io.ReadFull(br, p); err != nil || len(p) < 2 {
		t.Fatalf("reading a Close frame's payload: %v (%d bytes)", err, len(p))
	}
	return h[0], int(binary.BigEndian.Uint16(p)), string(p[2:])
}

// TestHubCloseOnShutdown: with the hub's Close registered as a shutdown
// hook, Shutdown sends every WebSocket peer a Close frame with 1001 Going
// Away; once the peer answers, its connection closes and the drain ends,
// long before its timeout.
func TestHubCloseOnShutdown(t *testing.T) {
	var hub websocket.Hub
	var codes []int
	srv, ln := hubServer(&hub, &codes)
	srv.OnShutdown(hub.Close)
	client, _ := ln.Dial()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	client.Write([]byte(wsHandshake))
	for i := 0; hub.Len() == 0; i++ {
		if i == 100 {
			t.Fatal("no connection in the hub after 100 steps")
		}
		srv.Step()
	}

	srv.Shutdown(time.Hour)
	for range 10 {
		srv.Step()
	}
	br := bufio.NewReader(client)
	if op, code, reason := readClose(t, br); op != 0x88 || code != 1001 || reason != "server shutting down" {
		t.Fatalf("got frame %#x, code %d %q; want a Close with 1001 \"server shutting down\"", op, code, reason)
	}
	// The peer answers with its Close, masked, as browsers do.
	client.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9})
	for range 10 {
		srv.Step()
	}
	// The server has closed its side: the client reads EOF, and closes
	// too, which ends the server's lingering close.
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the Close: %q, %v; want EOF", rest, err)
	}
	client.Close()
	steps := 0
	for srv.Step() {
		if steps++; steps == 1000 {
			t.Fatal("still draining after 1000 steps")
		}
	}
	if len(codes) != 1 || codes[0] != 1001 || hub.Len() != 0 {
		t.Errorf("OnClose codes %v, %d left in the hub; want [1001], 0", codes, hub.Len())
	}
}

// TestHubCloseThenAdd: a connection added after Close is closed with 1001
// as it is added, its Close frame right after the 101.
func TestHubCloseThenAdd(t *testing.T) {
	var hub websocket.Hub
	var codes []int
	srv, ln := hubServer(&hub, &codes)
	hub.Close()
	client, _ := ln.Dial()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	client.Write([]byte(wsHandshake))
	for range 20 {
		srv.Step()
	}
	br := bufio.NewReader(client)
	if op, code, reason := readClose(t, br); op != 0x88 || code != 1001 || !strings.Contains(reason, "shutting down") {
		t.Fatalf("got frame %#x, code %d %q; want a Close with 1001", op, code, reason)
	}
	srv.Close()
}
