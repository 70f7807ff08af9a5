//go:build linux && !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.
// Linux only: unixsock sends files with sendfile(2) there.

package static_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
)

// fileSizes are sizes around the edges of the server's write buffer
// (4 KiB), of the files kept in memory (16 KiB) and of the pieces a file
// is sent in (256 KiB), and larger than loopback's socket buffers.
var fileSizes = []int{1, 4095, 4096, 4097, 16 << 10, 16<<10 + 1, 256<<10 - 1, 256 << 10, 256<<10 + 1, 1<<20 + 1234, 9<<20 + 3}

// sizedSite writes a file "sN.bin" of N pattern bytes for each of
// fileSizes, and an empty one, into a new directory, and returns it.
func sizedSite(t testing.TB) string {
	dir := t.TempDir()
	for _, n := range append(fileSizes, 0) {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.bin", n)), sized(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sized(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*13 + i>>9)
	}
	return b
}

// readFS is an FS of the operating system's files whose reads it counts:
// a file sent with sendfile(2) is never read by the program.
type readFS struct {
	fs.StatFS
	opens, reads atomic.Int64
}

func (r *readFS) Open(name string) (fs.File, error) {
	f, err := r.StatFS.Open(name)
	if err != nil {
		return nil, err
	}
	r.opens.Add(1)
	return &countedFile{f.(*os.File), r}, nil
}

type countedFile struct {
	*os.File
	r *readFS
}

func (f *countedFile) Read(p []byte) (int, error) {
	f.r.reads.Add(1)
	return f.File.Read(p)
}

func (f *countedFile) ReadAt(p []byte, off int64) (int, error) {
	f.r.reads.Add(1)
	return f.File.ReadAt(p, off)
}

// A request of TestSendFile and the bytes of its response's body.
type sfCase struct {
	method, path, hdr string
	status            int
	body              []byte
}

func (tc sfCase) request() string {
	return tc.method + " " + tc.path + " HTTP/1.1\r\nHost: t\r\n" + tc.hdr + "\r\n"
}

func sendFileCases() []sfCase {
	var cases []sfCase
	for _, n := range fileSizes {
		cases = append(cases, sfCase{"GET", fmt.Sprintf("/s%d.bin", n), "", 200, sized(n)})
	}
	big := sized(9<<20 + 3)
	return append(cases,
		sfCase{"GET", "/s0.bin", "", 200, nil},
		sfCase{"HEAD", "/s4097.bin", "", 200, nil},
		sfCase{"GET", "/s9437187.bin", "Range: bytes=262000-262299\r\n", 206, big[262000:262300]},
		sfCase{"GET", "/s9437187.bin", "Range: bytes=-5\r\n", 206, big[len(big)-5:]},
		sfCase{"GET", "/s9437187.bin", "Range: bytes=8000000-\r\n", 206, big[8000000:]},
		sfCase{"GET", "/s1.bin", "", 200, sized(1)},
	)
}

// TestSendFile serves files of every size, ranges, HEAD and an empty file,
// pipelined on one connection, over TCP and a Unix socket, and checks the
// bytes, that the program read only the small files, once (the others
// went with sendfile), that each file was opened once over three rounds
// (it is kept open, or in memory), and what OnResponse reports.
func TestSendFile(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			root, err := os.OpenRoot(sizedSite(t))
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			rfs := &readFS{StatFS: root.FS().(fs.StatFS)}
			var reported []int64 // body bytes of every 200 and 206, on the loop
			srv := &biplane.Server{
				Handler: &static.Server{FS: rfs},
				OnResponse: func(ri *biplane.ResponseInfo) {
					reported = append(reported, ri.Bytes)
				},
			}
			var hs *servertest.Harness
			var dial func() net.Conn
			if network == "tcp" {
				hs = servertest.Start(t, srv)
				dial = func() net.Conn { return hs.Dial(t).Conn }
			} else {
				path := filepath.Join(t.TempDir(), "s")
				ln, err := unixsock.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				srv.Listener = ln
				hs = servertest.StartOn(t, srv, "")
				dial = func() net.Conn {
					c, err := net.Dial("unix", path)
					if err != nil {
						t.Fatal(err)
					}
					c.SetDeadline(time.Now().Add(30 * time.Second))
					t.Cleanup(func() { c.Close() })
					return c
				}
			}
			cases := sendFileCases()
			for round := range 3 {
				c := dial()
				var all strings.Builder
				for _, tc := range cases {
					all.WriteString(tc.request())
				}
				go io.WriteString(c, all.String())
				br := bufio.NewReader(c)
				for i, tc := range cases {
					req, _ := http.NewRequest(tc.method, "/", nil)
					resp, err := http.ReadResponse(br, req)
					if err != nil {
						t.Fatalf("round %d, response %d (%s): %v", round, i, tc.method+" "+tc.path+" "+tc.hdr, err)
					}
					body, err := io.ReadAll(resp.Body)
					if err != nil || resp.StatusCode != tc.status || !bytes.Equal(body, tc.body) {
						t.Fatalf("round %d, %s: %d with %d bytes (%v), want %d with %d", round, tc.method+" "+tc.path+" "+tc.hdr,
							resp.StatusCode, len(body), err, tc.status, len(tc.body))
					}
					if tc.method == "HEAD" && resp.ContentLength != 4097 {
						t.Errorf("HEAD: Content-Length %d, want 4097", resp.ContentLength)
					}
				}
				c.Close()
			}
			// Files of up to 16 KiB are read once, to be kept in memory;
			// the others go with sendfile.
			small := int64(0)
			for _, n := range fileSizes {
				if n <= 16<<10 {
					small++
				}
			}
			if n := rfs.reads.Load(); n != small {
				t.Errorf("the program read the files %d times; want %d, once for each small file", n, small)
			}
			if n, want := rfs.opens.Load(), int64(len(fileSizes)+1); n != want {
				t.Errorf("%d files opened in three rounds; want %d, each once", n, want)
			}
			hs.Do(func() {
				if len(reported) != 3*len(cases) {
					t.Errorf("%d responses reported, want %d", len(reported), 3*len(cases))
					return
				}
				for i, b := range reported {
					if tc := cases[i%len(cases)]; b < int64(len(tc.body)) || b > int64(len(tc.body))+400 {
						t.Errorf("%s reported with %d bytes, want its body's %d and its head", tc.method+" "+tc.path+" "+tc.hdr, b, len(tc.body))
					}
				}
			})
		})
	}
}

// TestSendFileSlowReader: a client that reads a file larger than the
// socket buffers a thousand bytes at a time, so that the server waits for
// room many times, gets every byte.
func TestSendFileSlowReader(t *testing.T) {
	root, err := os.OpenRoot(sizedSite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: root.FS()}})
	c := hs.Dial(t)
	c.Send("GET /s9437187.bin HTTP/1.1\r\nHost: t\r\n\r\n")
	resp, err := http.ReadResponse(c.Reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := sized(9<<20 + 3)
	got := make([]byte, 0, len(want))
	buf := make([]byte, 1000)
	for {
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%d bytes, want %d, or they differ", len(got), len(want))
	}
}

// hugeSite is a directory with one sparse file larger than loopback's
// socket buffers can hold, so that its download waits on the client.
func hugeSite(t testing.TB) string {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSendFileStalled: a client that stops reading is closed after the
// write timeout, and one that goes away mid-file is noticed, both while
// the file is sent with sendfile; a file cut short while it is sent ends
// the connection.
func TestSendFileStalled(t *testing.T) {
	dir := hugeSite(t)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	hs := servertest.Start(t, &biplane.Server{
		Handler: &static.Server{FS: root.FS()},
		Limits:  biplane.Limits{WriteTimeout: 300 * time.Millisecond},
	})
	get := "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n"

	t.Run("stops reading", func(t *testing.T) {
		c := hs.Dial(t)
		c.Send(get)
		if _, err := c.Reader.Peek(1000); err != nil {
			t.Fatal(err)
		}
		hs.WaitFor(t, "a write timeout", func() bool { return hs.Server.Stats().WriteTimeouts == 1 })
		hs.WaitConns(t, 0)
	})
	t.Run("goes away", func(t *testing.T) {
		c := hs.Dial(t)
		c.Send(get)
		if _, err := c.Reader.Peek(1000); err != nil {
			t.Fatal(err)
		}
		c.Conn.(*net.TCPConn).SetLinger(0)
		c.Close() // a reset
		hs.WaitConns(t, 0)
		var n uint64
		hs.Do(func() { n = hs.Server.Stats().WriteTimeouts })
		if n != 1 {
			t.Errorf("%d write timeouts, want the first test's one", n)
		}
	})
	t.Run("cut short", func(t *testing.T) {
		c := hs.Dial(t)
		c.Send(get)
		resp, err := http.ReadResponse(c.Reader, nil)
		if err != nil || resp.ContentLength != 64<<20 {
			t.Fatalf("%v, Content-Length %d", err, resp.ContentLength)
		}
		if _, err := io.ReadFull(resp.Body, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(dir, "huge.bin"), 20<<20); err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) || n+1000 > 20<<20 {
			t.Fatalf("after the file shrank to 20 MiB: %d more bytes, %v; want at most the rest and io.ErrUnexpectedEOF", n, err)
		}
		hs.WaitConns(t, 0)
	})
}

// TestKeptFileChanges: a file kept open, or in memory, is opened anew when
// it changes (size, modification time) or is replaced under its name (the
// same size and time, another inode), and a removed one is not served.
func TestKeptFileChanges(t *testing.T) {
	for _, pad := range []int{0, 20 << 10} {
		t.Run(fmt.Sprintf("pad %d", pad), func(t *testing.T) { testKeptFileChanges(t, strings.Repeat("-", pad)) })
	}
}

// testKeptFileChanges is TestKeptFileChanges with each content followed by
// pad: small files are kept in memory, larger ones open.
func testKeptFileChanges(t *testing.T, pad string) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.txt")
	write := func(s string, mod time.Time) {
		t.Helper()
		tmp := filepath.Join(dir, "tmp")
		if err := os.WriteFile(tmp, []byte(s+pad), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mod, mod); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			t.Fatal(err)
		}
	}
	t1, t2 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, fsys := range []struct {
		name string
		fsys fs.FS
	}{{"DirFS", os.DirFS(dir)}, {"Root", rootFS(t, dir)}} {
		t.Run(fsys.name, func(t *testing.T) {
			hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: fsys.fsys}})
			client := servertest.NewClient(t)
			get := func() (int, string, string) {
				t.Helper()
				resp, body := servertest.RoundTrip(t, client, mustRequest(t, hs.URL+"/a.txt"))
				return resp.StatusCode, body, resp.Header.Get("ETag")
			}
			tags := map[string]bool{}
			for i, step := range []struct {
				content string
				mod     time.Time
				inPlace bool // rewrite the file itself rather than replace it
			}{
				{"one", t1, false},
				{"two", t1, false},   // the same size and time: another inode
				{"three", t1, false}, // another size
				{"four!", t2, true},  // the same size, another time, in place
			} {
				if step.inPlace {
					if err := os.WriteFile(name, []byte(step.content+pad), 0o644); err != nil {
						t.Fatal(err)
					}
					os.Chtimes(name, step.mod, step.mod)
				} else {
					write(step.content, step.mod)
				}
				for range 2 {
					status, body, tag := get()
					if status != 200 || body != step.content+pad {
						t.Fatalf("step %d: %d %q, want 200 %q", i, status, trunc([]byte(body)), step.content)
					}
					tags[tag] = true
				}
			}
			if len(tags) < 3 {
				t.Errorf("ETags %v: want one per size and time", tags)
			}
			os.Remove(name)
			if status, _, _ := get(); status != 404 {
				t.Fatalf("removed: %d, want 404", status)
			}
			write("five", t1)
			if status, body, _ := get(); status != 200 || body != "five"+pad {
				t.Fatalf("written again: %d %q", status, trunc([]byte(body)))
			}
		})
	}
}

// TestGzSiblingAppears: a .gz sibling made beside a kept file is served
// within a second or so (its absence is remembered that long), and one
// removed is not served.
func TestGzSiblingAppears(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.js"), []byte("plain"), 0o644); err != nil {
		t.Fatal(err)
	}
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: rootFS(t, dir)}})
	client := servertest.NewClient(t)
	get := func() (string, string) {
		t.Helper()
		req := mustRequest(t, hs.URL+"/a.js")
		req.Header.Set("Accept-Encoding", "gzip")
		resp, body := servertest.RoundTrip(t, client, req)
		return body, resp.Header.Get("Vary")
	}
	if body, vary := get(); body != "plain" || vary != "" {
		t.Fatalf("without a sibling: %q, Vary %q", body, vary)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.js.gz"), []byte("gzipped"), 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		body, vary := get()
		if body == "gzipped" && vary == "Accept-Encoding" {
			break
		}
		if body != "plain" || time.Now().After(deadline) {
			t.Fatalf("after the sibling was made: %q, Vary %q", body, vary)
		}
		time.Sleep(50 * time.Millisecond) // a poll interval, not a synchronisation
	}
	os.Remove(filepath.Join(dir, "a.js.gz"))
	if body, _ := get(); body != "plain" {
		t.Fatalf("after the sibling was removed: %q", body)
	}
}

// TestManyFiles: more files than are kept open are all served right, in
// turn, twice.
func TestManyFiles(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), []byte(strings.Repeat(strconv.Itoa(i), i%7+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hs := servertest.Start(t, &biplane.Server{Handler: &static.Server{FS: rootFS(t, dir)}})
	client := servertest.NewClient(t)
	for round := range 2 {
		for i := range n {
			resp, body := servertest.RoundTrip(t, client, mustRequest(t, hs.URL+"/"+strconv.Itoa(i)))
			if want := strings.Repeat(strconv.Itoa(i), i%7+1); resp.StatusCode != 200 || body != want {
				t.Fatalf("round %d, file %d: %d %q, want %q", round, i, resp.StatusCode, body, want)
			}
		}
	}
}

func rootFS(t testing.TB, dir string) fs.FS {
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.FS()
}

func mustRequest(t testing.TB, url string) *http.Request {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
