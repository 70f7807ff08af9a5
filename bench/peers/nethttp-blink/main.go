// Command nethttp-blink is the net/http peer of examples/blink: a goroutine
// toggles a simulated LED at -hz while net/http serves GET / (a page) and
// GET /led (the number of toggles so far), each connection in a goroutine
// of its own.
//
// The ticker goroutine keeps blink's schedule: it sleeps until the next
// tick, records how late it woke, and, having fallen more than a period
// behind, skips rather than bursts. On SIGINT or SIGTERM it prints blink's
// line and exits 0:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var page = []byte("<b>Hello from the blink loop!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	hz := flag.Int("hz", 100, "LED toggles per second")
	flag.Parse()
	if *hz <= 0 {
		fmt.Fprintln(os.Stderr, "blink: -hz must be positive")
		os.Exit(2)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "blink:", err)
		os.Exit(1)
	}
	var toggles atomic.Int64
	var mux http.ServeMux
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /led", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(strconv.AppendInt(nil, toggles.Load(), 10))
		w.Write([]byte("\n"))
	})
	go http.Serve(ln, &mux)
	fmt.Printf("blink: serving on http://%s/ at %d Hz\n", ln.Addr(), *hz)

	var (
		mu   sync.Mutex
		late = make([]time.Duration, 0, 1<<16)
		quit = make(chan struct{})
	)
	period := time.Second / time.Duration(*hz)
	go func() {
		led := false
		next := time.Now().Add(period)
		for {
			time.Sleep(time.Until(next))
			now := time.Now()
			mu.Lock()
			late = append(late, now.Sub(next))
			mu.Unlock()
			led = !led
			toggles.Add(1)
			next = next.Add(period)
			if now.Sub(next) > period {
				next = now.Add(period) // fell far behind: skip, don't burst
			}
			select {
			case <-quit:
				return
			default:
			}
		}
	}()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	close(quit)
	mu.Lock()
	report(late)
	mu.Unlock()
}

// report prints the tick count and lateness percentiles in microseconds,
// as examples/blink does.
func report(late []time.Duration) {
	slices.Sort(late)
	q := func(p float64) int64 {
		if len(late) == 0 {
			return 0
		}
		return late[int(p*float64(len(late)-1))].Microseconds()
	}
	fmt.Printf("ticks %d late_p50_us %d late_p99_us %d late_max_us %d\n",
		len(late), q(0.50), q(0.99), q(1))
}
