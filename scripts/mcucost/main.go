// Command mcucost serves the hello page to an in-memory client, request
// after request, and brackets each step of the server with calls of marker
// functions, so that an instruction counter outside the program (the QEMU
// plugin in plugin/, driven by scripts/mcu-cost.sh) counts the server's own
// instructions and not the client's. Built with TinyGo for cortex-m-qemu
// and riscv-qemu; it also runs natively, where it only checks itself.
//
// It runs three phases, each announced by its own marker:
//
//	empty      a marker and the closing marker alone: what a bracket costs
//	keepalive  curl's GET / on one kept-alive connection
//	close      the same with Connection: close, a new connection each
//
// Each phase is warmed up first (pools filled, tables grown), then measured
// over a fixed number of requests. The client's work (Dial, Write of the
// request, Read of the response, Close) happens outside the brackets, and so
// do the checks of the loop and runtime.ReadMemStats. A collection is forced
// before each measured request, also outside, so that none runs inside a
// bracket on account of whoever allocated: the figures leave garbage
// collection out, and the allocations are counted instead. It prints one
// line per phase:
//
//	mcucost PHASE requests N steps S mallocs M
//
// where steps counts the brackets and mallocs the heap allocations made
// inside them (runtime.MemStats.Mallocs). Every response is compared with
// the first, so a wrong answer fails the run.
package main

import (
	"io"
	"os"
	"runtime"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

const (
	warmup   = 50
	measured = 500
)

const helloPage = "<b>Hello, world!</b>"

var (
	hello = []byte(helloPage)
	// What curl 8 sends for curl http://board.local/ (and with -H
	// 'Connection: close').
	keepAlive = []byte("GET / HTTP/1.1\r\nHost: board.local\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
	closing   = []byte("GET / HTTP/1.1\r\nHost: board.local\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")
)

// The markers. Each writes its own variable so that no two are folded into
// one function; the counter knows them by their symbols (main.markEmpty, …).
var marks [4]uint32

//go:noinline
func markOff() { marks[0]++ }

//go:noinline
func markEmpty() { marks[1]++ }

//go:noinline
func markKeepAlive() { marks[2]++ }

//go:noinline
func markClose() { marks[3]++ }

// phase tallies one phase.
type phase struct {
	name            string
	requests, steps int
	mallocs         uint64
	ms              runtime.MemStats
}

// begin and end bracket a stretch whose allocations count.
func (p *phase) begin() { runtime.ReadMemStats(&p.ms) }
func (p *phase) end() {
	m := p.ms.Mallocs
	runtime.ReadMemStats(&p.ms)
	p.mallocs += p.ms.Mallocs - m
}

func (p *phase) print() {
	println("mcucost", p.name, "requests", p.requests, "steps", p.steps, "mallocs", p.mallocs)
}

// The checks of the responses do not use package bytes: bytes.Equal
// converts its arguments to strings, which allocates under TinyGo 0.41.
func same(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func equal(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, s string) bool { return len(b) >= len(s) && same(b[:len(s)], s) }
func hasSuffix(b []byte, s string) bool { return len(b) >= len(s) && same(b[len(b)-len(s):], s) }

func contains(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if same(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}

func fail(msg string) {
	println("mcucost: FAIL:", msg)
	os.Exit(1)
}

func main() {
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	ln := memsock.NewListener()
	ln.BufferSize = 1024
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true, Limits: biplane.Limits{
		ReadBufferSize: 1024, WriteBufferSize: 1024, MaxConns: 4,
	}}
	buf := make([]byte, 1024)
	var want []byte

	// empty: the cost of a bracket, subtracted from the others.
	empty := phase{name: "empty"}
	empty.begin()
	for range measured {
		markEmpty()
		markOff()
		empty.steps++
	}
	empty.end()
	empty.print()

	// keepalive: one connection, request after request.
	ka := phase{name: "keepalive"}
	c, err := ln.Dial()
	if err != nil {
		fail(err.Error())
	}
	for i := range warmup + measured {
		measure := i >= warmup
		if _, err := c.Write(keepAlive); err != nil {
			fail(err.Error())
		}
		before := srv.Stats().Requests
		if measure {
			runtime.GC()
			ka.begin()
		}
		for n := 0; srv.Stats().Requests == before; n++ {
			if n == 10 {
				fail("keepalive: no answer after 10 steps")
			}
			if measure {
				markKeepAlive()
				srv.Step()
				markOff()
				ka.steps++
			} else {
				srv.Step()
			}
		}
		if measure {
			ka.end()
			ka.requests++
		}
		// The whole response is in the connection's buffer now: one Read
		// takes it without blocking.
		n, err := c.Read(buf)
		if err != nil {
			fail(err.Error())
		}
		if want == nil {
			want = append([]byte(nil), buf[:n]...)
			if !hasPrefix(want, "HTTP/1.1 200 OK\r\n") || !hasSuffix(want, helloPage) {
				fail("unexpected response: " + string(want))
			}
		} else if !equal(buf[:n], want) {
			fail("keepalive: response differs: " + string(buf[:n]))
		}
	}
	c.Close()
	for srv.Conns() > 0 {
		srv.Step()
	}
	ka.print()

	// close: a new connection for each request, closed by the server after
	// its response. The server's steps until the connection is gone count.
	cl := phase{name: "close"}
	for i := range warmup + measured {
		measure := i >= warmup
		c, err := ln.Dial()
		if err != nil {
			fail(err.Error())
		}
		if _, err := c.Write(closing); err != nil {
			fail(err.Error())
		}
		before := srv.Stats().Requests
		if measure {
			runtime.GC()
			cl.begin()
		}
		for n := 0; srv.Stats().Requests == before || srv.Conns() > 0; n++ {
			if n == 10 {
				fail("close: connection still open after 10 steps")
			}
			if measure {
				markClose()
				srv.Step()
				markOff()
				cl.steps++
			} else {
				srv.Step()
			}
		}
		if measure {
			cl.end()
			cl.requests++
		}
		n, err := io.ReadFull(c, buf) // the server has closed: EOF, no blocking
		if err != io.ErrUnexpectedEOF {
			fail("close: reading the response: " + err.Error())
		}
		got := buf[:n]
		if !hasPrefix(got, "HTTP/1.1 200 OK\r\n") || !hasSuffix(got, helloPage) || !contains(got, "\r\nConnection: close\r\n") {
			fail("close: unexpected response: " + string(got))
		}
		c.Close()
	}
	cl.print()
}
