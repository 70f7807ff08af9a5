// Command files serves a directory through package static, in a loop that
// also runs a ticker at -hz, as examples/blink does: files of any size
// stream from the same loop, one write buffer at a time, while the ticks
// stay on time.
//
//	go run ./examples/files -addr 127.0.0.1:8000 -dir ./public
//
// The directory is opened as an os.Root, so symbolic links cannot lead
// out of it. Dotfiles are not served; a directory is answered with its
// index.html.
//
// -cache-control sets the Cache-Control field of its 200, 206 and 304
// responses: by default "no-cache", so that caches keep files but ask
// again each time, which the ETag and Last-Modified make cheap (a 304);
// "max-age=3600" lets them serve a file for an hour without asking; ""
// sends no Cache-Control.
//
// Its first line of output says where it listens:
//
//	files: serving on http://127.0.0.1:8000/
//
// It measures how late each tick fires against its schedule. On SIGINT
// or SIGTERM it prints one line, blink's with the process's peak resident
// memory (VmHWM, in KiB) added, and exits 0:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C peak_rss_kib D
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/lateness"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	dir := flag.String("dir", ".", "directory to serve")
	hz := flag.Int("hz", 1000, "ticks per second")
	cacheControl := flag.String("cache-control", "no-cache", `Cache-Control of files' responses, e.g. "max-age=3600"; "" for none`)
	flag.Parse()
	if *hz <= 0 {
		fmt.Fprintln(os.Stderr, "files: -hz must be positive")
		os.Exit(2)
	}
	root, err := os.OpenRoot(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(1)
	}
	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{Listener: ln, Handler: &static.Server{FS: root.FS(), CacheControl: *cacheControl}}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	fmt.Printf("files: serving on http://%s/\n", ln.Addr())

	period := time.Second / time.Duration(*hz)
	var late lateness.Recorder // bounded, for a server that runs for days
	next := time.Now().Add(period)
	for {
		// The tick comes first after every wake-up, so serving never
		// delays it by more than one bounded step.
		if now := time.Now(); !now.Before(next) {
			late.Add(now.Sub(next))
			next = next.Add(period)
			if now.Sub(next) > period {
				next = now.Add(period) // fell far behind: skip, don't burst
			}
		}
		select {
		case <-stop:
			fmt.Printf("%s peak_rss_kib %d\n", late.Report(), peakRSS())
			srv.Close()
			return
		default:
		}
		if !srv.Step() {
			fmt.Fprintln(os.Stderr, "files:", srv.Err())
			os.Exit(1)
		}
		srv.Wait(time.Until(next))
	}
}

// peakRSS returns the process's peak resident set size in KiB, VmHWM in
// /proc/self/status, or -1 where there is none.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
