// Command nethttp-hello is the net/http peer of examples/hello: GET / answers
// "<b>Hello, world!</b>" as text/html, anything else on / 405 and other
// paths 404, with net/http's defaults otherwise (no timeouts, no cap on
// connections), one goroutine per connection.
//
//	go run ./peers/nethttp-hello -addr 127.0.0.1:8000
//
// It prints "hello: serving on http://ADDR/" once it listens, and exits 0 on
// SIGTERM or SIGINT, so that a profiler running it writes its output.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	var mux http.ServeMux
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(hello)
	})
	exitOnSignal()
	fmt.Printf("hello: serving on http://%s/\n", ln.Addr())
	if err := http.Serve(ln, &mux); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

// exitOnSignal exits 0 on SIGTERM or SIGINT.
func exitOnSignal() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()
}
