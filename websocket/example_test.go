package websocket_test

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/websocket"
)

// An echo server that also broadcasts from its own loop, stepped by hand
// over an in-memory connection. The client's bytes are written out: the
// opening handshake of RFC 6455 §1.3 and the masked "Hello" of §5.7.
func Example() {
	var hub websocket.Hub
	cfg := &websocket.Config{
		OnMessage: func(c *websocket.Conn, m websocket.Message) {
			c.WriteMessage(m.Type, m.Data) // echo
		},
		OnClose: func(c *websocket.Conn, code int, reason string) {
			fmt.Printf("closed: %d %q\n", code, reason)
		},
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /chat", func(r *biplane.Request) biplane.Response {
		c, resp := websocket.Upgrade(r, cfg)
		if c != nil {
			hub.Add(c)
		}
		return resp
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}

	client, _ := ln.Dial()
	client.Write([]byte("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	client.Write([]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58})

	for i := range 20 {
		srv.Step()
		if i == 10 {
			hub.Broadcast(websocket.Text, []byte("news")) // the loop's own work
			hub.Tick(time.Now())                          // keep-alive, about once a second
		}
	}

	br := bufio.NewReader(client)
	for {
		line, _ := br.ReadString('\n')
		fmt.Println(strings.TrimSpace(line))
		if line == "\r\n" {
			break
		}
	}
	for range 2 {
		var h [2]byte
		io.ReadFull(br, h[:])
		payload := make([]byte, h[1]) // short unmasked server frames
		io.ReadFull(br, payload)
		fmt.Printf("frame: opcode %d %q\n", h[0]&0x0f, payload)
	}

	client.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}) // Close 1000, zero mask
	for range 10 {
		srv.Step()
	}
	rest, _ := io.ReadAll(br)
	fmt.Printf("server's Close: % x, then EOF\n", rest)
	client.Close() // as a client does once the server has closed
	for range 10 {
		srv.Step()
	}
	// Output:
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	//
	// frame: opcode 1 "Hello"
	// frame: opcode 1 "news"
	// server's Close: 88 02 03 e8, then EOF
	// closed: 1000 ""
}
