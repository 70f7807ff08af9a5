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
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The hostile mix, run by "steps load" in a process of its own, so that
// its goroutines and garbage never share a runtime with the loop being
// measured. Every client reconnects when the server closes it, so the mix
// stays the same for the whole run.

// Counters of what the mix did, printed on one line at the end.
var (
	idleHeld      atomic.Int64 // idle connections open now
	idleRefused   atomic.Int64 // idle connections answered 503 (retried)
	idleClosed    atomic.Int64 // idle connections the server closed (reconnected)
	pipeResponses atomic.Int64
	lorisRefused  atomic.Int64 // slowloris connections answered (408) or closed
	uploadBytes   atomic.Int64
	uploadsDone   atomic.Int64
	slowBytes     atomic.Int64
	slowDone      atomic.Int64
	flood503      atomic.Int64
	flood200      atomic.Int64
	floodOther    atomic.Int64 // closed without a status, or another one
	loadErrors    atomic.Int64
	lastError     atomic.Value // string
)

func loadMain(args []string) {
	fs := flag.NewFlagSet("steps load", flag.ExitOnError)
	addr := fs.String("addr", "", "server address")
	idle := fs.Int("idle", 1000, "idle keep-alive connections")
	loris := fs.Int("slowloris", 50, "slowloris connections")
	lorisEvery := fs.Duration("slowloris-every", time.Second, "a slowloris connection sends a header line this often")
	pipes := fs.Int("pipelined", 4, "pipelining connections")
	depth := fs.Int("depth", 64, "requests per pipelined write")
	flood := fs.Int("flood", 16, "connections opened at once past MaxConns, each again as soon as it is answered")
	uploadSize := fs.Int64("upload-size", 1<<30, "bytes of each upload (PUT /upload), one after another; 0: none")
	readRate := fs.Int("read-rate", 256<<10, "bytes/s the slow reader reads of GET /big; 0: no slow reader")
	fs.Parse(args)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})

	if *uploadSize > 0 {
		go uploader(*addr, *uploadSize, done)
	}
	if *readRate > 0 {
		go slowReader(*addr, *readRate, done)
	}
	for range *pipes {
		go pipeliner(*addr, *depth, done)
	}
	for range *loris {
		go slowloris(*addr, *lorisEvery, done)
	}
	var ready sync.WaitGroup
	ready.Add(*idle)
	for range *idle {
		go idler(*addr, &ready, done)
	}
	// The flood begins once the idle connections are held, so that it
	// finds the server at MaxConns.
	held := make(chan struct{})
	go func() { ready.Wait(); close(held) }()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "steps load: only %d idle connections held after 10 s; flooding anyway\n", idleHeld.Load())
	case <-stop:
		report()
		return
	}
	fmt.Printf("load: %d idle connections held; flood begins\n", idleHeld.Load())
	for range *flood {
		go flooder(*addr, done)
	}
	<-stop
	close(done)
	report()
}

func report() {
	fmt.Printf("load: idle_held %d idle_503 %d idle_closed %d pipelined_responses %d slowloris_ended %d "+
		"upload_bytes %d uploads_done %d slowread_bytes %d slowreads_done %d flood_503 %d flood_200 %d flood_other %d errors %d\n",
		idleHeld.Load(), idleRefused.Load(), idleClosed.Load(), pipeResponses.Load(), lorisRefused.Load(),
		uploadBytes.Load(), uploadsDone.Load(), slowBytes.Load(), slowDone.Load(),
		flood503.Load(), flood200.Load(), floodOther.Load(), loadErrors.Load())
	if e, ok := lastError.Load().(string); ok {
		fmt.Printf("load: last error: %s\n", e)
	}
}

// failed counts an unexpected error and pauses a little before the caller
// retries, so that a refusing server is not spun against.
func failed(err error, done chan struct{}) {
	loadErrors.Add(1)
	lastError.Store(err.Error())
	pause(100*time.Millisecond, done)
}

// pause sleeps for d, or until done; it reports whether done.
func pause(d time.Duration, done chan struct{}) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func stopped(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

const hello = "GET / HTTP/1.1\r\nHost: steps\r\n\r\n"

// idler holds a keep-alive connection after one request, and opens
// another when the server closes it (IdleTimeout) or refuses it (503).
func idler(addr string, ready *sync.WaitGroup, done chan struct{}) {
	first := true
	for !stopped(done) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		br := bufio.NewReaderSize(c, 512)
		_, err = io.WriteString(c, hello)
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(br, nil)
		}
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		switch {
		case err != nil:
			c.Close()
			failed(err, done)
			continue
		case resp.StatusCode == 503:
			c.Close()
			idleRefused.Add(1)
			pause(200*time.Millisecond, done)
			continue
		}
		idleHeld.Add(1)
		if first {
			first = false
			ready.Done()
		}
		// Hold it until the server closes it, or the run ends.
		go func() { <-done; c.Close() }()
		var b [1]byte
		c.Read(b[:])
		c.Close()
		idleHeld.Add(-1)
		if !stopped(done) {
			idleClosed.Add(1)
		}
	}
	if first {
		ready.Done()
	}
}

// pipeliner sends depth requests in one write and reads their responses,
// over and over.
func pipeliner(addr string, depth int, done chan struct{}) {
	batch := bytes.Repeat([]byte(hello), depth)
	for !stopped(done) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		go func() { <-done; c.Close() }()
		br := bufio.NewReaderSize(c, 64<<10)
		for err == nil && !stopped(done) {
			if _, err = c.Write(batch); err != nil {
				break
			}
			for range depth {
				var resp *http.Response
				if resp, err = http.ReadResponse(br, nil); err != nil {
					break
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != 200 {
					err = fmt.Errorf("pipelined: status %d", resp.StatusCode)
				}
				if err != nil {
					break
				}
				pipeResponses.Add(1)
			}
		}
		c.Close()
		if !stopped(done) {
			failed(err, done)
		}
	}
}

// slowloris sends a request head one header line at a time, every
// `every`, until the server answers (408) or closes; then starts again.
func slowloris(addr string, every time.Duration, done chan struct{}) {
	for !stopped(done) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: steps\r\n")
		var b [512]byte
		for i := 0; err == nil && !stopped(done); i++ {
			c.SetReadDeadline(time.Now().Add(every))
			_, err = c.Read(b[:])
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				_, err = fmt.Fprintf(c, "X-Slow-%d: 1\r\n", i)
				continue
			}
			err = errors.New("answered") // the 408, or the close
		}
		c.Close()
		if !stopped(done) {
			lorisRefused.Add(1)
		}
	}
}

// uploader sends PUT /upload bodies of size bytes as fast as the server
// takes them, one after another.
func uploader(addr string, size int64, done chan struct{}) {
	buf := make([]byte, 256<<10)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8)
	}
	for !stopped(done) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		go func() { <-done; c.Close() }()
		_, err = fmt.Fprintf(c, "PUT /upload HTTP/1.1\r\nHost: steps\r\nContent-Length: %d\r\n\r\n", size)
		for left := size; err == nil && left > 0; {
			var n int
			n, err = c.Write(buf[:min(int64(len(buf)), left)])
			left -= int64(n)
			uploadBytes.Add(int64(n))
		}
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(bufio.NewReader(c), nil)
		}
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 200 {
				err = fmt.Errorf("upload: status %d", resp.StatusCode)
			}
		}
		c.Close()
		switch {
		case stopped(done):
		case err != nil:
			failed(err, done)
		default:
			uploadsDone.Add(1)
		}
	}
}

// slowReader downloads GET /big through the smallest receive buffer the
// kernel allows, at rate bytes a second, over and over.
func slowReader(addr string, rate int, done chan struct{}) {
	d := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1)
		})
	}}
	const chunk = 4 << 10
	every := time.Duration(float64(time.Second) * chunk / float64(rate))
	buf := make([]byte, chunk)
	for !stopped(done) {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		go func() { <-done; c.Close() }()
		_, err = io.WriteString(c, "GET /big HTTP/1.1\r\nHost: steps\r\n\r\n")
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(bufio.NewReaderSize(c, chunk), nil)
		}
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("slow reader: status %d", resp.StatusCode)
		}
		tick := time.NewTicker(every)
		var got int64
		for err == nil {
			var n int
			n, err = io.ReadFull(resp.Body, buf)
			got += int64(n)
			slowBytes.Add(int64(n))
			if err == nil {
				select {
				case <-done:
					err = io.EOF
				case <-tick.C:
				}
			}
		}
		tick.Stop()
		c.Close()
		switch {
		case stopped(done):
		case resp != nil && got == resp.ContentLength:
			slowDone.Add(1)
		default:
			failed(err, done)
		}
	}
}

// flooder opens connections past MaxConns, one after another: each should
// be answered 503 and closed.
func flooder(addr string, done chan struct{}) {
	var b [4 << 10]byte
	for !stopped(done) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			failed(err, done)
			continue
		}
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: steps\r\nConnection: close\r\n\r\n")
		n := 0
		for err == nil && n < len(b) {
			var m int
			m, err = c.Read(b[n:])
			n += m
		}
		c.Close()
		switch status, _ := strconv.Atoi(string(field(b[:n], 9, 12))); status {
		case 503:
			flood503.Add(1)
		case 200:
			flood200.Add(1)
		default:
			floodOther.Add(1)
		}
	}
}

// field returns p[i:j], or nil if p is shorter.
func field(p []byte, i, j int) []byte {
	if len(p) < j {
		return nil
	}
	return p[i:j]
}
