package websocket_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/websocket"
)

// A Hub broadcasts from the program's loop to every open connection, keeps
// them alive with Tick, and says goodbye with 1001 Going Away when the
// server shuts down, through a shutdown hook. Two clients over in-memory
// connections, stepped by hand.
func ExampleHub() {
	var hub websocket.Hub
	cfg := &websocket.Config{
		OnClose: func(c *websocket.Conn, code int, reason string) {
			fmt.Printf("OnClose: %d %q\n", code, reason)
		},
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /live", func(r *biplane.Request) biplane.Response {
		c, resp := websocket.Upgrade(r, cfg)
		if c != nil {
			hub.Add(c)
		}
		return resp
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	srv.OnShutdown(hub.Close) // 1001 to every peer as the drain begins

	var conns []*memsock.Client
	var clients []*bufio.Reader
	for range 2 {
		c, _ := ln.Dial()
		c.Write([]byte("GET /live HTTP/1.1\r\nHost: device.local\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
		br := bufio.NewReader(c)
		conns, clients = append(conns, c), append(clients, br)
		for range 5 {
			srv.Step()
		}
		for { // the 101's head
			if line, err := br.ReadString('\n'); line == "\r\n" || err != nil {
				break
			}
		}
	}
	fmt.Println("connections:", hub.Len())

	// The loop's own work: a reading to everyone, keep-alive.
	fmt.Println("sent to", hub.Broadcast(websocket.Text, []byte(`{"temp":21.5}`)))
	hub.Tick(time.Now())
	srv.Shutdown(time.Minute)
	for range 5 {
		srv.Step()
	}
	for i, br := range clients {
		for range 2 {
			var h [2]byte
			io.ReadFull(br, h[:])
			p := make([]byte, h[1]) // short unmasked server frames
			io.ReadFull(br, p)
			if h[0]&0x0f == 8 {
				fmt.Printf("client %d: Close %d %q\n", i, binary.BigEndian.Uint16(p), p[2:])
			} else {
				fmt.Printf("client %d: text %s\n", i, p)
			}
		}
	}
	// Each client answers the Close with its own, as browsers do, and
	// closes once the server has; the drain then ends at once.
	for _, c := range conns {
		c.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9}) // Close 1001, masked
	}
	for range 5 {
		srv.Step()
	}
	for _, c := range conns {
		c.Close()
	}
	for srv.Step() {
	}
	fmt.Println("server stopped:", srv.Err())
	// Output:
	// connections: 2
	// sent to 2
	// client 0: text {"temp":21.5}
	// client 0: Close 1001 "server shutting down"
	// client 1: text {"temp":21.5}
	// client 1: Close 1001 "server shutting down"
	// OnClose: 1001 ""
	// OnClose: 1001 ""
	// server stopped: <nil>
}
