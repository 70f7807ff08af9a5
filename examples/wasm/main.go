// Command wasm is the hello example as a WebAssembly module for WASI
// preview 1, serving on the socket its runtime opens for it: GET / answers
// "<b>Hello, world!</b>" as text/html, and POST /echo answers with the
// request's body. It starts no goroutine, so it builds with TinyGo's
// -scheduler=none as well as with Go:
//
//	tinygo build -target=wasip1 -scheduler=none -o hello.wasm ./examples/wasm
//	GOOS=wasip1 GOARCH=wasm go build -o hello.wasm ./examples/wasm
//	wazero run -listen=127.0.0.1:8000 hello.wasm
package main

import (
	"os"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/wasisock"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	ln, err := wasisock.Listen()
	if err != nil {
		os.Stderr.WriteString("wasm: " + err.Error() + "\n")
		os.Exit(1)
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	mux.HandleFunc("POST /echo", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
	})
	// Wait in poll_oneoff where the runtime reports socket readiness;
	// elsewhere (wazero) the server polls its connections in turn.
	var bl biplane.Listener = ln
	mode := "polling"
	if ln.CanPoll() {
		bl, mode = ln.Poller(), "poll_oneoff"
	}
	srv := &biplane.Server{Listener: bl, Handler: &mux}
	os.Stdout.WriteString("wasm: serving on fd " + itoa(int(ln.FD())) + " (" + mode + ")\n")
	if err := srv.Serve(); err != nil {
		os.Stderr.WriteString("wasm: " + err.Error() + "\n")
		os.Exit(1)
	}
}

// itoa avoids strconv, to keep the module small.
func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
