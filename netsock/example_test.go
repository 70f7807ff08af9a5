package netsock_test

import (
	"fmt"
	"io"
	"net"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
)

// A loop that accepts one TCP connection and answers it, using only
// non-blocking calls and Wait.
func Example() {
	l, addr, err := netsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()

	reply := make(chan string)
	go func() { // a client
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			panic(err)
		}
		defer c.Close()
		c.Write([]byte("ping"))
		b, _ := io.ReadAll(c)
		reply <- string(b)
	}()

	var conn biplane.Conn
	var ready []biplane.Conn
	buf := make([]byte, 16)
	for {
		if conn == nil {
			conn, _ = l.Accept() // ErrWouldBlock until the client connects
		}
		if conn != nil {
			n, err := conn.Read(buf)
			if err == nil {
				fmt.Printf("server read %q\n", buf[:n])
				conn.Write([]byte("pong"))
				conn.Close()
				break
			}
			if err != biplane.ErrWouldBlock {
				panic(err)
			}
		}
		ready, _, _ = l.(biplane.Waiter).Wait(ready[:0], -1)
	}
	fmt.Printf("client read %q\n", <-reply)
	// Output:
	// server read "ping"
	// client read "pong"
}
