// Command client is the small load client of run.sh, for what wrk does not
// do: holding many idle keep-alive connections, and a known number of
// sequential requests.
//
//	client -addr 127.0.0.1:8080 -hold 10000  # open N connections, one GET / on each, hold them
//	client -addr 127.0.0.1:8080 -seq 2000    # N GET / one after another on one connection
//
// With -hold it prints "held N" once every connection has had its 200
// response, then keeps them open until SIGTERM or SIGINT. With -seq it
// prints "done N" and exits. Any response other than 200, or a connection
// closed early, is an error: it prints it and exits 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const request = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	hold := flag.Int("hold", 0, "connections to open and hold, each after one request")
	seq := flag.Int("seq", 0, "requests to send one after another on one connection")
	dialers := flag.Int("dialers", 32, "connections opened at once with -hold")
	flag.Parse()

	switch {
	case *hold > 0:
		conns, err := holdConns(*addr, *hold, *dialers)
		if err != nil {
			fail(err)
		}
		fmt.Printf("held %d\n", len(conns))
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		for _, c := range conns {
			c.Close()
		}
	case *seq > 0:
		if err := sequential(*addr, *seq); err != nil {
			fail(err)
		}
		fmt.Printf("done %d\n", *seq)
	default:
		fail(errors.New("one of -hold and -seq is needed"))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "client:", err)
	os.Exit(1)
}

// holdConns opens n connections, with dialers of them in progress at once,
// and does one request on each.
func holdConns(addr string, n, dialers int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	errs := make(chan error, dialers)
	var wg sync.WaitGroup
	next := make(chan int)
	for range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := dial(addr)
				if err == nil {
					err = roundTrip(c, bufio.NewReaderSize(c, 512))
				}
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i] = c
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return conns, err
}

// dial connects, retrying briefly when the listen backlog is full.
func dial(addr string) (net.Conn, error) {
	var err error
	for range 50 {
		var c net.Conn
		if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			return c, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// sequential sends n requests on one connection, each after the previous
// response.
func sequential(addr string, n int) error {
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := range n {
		if err := roundTrip(c, br); err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
	}
	return nil
}

// roundTrip writes one GET / and reads its response, which must be a 200
// framed by Content-Length.
func roundTrip(c net.Conn, br *bufio.Reader) error {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, request); err != nil {
		return err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	size := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		if bytes.EqualFold(name, []byte("Content-Length")) {
			if size, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return fmt.Errorf("content-length %q", value)
			}
		}
	}
	if size < 0 {
		return errors.New("response without Content-Length")
	}
	_, err = br.Discard(size)
	return err
}
