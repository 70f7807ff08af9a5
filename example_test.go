package biplane_test

import (
	"fmt"
	"io"
	"strings"
	"time"

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

// counter is a Receiver that counts a body's bytes and lines as they
// arrive, without keeping them.
type counter struct{ bytes, lines int }

func (c *counter) Write(p []byte) (int, error) {
	c.bytes += len(p)
	c.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

func (c *counter) Done() (biplane.Response, error) {
	return biplane.Response{Body: fmt.Appendf(nil, "%d bytes, %d lines\n", c.bytes, c.lines)}, nil
}

func (c *counter) Abort(err error) { fmt.Println("aborted:", err) }

// A route that takes its body as it arrives, decided on the head: the
// handler runs before any byte of the body is read, refuses or accepts it
// into a Receiver, and the Receiver's Done answers once the body is whole.
// Memory stays bounded by the read buffer, whatever the body's size.
func ExampleReceive() {
	var mux biplane.Mux
	mux.Handle("PUT /log", biplane.Receive(func(r *biplane.Request) biplane.Response {
		if string(r.Header("Content-Type")) != "text/plain" {
			return biplane.Response{Status: 415} // sent before the body is read
		}
		r.LimitBody(biplane.BodyLimits{MaxBytes: 1 << 30}) // this route only
		return biplane.Response{Receive: &counter{}}
	}))
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}

	client, _ := ln.Dial()
	body := strings.Repeat("a line of the log\n", 10000) // 180,000 bytes
	fmt.Fprintf(client, "PUT /log HTTP/1.1\r\nHost: example\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
	go io.Copy(client, strings.NewReader(body)) // the client sends as the server reads
	resp := make([]byte, 0, 256)
	for !strings.HasSuffix(string(resp), "lines\n") {
		srv.Step()
		srv.Wait(time.Millisecond)
		resp = readSome(client, resp)
	}
	_, answer, _ := strings.Cut(string(resp), "\r\n\r\n")
	fmt.Print(answer)
	// Output:
	// 180000 bytes, 10000 lines
}

// readSome appends what client has ready to b, without waiting for more.
func readSome(client *memsock.Client, b []byte) []byte {
	client.SetReadDeadline(time.Now())
	n, _ := client.Read(b[len(b):cap(b)])
	return b[:len(b)+n]
}
