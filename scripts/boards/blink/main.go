// Command blink is the original Biplane's "parallel execution" example on
// a board: one loop serves the hello page and toggles an LED at 100 Hz,
// with no goroutine doing either. scripts/boards.sh builds it for the
// boards in README's table.
//
// There is no radio here: a ring of canned requests, curl's GET / (three
// on one kept-alive connection, then one with Connection: close), stands
// in for one, delivered into memsock connections every 50 ms and read
// back and checked like a client would. A program with a real radio
// listens with tinysock instead and keeps the same loop.
//
// The Limits are sized for a chip with 32 KiB of RAM: 1 KiB buffers, four
// connections. The program starts no goroutine, so it builds with
// -scheduler=none (scripts/boards.sh says where the chip's stack allows);
// between events the loop sleeps until the next one.
//
// On a board it prints a line a second (on the USB serial port):
//
//	blink: N requests, M toggles, L late, E errors
//
// where late counts the ticks the LED fell more than a period behind.
// Built for a simulation (natively, or for TinyGo's cortex-m-qemu target,
// whose clock advances only while the program sleeps) it runs one second,
// prints that line once, and exits 1 if a response was wrong or missing.
package main

import (
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

const (
	blinkPeriod   = 10 * time.Millisecond // 100 toggles a second
	requestPeriod = 50 * time.Millisecond // the radio stand-in's pace
)

const helloPage = "<b>Hello, world!</b>"

var (
	hello = []byte(helloPage)
	get   = []byte("GET / HTTP/1.1\r\nHost: board.local\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	last  = []byte("GET / HTTP/1.1\r\nHost: board.local\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")
	// The radio stand-in's ring: it delivers these in turn, round and round.
	ring = [...][]byte{get, get, get, last}
)

// radio stands in for a WiFi chip: it delivers the ring's requests into
// memsock connections, one at a time, and reads back each response.
type radio struct {
	ln       *memsock.Listener
	c        *memsock.Client // nil between connections
	next     int             // index in ring
	waiting  bool            // a request is out, its response not yet read
	answered int             // the handler's count when the request went out
	buf      [512]byte
	requests int // responses received and correct
	errors   int
}

// send delivers the next request of the ring.
func (r *radio) send(handled int) {
	if r.c == nil {
		c, err := r.ln.Dial()
		if err != nil {
			r.errors++
			return
		}
		r.c = c
	}
	if _, err := r.c.Write(ring[r.next]); err != nil {
		r.errors++
		r.c.Close()
		r.c = nil
		return
	}
	r.waiting, r.answered = true, handled
}

// receive reads the response once the handler has run: the server writes
// it in the same step, so the Read finds it and does not block.
func (r *radio) receive(handled int) {
	if !r.waiting || handled == r.answered {
		return
	}
	r.waiting = false
	n, err := r.c.Read(r.buf[:])
	resp := r.buf[:n]
	if err != nil || !hasPrefix(resp, "HTTP/1.1 200 OK\r\n") || !hasSuffix(resp, helloPage) {
		r.errors++
	} else {
		r.requests++
	}
	if &ring[r.next][0] == &last[0] { // the server closes after this one
		r.c.Close()
		r.c = nil
	}
	r.next = (r.next + 1) % len(ring)
}

// hasPrefix and hasSuffix are bytes.HasPrefix and bytes.HasSuffix without
// their conversions to string, which allocate under TinyGo 0.41: the
// stand-in client's checks allocate nothing.
func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && same(b[:len(s)], s) }
func hasSuffix(b []byte, s string) bool { return len(b) >= len(s) && same(b[len(b)-len(s):], s) }

func same(b []byte, s string) bool {
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func main() {
	led := newLED()
	handled := 0
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		handled++
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	ln := memsock.NewListener()
	ln.BufferSize = 1024 // per direction; the default 64 KiB is more than the chip has
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true, Limits: biplane.Limits{
		MaxRequestLine:  256,
		MaxHeaderBytes:  768,
		MaxHeaderFields: 16,
		MaxBodyBytes:    1024,
		MaxConns:        4,
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
	}}
	r := &radio{ln: ln}

	on, toggles, late := false, 0, 0
	start := time.Now()
	nextBlink, nextRequest, nextReport := start.Add(blinkPeriod), start, start.Add(time.Second)
	for {
		now := time.Now()
		// The LED comes first after every wake-up, so serving delays it
		// by one bounded step at most.
		if !now.Before(nextBlink) {
			on = !on
			led.Set(on)
			toggles++
			nextBlink = nextBlink.Add(blinkPeriod)
			if now.Sub(nextBlink) > blinkPeriod {
				nextBlink = now.Add(blinkPeriod) // fell far behind: skip, don't burst
				late++
			}
		}
		if !now.Before(nextRequest) && !r.waiting {
			r.send(handled)
			nextRequest = nextRequest.Add(requestPeriod)
		}
		if !srv.Step() {
			println("blink: server stopped:", srv.Err().Error())
			return
		}
		r.receive(handled)
		if !now.Before(nextReport) {
			println("blink:", r.requests, "requests,", toggles, "toggles,", late, "late,", r.errors, "errors")
			nextReport = nextReport.Add(time.Second)
			if simulated {
				if r.errors > 0 || r.requests < int(time.Second/requestPeriod) {
					println("blink: FAIL")
					exit(1)
				}
				return
			}
		}
		if !r.waiting {
			// Nothing in flight: sleep until the next event.
			wake := nextBlink
			if nextRequest.Before(wake) {
				wake = nextRequest
			}
			time.Sleep(time.Until(wake))
		}
	}
}
