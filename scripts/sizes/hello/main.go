// Command hello is examples/hello over memsock instead of unixsock, for
// targets without sockets (TinyGo's cortex-m-qemu) and to compare code size
// across targets: scripts/sizes.sh builds it. It serves one in-memory
// request, GET /, prints the response and exits.
package main

import (
	"io"
	"os"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	ln := memsock.NewListener()
	ln.BufferSize = 1024 // the default 64 KiB per direction is RAM a board lacks
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	client, err := ln.Dial()
	if err != nil {
		panic(err)
	}
	client.Write([]byte("GET / HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n"))
	for i := 0; i < 100; i++ {
		srv.Step()
		if i > 0 && srv.Conns() == 0 {
			break
		}
	}
	resp, _ := io.ReadAll(client) // the server has answered and closed
	os.Stdout.Write(resp)
	os.Stdout.WriteString("\n")
}
