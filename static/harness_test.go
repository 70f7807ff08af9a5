//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package static_test

import (
	"bufio"
	"embed"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A harness runs a biplane.Server over a real socket on 127.0.0.1 in a
// goroutine of its own; the test talks to it through the socket, or runs
// code on the loop with do.
type harness struct {
	t     testing.TB
	srv   *biplane.Server
	addr  string
	calls chan func()
	done  chan struct{}
}

func startServer(t testing.TB, h biplane.Handler) *harness {
	t.Helper()
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{
		t:     t,
		srv:   &biplane.Server{Listener: ln, Handler: h},
		addr:  ln.Addr().String(),
		calls: make(chan func()),
		done:  make(chan struct{}),
	}
	go func() {
		defer close(hs.done)
		for range hs.srv.Steps() {
			select {
			case f := <-hs.calls:
				f()
			default:
			}
			// Bounded, so that calls from the test are picked up.
			hs.srv.Wait(2 * time.Millisecond)
		}
	}()
	t.Cleanup(hs.stop)
	return hs
}

// stop closes the server and waits for its loop to end. Calling it again
// does nothing.
func (hs *harness) stop() {
	hs.do(func() { hs.srv.Close() })
	<-hs.done
	if err := hs.srv.Err(); err != nil {
		hs.t.Errorf("server stopped with %v", err)
	}
}

// do runs f on the server's loop and waits for it.
func (hs *harness) do(f func()) {
	ran := make(chan struct{})
	select {
	case hs.calls <- func() { f(); close(ran) }:
		<-ran
	case <-hs.done:
	}
}

func (hs *harness) url(path string) string { return "http://" + hs.addr + path }

// dial opens a raw TCP connection with a generous deadline, so that a
// server bug fails the test instead of hanging it.
func (hs *harness) dial() *rawConn {
	hs.t.Helper()
	c, err := net.Dial("tcp", hs.addr)
	if err != nil {
		hs.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	hs.t.Cleanup(func() { c.Close() })
	return &rawConn{t: hs.t, Conn: c, br: bufio.NewReader(c)}
}

type rawConn struct {
	t testing.TB
	net.Conn
	br *bufio.Reader
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response reads one response; method is the request's, for HEAD.
func (c *rawConn) response(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("reading body: %v", err)
	}
	return resp, string(body)
}

// newClient returns a net/http client that neither asks for gzip on its
// own (it would then decode it, hiding Content-Encoding) nor follows
// redirects, with a generous timeout.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// The site every test serves: testdata/site, as an embed.FS, as a MapFS
// and as a directory on disk.

//go:embed all:testdata/site
var embedded embed.FS

// modTime is the modification time of the MapFS and directory files. It
// has nanoseconds, which Last-Modified drops and the ETag keeps.
var modTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// bigSize is the size of big.bin, which only the MapFS and directory
// sites have: a few write buffers' worth, not a multiple of 4 KiB.
const bigSize = 3<<20 + 1234

func bigData() []byte {
	b := make([]byte, bigSize)
	for i := range b {
		b[i] = byte(i*7 + i>>8 + i>>16)
	}
	return b
}

// extras are files with names that cannot be committed or embedded.
var extras = map[string]string{
	"with space.txt": "spaces\n",
	"ünï.txt":        "ünïcode\n",
}

func embedSite(t testing.TB) fs.FS {
	sub, err := fs.Sub(embedded, "testdata/site")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func mapSite(t testing.TB) fstest.MapFS {
	m := fstest.MapFS{}
	err := fs.WalkDir(embedSite(t), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedSite(t), name)
		m[name] = &fstest.MapFile{Data: b, Mode: 0o644, ModTime: modTime}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["big.bin"] = &fstest.MapFile{Data: bigData(), Mode: 0o644, ModTime: modTime}
	for name, s := range extras {
		m[name] = &fstest.MapFile{Data: []byte(s), Mode: 0o644, ModTime: modTime}
	}
	return m
}

// dirSite writes the MapFS site to root under a temporary directory,
// with secret.txt beside root, outside it, and returns root.
func dirSite(t testing.TB) string {
	top := t.TempDir()
	root := filepath.Join(top, "root")
	for name, f := range mapSite(t) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, modTime, modTime); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(top, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// secret is the content of a file outside the served root, and of the
// site's dotfile: no response may ever hold it.
const secret = "SECRET"

// sites returns the three sites by name, and whether their files have
// modification times.
func sites(t testing.TB) []site {
	return []site{
		{"embed", embedSite(t), false},
		{"MapFS", mapSite(t), true},
		{"DirFS", os.DirFS(dirSite(t)), true},
	}
}

type site struct {
	name     string
	fsys     fs.FS
	hasTimes bool
}

func readFile(t testing.TB, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lines turns a test's raw request text into CRLF lines.
func lines(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
