// Command upload is a device's firmware page in one binary and one loop:
// request bodies of any size are streamed to files as they arrive, with
// their SHA-256, while a blink timer in the same loop stays on time and
// open pages see each upload's progress over Server-Sent Events.
//
//	go run ./examples/upload -addr 127.0.0.1:8000 -dir /var/lib/device -token s3cret
//
// then open http://127.0.0.1:8000/, or upload from a shell:
//
//	curl -T firmware.bin -H 'Authorization: Bearer s3cret' http://127.0.0.1:8000/firmware
//
// Routes:
//
//	PUT  /firmware  the raw body becomes DIR/firmware.bin
//	POST /upload    multipart/form-data: the part named "file" becomes DIR/<its file name>
//	GET  /events    upload progress as Server-Sent Events
//	GET  /          the page (ui/index.html, ui/app.js, ui/style.css)
//
// Both upload routes take their body on its head ([biplane.Receive]): a
// client without the -token (401), or one that declares a body over
// -max (413; a form may have 64 KiB more, for its framing), is refused
// before any byte of its body is read, and gets no "100 Continue". An accepted body goes to a temporary file in DIR,
// hashed as it arrives, and is synced and renamed into place only once
// it is whole: a file of the final name is always complete. An upload
// that ends early (the client went away, the body stalled, the disk
// failed) leaves nothing behind. Nothing in the loop waits long on the
// disk: writeback is started every MiB, so that the final fsync has
// little left to do, and a replaced or discarded file is freed a MiB per
// turn of the loop rather than all at once. Each answers 200 with JSON:
//
//	{"name":"firmware.bin","bytes":1048576,"sha256":"…"}
//
// /events sends, for each upload in progress, at most 10 times a second,
// an event named "progress" whose data is {"id":1,"name":"firmware.bin",
// "bytes":N,"total":T} (total is -1 for a chunked body; name is empty
// until a form's file part begins), then one event named "done", the
// response's JSON with its id, or "abort", {"id":1,"name":…,"bytes":N,
// "error":"…"}.
//
// The first line of output says where it listens and stores:
//
//	upload: serving on http://127.0.0.1:8000/ (dir /tmp/upload-123)
//
// The blink timer runs at 100 Hz. On SIGINT or SIGTERM the server drains,
// then prints the timer's lateness as examples/blink does:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C
package main

import (
	"embed"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/lateness"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
	"github.com/biplane-go/biplane/web"
)

//go:embed ui
var files embed.FS

const (
	blinkHz       = 100
	progressEvery = 100 * time.Millisecond // at most 10 progress events a second per upload
	drainTimeout  = 5 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	dir := flag.String("dir", "", "directory the uploads are stored in (default: a new temporary directory)")
	token := flag.String("token", "", "Bearer token required on uploads (default: none, open)")
	maxBytes := flag.Int64("max", 64<<20, "largest upload, in bytes")
	timeout := flag.Duration("request-timeout", 0, "Limits.RequestTimeout: how long a head may take, or a body go without a byte (0: the library's 10 s)")
	failAfter := flag.Int64("fail-after", 0, "for tests: a firmware upload fails as if the disk were full after this many bytes (0: never)")
	flag.Parse()
	if *maxBytes < 1 {
		fmt.Fprintln(os.Stderr, "upload: -max must be positive")
		os.Exit(2)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "upload-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "upload:", err)
			os.Exit(1)
		}
		*dir = d
	}
	ui, err := fs.Sub(files, "ui")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}

	st := &store{dir: *dir, max: *maxBytes, failAfter: *failAfter}
	var firmware, form biplane.Handler = biplane.Receive(st.acceptFirmware), biplane.Receive(st.acceptForm)
	if *token != "" {
		// On the head, before the body: a refused client's body is never
		// read, and it is not invited to send it.
		check := web.CheckToken(*token)
		firmware, form = web.BearerAuth(check, firmware), web.BearerAuth(check, form)
	}
	var mux biplane.Mux
	mux.Handle("PUT /firmware", firmware)
	mux.Handle("POST /upload", form)
	mux.Handle("GET /events", &st.events)
	mux.Handle("GET /", &static.Server{FS: ui, CacheControl: "no-cache"})

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upload:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{Listener: ln, Handler: &mux, Limits: biplane.Limits{RequestTimeout: *timeout}}
	fmt.Printf("upload: serving on http://%s/ (dir %s)\n", ln.Addr(), *dir)

	// A signal ends the event streams on the loop, then drains: uploads
	// in flight may finish within drainTimeout, and are aborted after it.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	stopping := false

	period := time.Second / blinkHz
	var late lateness.Recorder
	var led bool
	nextTick := time.Now().Add(period)
	nextProgress := time.Now()
	for {
		// The tick comes first after every wake-up, so serving never
		// delays it by more than one bounded step.
		now := time.Now()
		if !now.Before(nextTick) {
			late.Add(now.Sub(nextTick))
			led = !led
			nextTick = nextTick.Add(period)
			if now.Sub(nextTick) > period {
				nextTick = now.Add(period) // fell far behind: skip, don't burst
			}
		}
		if !now.Before(nextProgress) {
			st.publishProgress()
			nextProgress = now.Add(progressEvery)
		}
		st.events.Tick(now)
		select {
		case <-stop:
			if !stopping {
				stopping = true
				st.events.Close()
				srv.Shutdown(drainTimeout)
			}
		default:
		}
		more := st.trash.step()
		if !srv.Step() {
			break
		}
		if more {
			srv.Wait(0) // more to free: go round again at once
		} else {
			srv.Wait(time.Until(earlier(nextTick, nextProgress)))
		}
	}
	if err := srv.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "upload:", err)
		os.Exit(1)
	}
	fmt.Println(late.Report())
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
