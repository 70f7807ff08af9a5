package static_test

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing/fstest"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/static"
)

// roundTrip sends one request with "Connection: close" to a server over
// memsock and returns the response, CRLFs shown as newlines.
func roundTrip(ln *memsock.Listener, req string) string {
	c, err := ln.Dial()
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	io.WriteString(c, strings.ReplaceAll(req, "\n", "\r\n")+"Connection: close\r\n\r\n")
	out, _ := io.ReadAll(c)
	return strings.ReplaceAll(string(out), "\r\n", "\n")
}

// A Server mounted under a Mux pattern, with Prefix removing the
// pattern's path. The site here is a MapFS; an embed.FS or os.DirFS
// serves the same way.
func Example() {
	site := fstest.MapFS{
		"index.html": {Data: []byte("<h1>Hello</h1>\n"), ModTime: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
	}
	var mux biplane.Mux
	mux.Handle("GET /static/", &static.Server{FS: site, Prefix: "/static"})

	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	served := make(chan error)
	go func() { served <- srv.Serve() }()

	fmt.Print(roundTrip(ln, "GET /static/ HTTP/1.1\nHost: example.com\n"))
	fmt.Println("---")
	fmt.Print(roundTrip(ln, "GET /static/index.html HTTP/1.1\nHost: example.com\nIf-None-Match: \"f-17ccd493b5ff3a00\"\n"))
	fmt.Println("---")
	fmt.Print(roundTrip(ln, "GET /static/index.html HTTP/1.1\nHost: example.com\nRange: bytes=4-8\n"))

	srv.Shutdown(time.Second)
	fmt.Println("---\nserve:", <-served)
	// Output:
	// HTTP/1.1 200 OK
	// Content-Type: text/html; charset=utf-8
	// Content-Length: 15
	// Connection: close
	// ETag: "f-17ccd493b5ff3a00"
	// Last-Modified: Mon, 06 May 2024 07:08:09 GMT
	// Accept-Ranges: bytes
	//
	// <h1>Hello</h1>
	// ---
	// HTTP/1.1 304 Not Modified
	// Connection: close
	// ETag: "f-17ccd493b5ff3a00"
	// Last-Modified: Mon, 06 May 2024 07:08:09 GMT
	//
	// ---
	// HTTP/1.1 206 Partial Content
	// Content-Type: text/html; charset=utf-8
	// Content-Length: 5
	// Connection: close
	// ETag: "f-17ccd493b5ff3a00"
	// Last-Modified: Mon, 06 May 2024 07:08:09 GMT
	// Accept-Ranges: bytes
	// Content-Range: bytes 4-8/15
	//
	// Hello---
	// serve: <nil>
}

//go:embed testdata/site/style.css testdata/site/app.js testdata/site/app.js.gz
var assets embed.FS

// Files embedded in the program, with a precompressed sibling: a client
// that accepts gzip gets app.js.gz, with app.js's type. Embedded files have
// no modification time, so their ETag is a hash of their content.
func Example_embed() {
	site, err := fs.Sub(assets, "testdata/site")
	if err != nil {
		panic(err)
	}
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &static.Server{FS: site}, NoDate: true}
	served := make(chan error)
	go func() { served <- srv.Serve() }()

	resp := roundTrip(ln, "HEAD /app.js HTTP/1.1\nHost: example.com\nAccept-Encoding: gzip, br\n")
	fmt.Print(resp)

	srv.Shutdown(time.Second)
	<-served
	// Output:
	// HTTP/1.1 200 OK
	// Content-Type: text/javascript; charset=utf-8
	// Content-Length: 638
	// Connection: close
	// ETag: "ha952811ce6d87ecf-27e-gz"
	// Vary: Accept-Encoding
	// Content-Encoding: gzip
	// Accept-Ranges: bytes
	//
}

func ExampleTypeByExtension() {
	fmt.Println(static.TypeByExtension("index.html"))
	fmt.Println(static.TypeByExtension("logo.SVG"))
	fmt.Println(static.TypeByExtension("data.bin"))
	// Output:
	// text/html; charset=utf-8
	// image/svg+xml
	// application/octet-stream
}
