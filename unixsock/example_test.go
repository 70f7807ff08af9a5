//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

func Example() {
	l, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	fmt.Println("port chosen:", l.Addr().Port() != 0)

	// Nobody has connected: nothing blocks, nothing is ready.
	_, err = l.Accept()
	fmt.Println("accept:", err)
	ready, acceptable, err := l.Wait(nil, 0)
	fmt.Println("ready:", len(ready), "acceptable:", acceptable, "err:", err)
	// Output:
	// port chosen: true
	// accept: biplane: operation would block
	// ready: 0 acceptable: false err: <nil>
}

// This echo loop shows the edge-triggered contract: after Wait reports
// something, take everything there is, until ErrWouldBlock.
func ExampleListener_Wait() {
	l, err := unixsock.Listen("tcp", "127.0.0.1:8000")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	buf := make([]byte, 4096)
	ready := make([]biplane.Conn, 0, 64)
	for {
		var acceptable bool
		ready, acceptable, err = l.Wait(ready[:0], time.Second)
		if err != nil {
			fmt.Println(err)
			return
		}
		for acceptable {
			c, err := l.Accept()
			if errors.Is(err, biplane.ErrWouldBlock) {
				break
			} else if err != nil {
				fmt.Println(err)
				return
			}
			ready = append(ready, c) // it may have data already
		}
		for _, c := range ready {
			for {
				n, err := c.Read(buf)
				if errors.Is(err, biplane.ErrWouldBlock) {
					break
				}
				if err != nil {
					c.Close() // EOF or failure
					break
				}
				// A real server would keep what Write could not take.
				c.Write(buf[:n])
			}
		}
	}
}

// Draining gracefully: stop taking connections, go on serving the ones
// already accepted, and let another goroutine, such as a signal handler,
// cut short a Wait that has nothing left to wait for.
func ExampleListener_CloseAccept() {
	l, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	var c biplane.Conn
	for c == nil {
		l.Wait(nil, time.Second)
		c, _ = l.Accept()
	}
	defer c.Close()

	if err := l.CloseAccept(); err != nil {
		fmt.Println(err)
		return
	}
	_, err = net.Dial("tcp", l.Addr().String())
	fmt.Println("dial refused:", errors.Is(err, syscall.ECONNREFUSED))
	_, err = l.Accept()
	fmt.Println("accept:", err)

	client.Write([]byte("still served"))
	buf := make([]byte, 64)
	n := 0
	for n == 0 {
		l.Wait(nil, time.Second)
		n, _ = c.Read(buf)
	}
	fmt.Printf("read %q\n", buf[:n])

	go l.Wake()
	_, acceptable, err := l.Wait(nil, -1) // no limit: only Wake ends it
	fmt.Println("woken; acceptable:", acceptable, "err:", err)
	// Output:
	// dial refused: true
	// accept: unixsock: accept after CloseAccept
	// read "still served"
	// woken; acceptable: false err: <nil>
}
