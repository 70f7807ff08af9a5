//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// TestBoundedMemory: hostile input never makes the server allocate more
// than a connection's buffers, as the limits size them, plus a small
// constant. A 2 MiB header is refused at 8 KiB; a chunk declaring 4 GiB is
// refused before a byte of it is read. The bound is on all allocation in
// the process during the attack (TotalAlloc), not on what remains live.
func TestBoundedMemory(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	const bound = 96 << 10 // the 16 KiB head buffer and its 4+8 KiB predecessors, the pool entry, slack
	for _, tc := range []struct {
		name   string
		head   string
		body   []byte
		status string
	}{
		{"2 MiB header", "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ", bytes.Repeat([]byte("a"), 2<<20), "431"},
		{"4 GiB chunk", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n100000000\r\n", bytes.Repeat([]byte("b"), 2<<20), "413"},
		{"4 GiB Content-Length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4294967296\r\n\r\n", bytes.Repeat([]byte("c"), 2<<20), "413"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", hs.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(30 * time.Second))
			status := make([]byte, 12)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			io.WriteString(nc, tc.head)
			nc.Write(tc.body) // may fail once the server has refused and closed
			if _, err := io.ReadFull(nc, status); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if !strings.HasSuffix(string(status), tc.status) {
				t.Fatalf("got %q, want status %s", status, tc.status)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
				t.Errorf("allocated %d bytes during the attack, bound %d", grew, bound)
			} else {
				t.Logf("allocated %d bytes (bound %d)", grew, bound)
			}
		})
	}
}
