//go:build linux && !386

package unixsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// TestSendFileCopies: where sendfile(2) cannot read the file, SendFile
// copies it through the Listener's buffer, with the same result.
func TestSendFileCopies(t *testing.T) {
	calls := 0
	sendfile = func(int, int, *int64, int) (int, error) { calls++; return 0, syscall.EINVAL }
	t.Cleanup(func() { sendfile = syscall.Sendfile })

	const size = 100<<10 + 7
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i % 253)
	}
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	var c biplane.Conn
	for c == nil {
		if c, err = l.Accept(); err != nil && err != biplane.ErrWouldBlock {
			t.Fatal(err)
		}
		l.Wait(nil, 10*time.Millisecond)
	}
	defer c.Close()
	uc := c.(*Conn)

	got := make([]byte, 2+size-5)
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(client, got)
		done <- err
	}()
	head, off, n := []byte("hi"), int64(5), int64(size-5)
	for deadline := time.Now().Add(10 * time.Second); ; {
		m, err := uc.SendFile(head, f.Fd(), off, n, false)
		h := min(m, int64(len(head)))
		head, off, n = head[h:], off+m-h, n-(m-h)
		if err == nil {
			break
		}
		if !errors.Is(err, biplane.ErrWouldBlock) || time.Now().After(deadline) {
			t.Fatalf("SendFile: %v", err)
		}
		l.Wait(nil, 10*time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if string(got[:2]) != "hi" || !bytes.Equal(got[2:], data[5:]) || calls == 0 {
		t.Fatalf("copied bytes differ, or sendfile not tried (%d calls)", calls)
	}
	if l.copyBuf == nil {
		t.Error("no copy buffer made")
	}
}
