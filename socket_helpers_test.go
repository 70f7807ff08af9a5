//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import "github.com/biplane-go/biplane"

// What the socket tests share beyond internal/servertest, the harness
// that runs a Server over a real socket on 127.0.0.1 for them.

// echo answers with the request body; /panic panics.
var echo = biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
	if string(r.Path()) == "/panic" {
		panic("handler panic on purpose")
	}
	return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
})

func get(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"
}
