//go:build !tinygo

// Not built by TinyGo: it imports net/http.

package nethttp_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing/fstest"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/nethttp"
)

// serve sends one raw request to h over an in-memory connection and
// returns the response as text, with "\n" for CRLF.
func serve(h biplane.Handler, request string) string {
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: h, NoDate: true}
	client, _ := ln.Dial()
	client.Write([]byte(request))
	client.CloseWrite()
	for range 20 {
		srv.Step()
	}
	resp, _ := io.ReadAll(client)
	srv.Close()
	return strings.ReplaceAll(string(resp), "\r\n", "\n")
}

// An http.ServeMux with Go 1.22 patterns, served by biplane.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	h := nethttp.Handler(mux)

	fmt.Print(serve(h, "GET /items/42 HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))
	fmt.Print(serve(h, "DELETE /items/42 HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))
	// Output:
	// HTTP/1.1 200 OK
	// Content-Length: 8
	// Connection: close
	// Content-Type: text/plain
	//
	// item 42
	// HTTP/1.1 405 Method Not Allowed
	// Content-Length: 19
	// Connection: close
	// Allow: GET, HEAD
	// Content-Type: text/plain; charset=utf-8
	// X-Content-Type-Options: nosniff
	//
	// Method Not Allowed
}

// http.FileServer through the adapter answers ranges itself.
func ExampleHandler_fileServer() {
	files := fstest.MapFS{"hello.txt": {
		Data:    []byte("Hello, world!\n"),
		ModTime: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}}
	h := nethttp.Handler(http.FileServerFS(files))
	fmt.Print(serve(h, "GET /hello.txt HTTP/1.1\r\nHost: example\r\nRange: bytes=7-11\r\nConnection: close\r\n\r\n"))
	// Output:
	// HTTP/1.1 206 Partial Content
	// Content-Length: 5
	// Connection: close
	// Accept-Ranges: bytes
	// Content-Range: bytes 7-11/14
	// Content-Type: text/plain; charset=utf-8
	// Last-Modified: Wed, 01 May 2024 12:00:00 GMT
	//
	// world
}

// net/http handlers mounted on a biplane.Mux see its wildcards, and a
// response over MaxResponseBytes is answered 500.
func ExampleAdapter() {
	var mux biplane.Mux
	mux.Handle("GET /greet/{name}", &nethttp.Adapter{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "Hello, %s!", r.PathValue("name"))
		}),
		MaxResponseBytes: 16,
	})
	for _, name := range []string{"gopher", "a-rather-long-name"} {
		resp := serve(&mux, "GET /greet/"+name+" HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n")
		status, _, _ := strings.Cut(resp, "\n")
		_, body, _ := strings.Cut(resp, "\n\n")
		fmt.Printf("%s: %q\n", status, body)
	}
	// Output:
	// HTTP/1.1 200 OK: "Hello, gopher!"
	// HTTP/1.1 500 Internal Server Error: "500 internal server error: response larger than MaxResponseBytes\n"
}
