// Command hello is Biplane's basic example: GET / answers
// "<b>Hello, world!</b>" as text/html.
//
//	go run ./examples/hello -addr 127.0.0.1:8000
//
// With -loops N it runs N loops, each in a goroutine of its own with its
// own listening socket on the same address (SO_REUSEPORT, so the kernel
// spreads new connections over them) and its own biplane.Server. Each loop
// still serves all of its connections itself; set GOMAXPROCS to let the
// loops use as many cores.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	loops := flag.Int("loops", 1, "number of loops, each with its own SO_REUSEPORT listener")
	flag.Parse()
	if *loops < 1 {
		fmt.Fprintln(os.Stderr, "hello: -loops must be at least 1")
		os.Exit(2)
	}

	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	// One loop listens as before; several share the port.
	cfg := unixsock.Config{ReusePort: *loops > 1}
	srvs := make([]*biplane.Server, *loops)
	var ln *unixsock.Listener
	for i := range srvs {
		var err error
		ln, err = cfg.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
		// Port 0 picks a port once; the other loops join it.
		*addr = ln.Addr().String()
		// Mux is read-only once built, so the loops can share it.
		srvs[i] = &biplane.Server{Listener: ln, Handler: &mux}
	}
	fmt.Printf("hello: serving on http://%s/\n", ln.Addr())
	// SIGTERM or SIGINT drains gracefully: requests in flight finish.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		for _, srv := range srvs {
			srv.Shutdown(10 * time.Second)
		}
	}()
	errs := make([]error, len(srvs))
	var wg sync.WaitGroup
	for i, srv := range srvs {
		wg.Go(func() { errs[i] = srv.Serve() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
	}
}
