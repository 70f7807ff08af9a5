// Command upload is biplane's server for run.sh's uploads phase: it takes
// request bodies two ways and discards them, answering 200 with the number
// of bytes taken, as text.
//
//	POST /buffered  the body is read into memory whole, as for any
//	                handler (Limits.MaxBodyBytes raised to -max-body),
//	                then discarded: examples/echo's way, without the echo
//	POST /stream    the body goes to a Receiver as it arrives
//	                (biplane.Receive), which counts it and drops it: a
//	                route that takes a body larger than memory
//
//	go run ./upload -addr 127.0.0.1:8000
//
// The limits are the defaults otherwise; -read-buffer sets
// Limits.ReadBufferSize, the connection's read buffer, which a streamed
// body passes through (4 KiB by default). It prints "upload: serving on
// http://ADDR/" once it listens, and exits 0 on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	maxBody := flag.Int("max-body", 65<<20, "Limits.MaxBodyBytes, for /buffered; /stream takes up to 1 GiB")
	readBuffer := flag.Int("read-buffer", 0, "Limits.ReadBufferSize; 0 means the default (4 KiB)")
	flag.Parse()

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upload:", err)
		os.Exit(1)
	}
	var mux biplane.Mux
	mux.HandleFunc("POST /buffered", func(r *biplane.Request) biplane.Response {
		return count(int64(len(r.Body())))
	})
	mux.Handle("POST /stream", biplane.Receive(func(r *biplane.Request) biplane.Response {
		r.LimitBody(biplane.BodyLimits{MaxBytes: 1 << 30})
		return biplane.Response{Receive: new(counter)}
	}))
	srv := &biplane.Server{Listener: ln, Handler: &mux, Limits: biplane.Limits{MaxBodyBytes: *maxBody, ReadBufferSize: *readBuffer}}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()
	fmt.Printf("upload: serving on http://%s/\n", ln.Addr())
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, "upload:", err)
		os.Exit(1)
	}
}

// A counter is a [biplane.Receiver] that counts the body and drops it.
type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func (c *counter) Done() (biplane.Response, error) { return count(c.n), nil }

func (c *counter) Abort(error) {}

func count(n int64) biplane.Response {
	return biplane.Response{ContentType: "text/plain; charset=utf-8", Body: strconv.AppendInt(nil, n, 10)}
}
