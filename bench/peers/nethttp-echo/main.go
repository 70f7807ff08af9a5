// Command nethttp-echo is the net/http peer of examples/echo: it answers
// every method on every path with 200 and the request body echoed back as
// application/octet-stream, so that conformance tools and benchmarks can
// put the two servers side by side.
//
//	go run ./peers/nethttp-echo -addr 127.0.0.1:8000
//
// Like examples/echo, it prints "echo: serving on http://ADDR/" on stdout
// once it is listening, so a caller that passes port 0 can read the address.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

// maxBody matches biplane's DefaultMaxBodyBytes, so that both servers hold
// at most the same body.
const maxBody = 1 << 20

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			// net/http has already decided on the status for a body it
			// could not read (413 for MaxBytesReader); anything else is
			// the client's fault.
			status := http.StatusBadRequest
			if _, ok := err.(*http.MaxBytesError); ok {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	fmt.Printf("echo: serving on http://%s/\n", ln.Addr())
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}
