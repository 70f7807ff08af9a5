// Command hello is Biplane's basic example: GET / answers
// "<b>Hello, world!</b>" as text/html.
//
//	go run ./examples/hello -addr 127.0.0.1:8000
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

var hello = []byte("<b>Hello, world!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	srv := &biplane.Server{Listener: ln, Handler: &mux}
	fmt.Printf("hello: serving on http://%s/\n", ln.Addr())
	// SIGTERM or SIGINT drains gracefully: requests in flight finish.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		srv.Shutdown(10 * time.Second)
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
