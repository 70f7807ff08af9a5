//go:build !tinygo

// Not built by TinyGo: it serves over real sockets (unixsock).

package static_test

import (
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/static"
)

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
			c := servertest.NewLoopClient(b, srv)
			first := []byte("GET /style.css HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
			warm := c.RoundTrip(first, 0, []byte(css))
			if strings.Contains(hdr, "{etag}") {
				resp := string(warm)
				i := strings.Index(resp, "ETag: ")
				etag := resp[i+6 : i+6+strings.Index(resp[i+6:], "\r\n")]
				hdr = strings.ReplaceAll(hdr, "{etag}", etag)
			}
			req := []byte("GET /style.css HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n" + hdr + "\r\n")
			n := len(c.RoundTrip(req, 0, []byte(bc.end)))
			b.SetBytes(int64(len(req) + n))
			b.ReportAllocs()
			for b.Loop() {
				c.RoundTrip(req, n, nil)
			}
		})
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
			c := servertest.NewLoopClient(t, &static.Server{FS: st.fsys})
			// Learn the response's length: head plus body.
			req := []byte("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
			head := len(c.RoundTrip(req, 0, []byte("\r\n\r\n")))
			n := head + bigSize
			get := []byte("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
			c.Download(get, n) // warm: pools, the epoll set
			const runs = 5
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				c.Download(get, n)
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
