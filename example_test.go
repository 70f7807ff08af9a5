package biplane_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// A server stepped by hand over an in-memory connection: the caller owns
// the loop, and each Step returns at once.
func Example() {
	var mux biplane.Mux
	mux.HandleFunc("GET /hello/{name}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{
			ContentType: "text/plain",
			Body:        []byte("Hello, " + r.PathValue("name") + "!\n"),
		}
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}

	client, _ := ln.Dial()
	client.Write([]byte("GET /hello/gopher HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))
	for range 10 {
		srv.Step() // bounded work; your own work goes between steps
	}
	resp, _ := io.ReadAll(client)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	// Output:
	// HTTP/1.1 200 OK
	// Content-Type: text/plain
	// Content-Length: 15
	// Connection: close
	//
	// Hello, gopher!
}

// The iterator form: Biplane's "for _ in server.start()" in Go.
func ExampleServer_Steps() {
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, NoDate: true}
	client, _ := ln.Dial()
	client.Write([]byte("GET /nothing HTTP/1.0\r\n\r\n"))
	led := false
	for i := range srv.Steps() {
		led = !led // runs between bounded steps
		if i == 9 {
			srv.Close()
		}
	}
	resp, _ := io.ReadAll(client)
	status, _, _ := strings.Cut(string(resp), "\r\n")
	fmt.Printf("%s; led=%v err=%v\n", status, led, srv.Err())
	// Output:
	// HTTP/1.1 404 Not Found; led=false err=<nil>
}
