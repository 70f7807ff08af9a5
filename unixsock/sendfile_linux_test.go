//go:build linux && !386

package unixsock_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// tempFile writes size bytes of pattern to a new file and returns it open.
func tempFile(t testing.TB, size int) *os.File {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, pattern(make([]byte, size), 0), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sendFile calls SendFile until it has written everything, waiting while
// it would block, and returns the error that stopped it, if any.
func sendFile(t testing.TB, l *unixsock.Listener, c *unixsock.Conn, head []byte, fd uintptr, off, n int64, more bool) error {
	t.Helper()
	for {
		m, err := c.SendFile(head, fd, off, n, more)
		h := min(m, int64(len(head)))
		head, off, n = head[h:], off+m-h, n-(m-h)
		if err == nil {
			if len(head) != 0 || n != 0 {
				t.Fatalf("SendFile returned nil with %d bytes of head and %d of file unwritten", len(head), n)
			}
			return nil
		}
		if !errors.Is(err, biplane.ErrWouldBlock) {
			return err
		}
		waitFor(t, l, c)
	}
}

// TestSendFile sends a head and sections of a file over TCP and a Unix
// socket, and checks the bytes, that the file's offset did not move, and
// that a peer that does not read makes SendFile return ErrWouldBlock
// with what it wrote.
func TestSendFile(t *testing.T) {
	const size = 5<<20 + 123 // more than loopback's socket buffers hold
	f := tempFile(t, size)
	want := pattern(make([]byte, size), 0)
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "s")
			}
			l := listen(t, unixsock.Config{}, network, addr)
			if network == "tcp" {
				addr = l.Addr().String()
			}
			client := dial(t, network, addr)
			c := accept(t, l)
			for _, tc := range []struct {
				head   string
				off, n int64
			}{
				{"HEAD\r\n", 0, 1},
				{"", 0, size},
				{"head of a middle section\r\n\r\n", 4095, 300 << 10},
				{"x", size - 7, 7},
			} {
				done := make(chan error, 1)
				got := make([]byte, len(tc.head)+int(tc.n))
				go func() {
					_, err := io.ReadFull(client, got)
					done <- err
				}()
				// In pieces, as the server sends: all but the last
				// with more.
				head, off, n := []byte(tc.head), tc.off, tc.n
				for n > 0 {
					piece := min(n, 256<<10)
					if err := sendFile(t, l, c, head, f.Fd(), off, piece, piece < n); err != nil {
						t.Fatalf("SendFile(%q, %d, %d): %v", head, off, piece, err)
					}
					head, off, n = nil, off+piece, n-piece
				}
				if err := <-done; err != nil {
					t.Fatalf("reading %q and %d bytes at %d: %v", tc.head, tc.n, tc.off, err)
				}
				if string(got[:len(tc.head)]) != tc.head || !bytes.Equal(got[len(tc.head):], want[tc.off:tc.off+tc.n]) {
					t.Fatalf("head %q and %d bytes at %d: the bytes differ", tc.head, tc.n, tc.off)
				}
			}
			if off, err := f.Seek(0, io.SeekCurrent); off != 0 || err != nil {
				t.Errorf("file offset %d, %v after SendFile; want 0", off, err)
			}

			// Nobody reads: the socket's buffers fill and SendFile says so.
			huge, err := os.Create(filepath.Join(t.TempDir(), "huge"))
			if err != nil {
				t.Fatal(err)
			}
			defer huge.Close()
			const hugeSize = 1 << 30 // sparse
			if err := huge.Truncate(hugeSize); err != nil {
				t.Fatal(err)
			}
			m, err := c.SendFile([]byte("head"), huge.Fd(), 0, hugeSize, false)
			if !errors.Is(err, biplane.ErrWouldBlock) || m <= 0 || m >= hugeSize {
				t.Fatalf("SendFile to a peer that does not read = %d, %v; want some bytes and ErrWouldBlock", m, err)
			}
		})
	}
}

// TestSendFileShort: a file that ends before the section does fails
// SendFile with io.ErrUnexpectedEOF after the bytes it has.
func TestSendFileShort(t *testing.T) {
	f := tempFile(t, 1000)
	l := listen(t, unixsock.Config{}, "tcp", "127.0.0.1:0")
	client := dial(t, "tcp", l.Addr().String())
	c := accept(t, l)
	m, err := c.SendFile([]byte("h"), f.Fd(), 900, 200, false)
	if m != 101 || err != io.ErrUnexpectedEOF {
		t.Fatalf("SendFile past the end = %d, %v; want 101, io.ErrUnexpectedEOF", m, err)
	}
	got := make([]byte, 101)
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got[1:], pattern(make([]byte, 100), 900)) {
		t.Fatalf("read %q, %v", got, err)
	}
}

// TestSendFileErrors: a peer that reset the connection, and a closed
// Conn.
func TestSendFileErrors(t *testing.T) {
	f := tempFile(t, 1<<20)
	l := listen(t, unixsock.Config{}, "tcp", "127.0.0.1:0")
	client := dial(t, "tcp", l.Addr().String())
	c := accept(t, l)
	client.(*net.TCPConn).SetLinger(0)
	client.Close() // sends RST
	deadline := time.Now().Add(patience)
	var err error
	for {
		_, err = c.SendFile(nil, f.Fd(), 0, 1<<20, true)
		if !errors.Is(err, biplane.ErrWouldBlock) || time.Now().After(deadline) {
			break
		}
		waitFor(t, l, c)
	}
	if err == nil || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) ||
		!strings.HasPrefix(err.Error(), "unixsock: ") {
		t.Fatalf("SendFile after reset: %v, want ECONNRESET or EPIPE with the prefix %q", err, "unixsock: ")
	}
	c.Close()
	if _, err := c.SendFile([]byte("x"), f.Fd(), 0, 1, false); err == nil || errors.Is(err, biplane.ErrWouldBlock) {
		t.Fatalf("SendFile after Close: %v, want an error", err)
	}
}
