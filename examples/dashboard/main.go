// Command dashboard is a device dashboard in one binary and one loop: a
// static page from an embedded file system, a button that POSTs to toggle
// a simulated LED, and live readings pushed to every open page over
// Server-Sent Events, all served beside a blink timer that must stay on
// time.
//
//	go run ./examples/dashboard -addr 127.0.0.1:8000
//
// then open http://127.0.0.1:8000/. Routes:
//
//	GET  /        the page (ui/index.html, ui/app.js, ui/style.css)
//	GET  /events  readings as Server-Sent Events named "reading", every 100 ms
//	POST /led     toggles the LED; answers {"led":true,"toggles":1}
//
// The blink timer runs at -hz (default 100) in the same loop that serves
// HTTP; while the LED is on it lights and darkens it once a second. On
// SIGINT or SIGTERM the dashboard ends its event streams, drains, and
// prints the timer's lateness as examples/blink does.
package main

import (
	"embed"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/lateness"
	"github.com/biplane-go/biplane/sse"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
)

//go:embed ui
var files embed.FS

// readingEvery is how often readings go out over the event stream.
const readingEvery = 100 * time.Millisecond

// device is the simulated hardware and the blink timer's record, all
// touched only by the loop.
type device struct {
	hz      int
	led     bool // switched on by the button
	lit     bool // the blink phase while on
	toggles int
	ticks   uint64
	late    lateness.Recorder // every tick's lateness, for the exit line
	recent  [1024]time.Duration
	scratch []time.Duration
	start   time.Time
}

// tick is one blink-timer tick, late by late.
func (d *device) tick(late time.Duration) {
	d.ticks++
	d.recent[d.ticks%uint64(len(d.recent))] = late
	d.late.Add(late)
	if d.led && d.ticks%uint64(max(d.hz/2, 1)) == 0 {
		d.lit = !d.lit
	}
}

// recentP99 is the 99th percentile of the last ticks' lateness, in µs.
func (d *device) recentP99() int64 {
	n := min(int(d.ticks), len(d.recent))
	if n == 0 {
		return 0
	}
	d.scratch = append(d.scratch[:0], d.recent[:n]...)
	slices.Sort(d.scratch)
	return d.scratch[n*99/100].Microseconds()
}

// temperature is a simulated sensor: a slow wave with a little ripple.
func (d *device) temperature(now time.Time) float64 {
	t := now.Sub(d.start).Seconds()
	return 21.5 + 1.5*math.Sin(t/10) + 0.1*math.Sin(t*3.7)
}

// appendReading appends the current reading as JSON.
func (d *device) appendReading(dst []byte, now time.Time, conns int) []byte {
	dst = append(dst, `{"temp":`...)
	dst = strconv.AppendFloat(dst, d.temperature(now), 'f', 3, 64)
	dst = append(dst, `,"led":`...)
	dst = strconv.AppendBool(dst, d.led)
	dst = append(dst, `,"lit":`...)
	dst = strconv.AppendBool(dst, d.led && d.lit)
	dst = append(dst, `,"ticks":`...)
	dst = strconv.AppendUint(dst, d.ticks, 10)
	dst = append(dst, `,"late_p99_us":`...)
	dst = strconv.AppendInt(dst, d.recentP99(), 10)
	dst = append(dst, `,"conns":`...)
	dst = strconv.AppendInt(dst, int64(conns), 10)
	dst = append(dst, `,"toggles":`...)
	dst = strconv.AppendInt(dst, int64(d.toggles), 10)
	dst = append(dst, `,"hz":`...)
	dst = strconv.AppendInt(dst, int64(d.hz), 10)
	return append(dst, '}')
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	hz := flag.Int("hz", 100, "blink timer frequency")
	flag.Parse()
	if *hz < 1 {
		fmt.Fprintln(os.Stderr, "dashboard: -hz must be at least 1")
		os.Exit(2)
	}
	ui, err := fs.Sub(files, "ui")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}

	dev := &device{hz: *hz, start: time.Now()}
	var events sse.Broker
	var mux biplane.Mux
	// The page's files may change with the program, so caches keep them
	// but ask again each time: their content-hash ETags make that a 304.
	mux.Handle("GET /", &static.Server{FS: ui, CacheControl: "no-cache"})
	mux.Handle("GET /events", &events)
	var answer []byte
	mux.HandleFunc("POST /led", func(r *biplane.Request) biplane.Response {
		dev.led = !dev.led
		dev.lit = dev.led
		dev.toggles++
		answer = append(answer[:0], `{"led":`...)
		answer = strconv.AppendBool(answer, dev.led)
		answer = append(answer, `,"toggles":`...)
		answer = strconv.AppendInt(answer, int64(dev.toggles), 10)
		answer = append(answer, '}')
		return biplane.Response{ContentType: "application/json", Body: answer,
			Header: []biplane.Field{{Name: "Cache-Control", Value: "no-store"}}}
	})

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{Listener: ln, Handler: &mux}
	// When the drain begins, the event streams end on the loop: they would
	// otherwise hold it until its deadline.
	srv.OnShutdown(events.Close)
	fmt.Printf("dashboard: serving on http://%s/\n", ln.Addr())

	// A signal drains gracefully.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)

	period := time.Second / time.Duration(*hz)
	nextTick := time.Now().Add(period)
	nextReading := time.Now()
	var reading []byte
	for {
		// The tick comes first after every wake-up, so serving never
		// delays it by more than one bounded step.
		now := time.Now()
		if !now.Before(nextTick) {
			dev.tick(now.Sub(nextTick))
			nextTick = nextTick.Add(period)
			if now.Sub(nextTick) > period {
				nextTick = now.Add(period) // fell far behind: skip, don't burst
			}
		}
		if !now.Before(nextReading) {
			reading = dev.appendReading(reading[:0], now, srv.Conns())
			events.Publish(sse.Event{Type: "reading", Data: string(reading)})
			nextReading = now.Add(readingEvery)
		}
		events.Tick(now)
		select {
		case <-stop:
			srv.Shutdown(5 * time.Second) // calls after the first do nothing
		default:
		}
		if !srv.Step() {
			break
		}
		next := nextTick
		if nextReading.Before(next) {
			next = nextReading
		}
		srv.Wait(time.Until(next))
	}
	if err := srv.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
	fmt.Println(dev.late.Report())
}
