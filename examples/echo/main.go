// Command echo answers every method on every path with 200 and the request
// body echoed back as application/octet-stream, under the default limits.
// It is the server that conformance and attack tools are pointed at.
//
//	go run ./examples/echo -addr 127.0.0.1:8000
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
	flag.Parse()

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{
		Listener: ln,
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
		srv.Shutdown(10 * time.Second)
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}
