//go:build !tinygo

// Not built by TinyGo: it serves over real sockets (unixsock).

package static_test

import (
	"bytes"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
)

// A loopClient is a non-blocking TCP client made of bare system calls,
// so that a benchmark can step the server and the client in one
// goroutine.
type loopClient struct {
	tb  testing.TB
	srv *biplane.Server
	fd  int
	buf []byte
}

func newLoopClient(tb testing.TB, h biplane.Handler) *loopClient {
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &biplane.Server{Listener: ln, Handler: h}
	tb.Cleanup(func() { srv.Close() })
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { syscall.Close(fd) })
	ap := ln.Addr()
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		tb.Fatal(err)
	}
	syscall.SetNonblock(fd, true)
	return &loopClient{tb: tb, srv: srv, fd: fd, buf: make([]byte, 64<<10)}
}

// roundTrip sends req and steps the server until want bytes of response
// have arrived (or, if want is 0, until a response ending in end
// arrives), returning the response length.
func (c *loopClient) roundTrip(req []byte, want int, end []byte) int {
	if _, err := syscall.Write(c.fd, req); err != nil {
		c.tb.Fatal(err)
	}
	got := 0
	for steps := 0; want == 0 || got < want; steps++ {
		if steps > 1_000_000 {
			c.tb.Fatalf("no response after %d steps: %q", steps, c.buf[:got])
		}
		c.srv.Step()
		n, _ := syscall.Read(c.fd, c.buf[got:])
		if n > 0 {
			got += n
			if want == 0 && bytes.HasSuffix(c.buf[:got], end) {
				return got
			}
		}
	}
	return got
}

// BenchmarkServe measures one keep-alive request for a small file
// (style.css, 67 bytes) through the whole loop over loopback, client and
// server in one goroutine: from each kind of FS, and answered 304.
func BenchmarkServe(b *testing.B) {
	css := readFile(b, mapSite(b), "style.css")
	root := dirSite(b)
	osRoot, err := os.OpenRoot(root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { osRoot.Close() })
	for _, bc := range []struct {
		name string
		fsys fs.FS
		hdr  string
		end  string
	}{
		{"MapFS", mapSite(b), "", css},
		{"embed", embedSite(b), "", css},
		{"DirFS", os.DirFS(root), "", css},
		{"RootFS", osRoot.FS(), "", css},
		{"MapFS/304", mapSite(b), "If-None-Match: {etag}\r\n", "GMT\r\n\r\n"},
		{"MapFS/range", mapSite(b), "Range: bytes=10-19\r\n", css[10:20]},
		{"MapFS/NoGzip", mapSite(b), "NoGzip", css},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := &static.Server{FS: bc.fsys}
			hdr := bc.hdr
			if hdr == "NoGzip" {
				srv.NoGzip, hdr = true, ""
			}
			c := newLoopClient(b, srv)
			first := []byte("GET /style.css HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
			n := c.roundTrip(first, 0, []byte(css))
			if strings.Contains(hdr, "{etag}") {
				resp := string(c.buf[:n])
				i := strings.Index(resp, "ETag: ")
				etag := resp[i+6 : i+6+strings.Index(resp[i+6:], "\r\n")]
				hdr = strings.ReplaceAll(hdr, "{etag}", etag)
			}
			req := []byte("GET /style.css HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n" + hdr + "\r\n")
			n = c.roundTrip(req, 0, []byte(bc.end))
			b.SetBytes(int64(len(req) + n))
			b.ReportAllocs()
			for b.Loop() {
				c.roundTrip(req, n, nil)
			}
		})
	}
}

// download sends req and steps the server until n bytes of response have
// arrived, discarding them.
func (c *loopClient) download(req []byte, n int) {
	if _, err := syscall.Write(c.fd, req); err != nil {
		c.tb.Fatal(err)
	}
	for got, steps := 0, 0; got < n; steps++ {
		if steps > 10_000_000 {
			c.tb.Fatalf("%d of %d bytes after %d steps", got, n, steps)
		}
		c.srv.Step()
		k, _ := syscall.Read(c.fd, c.buf[:min(len(c.buf), n-got)])
		if k > 0 {
			got += k
		}
	}
}

// TestStreamMemory: serving a 3 MiB file allocates a few hundred bytes,
// as a small file does, not an amount that grows with the file: the
// bytes go from the file into the connection's write buffer. Client and
// server run in this goroutine; the allocations counted are theirs.
func TestStreamMemory(t *testing.T) {
	for _, st := range []struct {
		name string
		fsys fs.FS
	}{{"MapFS", mapSite(t)}, {"DirFS", os.DirFS(dirSite(t))}} {
		t.Run(st.name, func(t *testing.T) {
			c := newLoopClient(t, &static.Server{FS: st.fsys})
			// Learn the response's length: head plus body.
			req := []byte("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
			head := c.roundTrip(req, 0, []byte("\r\n\r\n"))
			n := head + bigSize
			get := []byte("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
			c.download(get, n) // warm: pools, the epoll set
			const runs = 5
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				c.download(get, n)
			}
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / runs
			if perRun > 16<<10 {
				t.Errorf("%d bytes allocated per %d-byte download, want under 16 KiB", perRun, bigSize)
			}
			t.Logf("%d bytes allocated per %d-byte download", perRun, bigSize)
		})
	}
}
