// Command nethttp-files is the net/http peer of examples/files: it serves a
// directory with net/http's FileServer over http.Dir, the usual way, with
// net/http's defaults otherwise (no timeouts, no cap on connections), one
// goroutine per connection. FileServer sends a file's bytes with
// sendfile(2) where the connection is TCP, so this is net/http at its
// fastest for files.
//
//	go run ./peers/nethttp-files -addr 127.0.0.1:8000 -dir ./public
//
// It prints "files: serving on http://ADDR/" once it listens, and exits 0
// on SIGTERM or SIGINT.
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

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	dir := flag.String("dir", ".", "directory to serve")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()
	fmt.Printf("files: serving on http://%s/\n", ln.Addr())
	if err := http.Serve(ln, http.FileServer(http.Dir(*dir))); err != nil {
		fmt.Fprintln(os.Stderr, "files:", err)
		os.Exit(1)
	}
}
