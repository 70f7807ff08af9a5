// Command echo answers every method on every path with 200 and the request
// body echoed back as application/octet-stream, under the default limits.
// It is the server that conformance and attack tools are pointed at.
//
//	go run ./examples/echo -addr 127.0.0.1:8000
//
// Flags can shorten the timeouts or lower the connection cap, so that an
// attack run (scripts/hostile.sh) finishes quickly; zero keeps each
// default. -reuseport lets a replacement process bind the port while the
// old one drains (deploy/rolling-restart.sh).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	var lim biplane.Limits
	flag.DurationVar(&lim.RequestTimeout, "request-timeout", 0, "Limits.RequestTimeout; 0 means the default (10s)")
	flag.DurationVar(&lim.IdleTimeout, "idle-timeout", 0, "Limits.IdleTimeout; 0 means the default (60s)")
	flag.DurationVar(&lim.WriteTimeout, "write-timeout", 0, "Limits.WriteTimeout; 0 means the default (10s)")
	flag.IntVar(&lim.MaxConns, "max-conns", 0, "Limits.MaxConns; 0 means the default (1024)")
	reusePort := flag.Bool("reuseport", false, "set SO_REUSEPORT, so that another process may listen on the same port")
	drain := flag.Duration("drain", 10*time.Second, "how long SIGTERM or SIGINT lets requests in flight finish")
	flag.Parse()

	ln, err := unixsock.Config{ReusePort: *reusePort}.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{
		Listener: ln,
		Limits:   lim,
		// The body is a view into the connection's buffer; returning it
		// is safe because the server leaves that buffer alone until the
		// response is written.
		Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
		}),
	}
	fmt.Printf("echo: serving on http://%s/\n", ln.Addr())
	// SIGTERM or SIGINT drains gracefully: requests in flight finish.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		srv.Shutdown(*drain)
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}
