// Command attack is the raw-TCP half of scripts/hostile.sh: attacks that
// slowhttptest does not make.
//
//	attack hold  -addr A -local IP -kind K -n N   open N connections left in state K, print "ready", wait
//	attack flood -addr A -local IP -hold H -extra E   fill the connection cap, then check that E more get 503
//
// The kinds of hold:
//
//	head    a request head cut off in the middle of a field line
//	body    a whole head declaring a body, and only the first bytes of it
//	idle    a whole request, its response read: an idle keep-alive connection
//	unread  a POST whose echoed body (-body bytes) is never read, with the
//	        smallest receive buffer the kernel allows
//
// hold leaves its connections as they are until SIGTERM or SIGINT; the script decides what happens to them meanwhile
// (nothing, so the server must time them out; or a firewall rule that
// drops their packets, then SIGKILL: a peer that vanishes without FIN or
// RST). The script watches the server's side with ss.
//
// flood prints one line, "flood: PASS …" or "flood: FAIL …", and exits 1
// on failure.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "hold":
		hold(os.Args[2:])
	case "flood":
		flood(os.Args[2:])
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: attack hold|flood [flags] (attack hold -h for the flags)")
	os.Exit(2)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "attack: "+format+"\n", args...)
	os.Exit(1)
}

// dialer returns a dialer from local (if not empty) that sets the receive
// buffer to rcvbuf bytes before connecting (if not zero), so that the
// window advertised in the handshake is already small.
func dialer(local string, rcvbuf int) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		ip := net.ParseIP(local)
		if ip == nil {
			fatalf("-local %q is not an IP address", local)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	if rcvbuf > 0 {
		d.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
			return errors.Join(err, serr)
		}
	}
	return d
}

// parallel runs f(0) … f(n-1), at most width at a time, and returns the
// first error.
func parallel(n, width int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, width)
	)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func hold(args []string) {
	fs := flag.NewFlagSet("hold", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "server address")
	local := fs.String("local", "", "local IP address to connect from")
	kind := fs.String("kind", "head", "head, body, idle or unread")
	n := fs.Int("n", 200, "connections")
	bodySize := fs.Int("body", 512<<10, "bytes POSTed by each unread connection: more than the server's socket send buffer holds")
	fs.Parse(args)

	rcvbuf := 0
	if *kind == "unread" {
		rcvbuf = 1 // the kernel rounds it up to its minimum
	}
	d := dialer(*local, rcvbuf)
	var setup func(c net.Conn) error
	switch *kind {
	case "head":
		setup = func(c net.Conn) error {
			_, err := io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\nX-Half: ")
			return err
		}
	case "body":
		setup = func(c net.Conn) error {
			_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
			return err
		}
	case "idle":
		setup = func(c net.Conn) error {
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				return err
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return err
			}
			if resp.StatusCode != 200 {
				return fmt.Errorf("idle: status %d, want 200", resp.StatusCode)
			}
			return nil
		}
	case "unread":
		body := bytes.Repeat([]byte("u"), *bodySize)
		setup = func(c net.Conn) error {
			if _, err := fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body)); err != nil {
				return err
			}
			_, err := c.Write(body)
			return err
		}
	default:
		fatalf("hold: unknown -kind %q", *kind)
	}

	conns := make([]net.Conn, *n)
	err := parallel(*n, 32, func(i int) error {
		c, err := d.Dial("tcp", *addr)
		if err != nil {
			return err
		}
		conns[i] = c
		return setup(c)
	})
	if err != nil {
		fatalf("hold %s: %v", *kind, err)
	}
	fmt.Printf("hold: %s n=%d ready\n", *kind, *n)

	// Wait, touching nothing, for SIGTERM or SIGINT. SIGKILL, the
	// vanishing peer, needs no code.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	for _, c := range conns {
		c.Close()
	}
}

// outcome of one flood connection.
type outcome int

const (
	held   outcome = iota // nothing arrived: the server is serving it
	got503                // 503 with Retry-After, then the server's EOF
	bare                  // closed without a response
	hung                  // a response started but never ended
	other                 // anything else
)

var outcomeNames = [...]string{"held", "503", "bare", "hung", "other"}

// readAll reads from c until EOF or the deadline and classifies what came.
func readAll(c net.Conn, deadline time.Time) (outcome, string) {
	c.SetReadDeadline(deadline)
	got, err := io.ReadAll(c)
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	switch {
	case len(got) == 0 && timedOut:
		return held, ""
	case len(got) == 0:
		return bare, fmt.Sprint(err)
	case timedOut:
		return hung, fmt.Sprintf("%q", got)
	case bytes.HasPrefix(got, []byte("HTTP/1.1 503 ")) && bytes.Contains(got, []byte("\r\nRetry-After: ")):
		return got503, ""
	}
	return other, fmt.Sprintf("%q, %v", got, err)
}

func flood(args []string) {
	fs := flag.NewFlagSet("flood", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "server address")
	local := fs.String("local", "", "local IP address to connect from")
	nhold := fs.Int("hold", 1024, "connections opened first and left silent: enough to reach the cap")
	extra := fs.Int("extra", 200, "connections opened next, each expected to get 503 and be closed")
	width := fs.Int("parallel", 16, "extra connections in flight at once (the server answers at most 64 with 503 at a time and closes the rest bare)")
	maxConns := fs.Int("max-conns", 1024, "the server's MaxConns")
	wait := fs.Duration("wait", 5*time.Second, "longest an extra connection may take to be answered and closed")
	fs.Parse(args)
	d := dialer(*local, 0)
	start := time.Now()

	// Holders: opened 64 at a time, each reading until told to stop.
	holders := make([]net.Conn, *nhold)
	if err := parallel(*nhold, 64, func(i int) error {
		c, err := d.Dial("tcp", *addr)
		holders[i] = c
		return err
	}); err != nil {
		fatalf("flood: opening %d connections: %v", *nhold, err)
	}
	holdOut := make([]outcome, *nhold)
	holdWhy := make([]string, *nhold)
	var hwg sync.WaitGroup
	far := time.Now().Add(time.Hour)
	for i, c := range holders {
		hwg.Go(func() { holdOut[i], holdWhy[i] = readAll(c, far) })
	}
	// Let the server accept them all (it takes 32 per step).
	time.Sleep(500 * time.Millisecond)
	filled := time.Since(start)

	// Extras: each must be answered 503 and closed.
	extraOut := make([]outcome, *extra)
	extraWhy := make([]string, *extra)
	var slowest time.Duration
	var mu sync.Mutex
	parallel(*extra, *width, func(i int) error {
		t0 := time.Now()
		c, err := d.Dial("tcp", *addr)
		if err != nil {
			extraOut[i], extraWhy[i] = other, err.Error()
			return nil
		}
		defer c.Close()
		extraOut[i], extraWhy[i] = readAll(c, t0.Add(*wait))
		if extraOut[i] == held {
			extraOut[i] = hung // an extra must not be left waiting
		}
		mu.Lock()
		slowest = max(slowest, time.Since(t0))
		mu.Unlock()
		return nil
	})

	// Stop the holders: whatever has not arrived by now never came.
	for _, c := range holders {
		c.SetReadDeadline(time.Now())
	}
	hwg.Wait()
	for _, c := range holders {
		c.Close()
	}

	// The server serves again once the holders are gone.
	recovered := false
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	var lastErr error
	for range 30 {
		resp, err := client.Get("http://" + *addr + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				recovered = true
				break
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}

	count := func(outs []outcome) (n [len(outcomeNames)]int) {
		for _, o := range outs {
			n[o]++
		}
		return n
	}
	h, e := count(holdOut), count(extraOut)
	var problems []string
	if h[held] > *maxConns {
		problems = append(problems, fmt.Sprintf("%d connections held, over the cap of %d", h[held], *maxConns))
	}
	if h[bare]+h[hung]+h[other] > 0 {
		problems = append(problems, fmt.Sprintf("holders: %d closed bare, %d hung, %d other", h[bare], h[hung], h[other]))
	}
	if e[got503] != *extra {
		problems = append(problems, fmt.Sprintf("extras: %d of %d got 503 (bare %d, hung %d, other %d)", e[got503], *extra, e[bare], e[hung], e[other]))
	}
	if !recovered {
		problems = append(problems, fmt.Sprintf("not serving after the flood: %v", lastErr))
	}
	for i, o := range append(holdOut, extraOut...) {
		if o != held && o != got503 {
			why := append(holdWhy, extraWhy...)[i]
			fmt.Fprintf(os.Stderr, "attack: flood: connection %d: %s: %s\n", i, outcomeNames[o], why)
			break
		}
	}
	verdict := "PASS"
	if len(problems) > 0 {
		verdict = "FAIL"
	}
	fmt.Printf("flood: %s held=%d over-cap-503=%d extra=%d extra-503=%d bare=%d hung=%d slowest=%.0fms filled=%.1fs recovered=%t",
		verdict, h[held], h[got503], *extra, e[got503], h[bare]+e[bare], h[hung]+e[hung], float64(slowest)/1e6, filled.Seconds(), recovered)
	if len(problems) > 0 {
		fmt.Printf(" problems=%q", strings.Join(problems, "; "))
	}
	fmt.Println()
	if len(problems) > 0 {
		os.Exit(1)
	}
}
