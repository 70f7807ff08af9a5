// Command blink is Biplane's parallel-execution example: one loop toggles a
// simulated LED at -hz while it serves HTTP, with no other goroutine doing
// either. GET / answers a page, GET /led the number of toggles so far.
//
// It measures how late each tick fires against its schedule. On SIGINT or
// SIGTERM it prints one line and exits 0:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/lateness"
	"github.com/biplane-go/biplane/unixsock"
)

var page = []byte("<b>Hello from the blink loop!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	hz := flag.Int("hz", 100, "LED toggles per second")
	stepConns := flag.Int("step-conns", 4, "connections advanced per step (Server.StepConns): fewer keep ticks closer to schedule under load")
	flag.Parse()
	if *hz <= 0 {
		fmt.Fprintln(os.Stderr, "blink: -hz must be positive")
		os.Exit(2)
	}

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blink:", err)
		os.Exit(1)
	}
	var led bool
	var toggles int
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: page}
	})
	mux.HandleFunc("GET /led", func(r *biplane.Request) biplane.Response {
		body := strconv.AppendInt(nil, int64(toggles), 10)
		return biplane.Response{ContentType: "text/plain", Body: append(body, '\n')}
	})
	srv := &biplane.Server{Listener: ln, Handler: &mux, StepConns: *stepConns}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	fmt.Printf("blink: serving on http://%s/ at %d Hz\n", ln.Addr(), *hz)

	period := time.Second / time.Duration(*hz)
	var late lateness.Recorder
	next := time.Now().Add(period)
	for {
		// The tick comes first after every wake-up, so serving never
		// delays it by more than one bounded step.
		if now := time.Now(); !now.Before(next) {
			late.Add(now.Sub(next))
			led = !led
			toggles++
			next = next.Add(period)
			if now.Sub(next) > period {
				next = now.Add(period) // fell far behind: skip, don't burst
			}
		}
		select {
		case <-stop:
			fmt.Println(late.Report())
			srv.Close()
			return
		default:
		}
		if !srv.Step() {
			fmt.Fprintln(os.Stderr, "blink:", srv.Err())
			os.Exit(1)
		}
		srv.Wait(time.Until(next))
	}
}
