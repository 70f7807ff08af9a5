// Command suiteserver serves a wasisock Listener, on the socket the WASI
// runtime preopened, to the transport suite over its standard input and
// output (package internal/transporttest/remote), so that the suite can
// check wasisock under a real runtime. examples/wasm's test runs it under
// wazero, built by Go and by TinyGo:
//
//	wazero run -listen=127.0.0.1:8000 suiteserver.wasm
//
// Outside WASI, wasisock.Listen fails and so does the command.
package main

import (
	"os"

	"github.com/biplane-go/biplane/internal/transporttest/remote"
	"github.com/biplane-go/biplane/wasisock"
)

func main() {
	l, err := wasisock.Listen()
	if err != nil {
		os.Stderr.WriteString("suiteserver: " + err.Error() + "\n")
		os.Exit(1)
	}
	if err := remote.Serve(l, os.Stdin, os.Stdout); err != nil {
		os.Stderr.WriteString("suiteserver: " + err.Error() + "\n")
		os.Exit(1)
	}
}
