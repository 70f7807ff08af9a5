package memsock_test

import (
	"fmt"
	"io"

	"github.com/biplane-go/biplane/memsock"
)

// A client and the server end of one in-memory connection. The server end
// never blocks; the client may, so in real use it runs in its own goroutine.
func Example() {
	l := memsock.NewListener()
	client, _ := l.Dial()
	client.Write([]byte("ping"))

	server, _ := l.Accept()
	buf := make([]byte, 16)
	n, _ := server.Read(buf)
	fmt.Printf("server read %q\n", buf[:n])
	_, err := server.Read(buf)
	fmt.Println("then:", err)

	server.Write([]byte("pong"))
	server.Close()
	reply, _ := io.ReadAll(client)
	fmt.Printf("client read %q, then EOF\n", reply)
	// Output:
	// server read "ping"
	// then: biplane: operation would block
	// client read "pong", then EOF
}
