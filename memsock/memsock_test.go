package memsock_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// guard bounds every wait in these tests. It only turns a hang into a
// failure; no test asserts that anything happens within it.
const guard = 5 * time.Second

var (
	_ biplane.Listener   = (*memsock.Listener)(nil)
	_ biplane.Waiter     = (*memsock.Listener)(nil)
	_ io.ReadWriteCloser = (*memsock.Client)(nil)
)

// pair dials l and accepts the server end.
func pair(t *testing.T, l *memsock.Listener) (*memsock.Client, biplane.Conn) {
	t.Helper()
	c, err := l.Dial()
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return c, s
}

// readAll reads s until io.EOF, failing on ErrWouldBlock: the caller has
// made sure everything is buffered already.
func readAll(t *testing.T, s biplane.Conn) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 3) // small, to cross reads
	for {
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return string(got)
		}
		if err != nil {
			t.Fatalf("server Read after %q: %v", got, err)
		}
	}
}

func TestPartialWrites(t *testing.T) {
	tests := []struct {
		size int
		msg  string
	}{
		{1, "abc"},
		{4, "abcd"},
		{4, "abcdefghij"},
		{7, "the quick brown fox jumps over the lazy dog"},
		{64, "short"},
	}
	for _, tc := range tests {
		l := memsock.NewListener()
		l.BufferSize = tc.size
		c, s := pair(t, l)

		// Nobody reads yet: the first Write fills the buffer and stops.
		p := []byte(tc.msg)
		n, err := s.Write(p)
		if want := min(tc.size, len(p)); n != want {
			t.Errorf("size %d: first Write(%q) wrote %d, want %d", tc.size, tc.msg, n, want)
		}
		if full := len(p) > tc.size; full != (err == biplane.ErrWouldBlock) || (!full && err != nil) {
			t.Errorf("size %d: first Write(%q) err = %v", tc.size, tc.msg, err)
		}
		if n2, err := s.Write(p[n:]); len(p) > tc.size && (n2 != 0 || err != biplane.ErrWouldBlock) {
			t.Errorf("size %d: Write to a full buffer = %d, %v; want 0, ErrWouldBlock", tc.size, n2, err)
		}

		// Alternate: drain a little on the client, write more on the server.
		var got []byte
		p = p[n:]
		buf := make([]byte, 3)
		for len(got) < len(tc.msg) {
			m, err := c.Read(buf)
			if err != nil {
				t.Fatalf("size %d: client Read after %q: %v", tc.size, got, err)
			}
			got = append(got, buf[:m]...)
			w, err := s.Write(p)
			if err != nil && err != biplane.ErrWouldBlock {
				t.Fatalf("size %d: server Write: %v", tc.size, err)
			}
			p = p[w:]
		}
		if string(got) != tc.msg {
			t.Errorf("size %d: client read %q, want %q", tc.size, got, tc.msg)
		}
	}
}

// TestClientWriteBlocks checks that a Client blocks while the buffer is full
// and resumes as the server reads.
func TestClientWriteBlocks(t *testing.T) {
	l := memsock.NewListener()
	l.BufferSize = 5
	c, s := pair(t, l)
	msg := bytes.Repeat([]byte("0123456789"), 100)
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil {
			err = c.CloseWrite()
		}
		done <- err
	}()
	var got []byte
	buf := make([]byte, 7)
	var ready []biplane.Conn
	for {
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err == biplane.ErrWouldBlock {
			var acceptable bool // from dialing, before the test accepted
			if ready, acceptable, _ = l.Wait(ready[:0], guard); len(ready) == 0 && !acceptable {
				t.Fatalf("Wait reported nothing within %v after reading %d bytes", guard, len(got))
			}
			continue
		}
		if err != nil {
			t.Fatalf("server Read: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("client Write: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("server read %d bytes, want %d equal to what was written", len(got), len(msg))
	}
}

func TestEOF(t *testing.T) {
	tests := []struct {
		name string
		// act ends the connection somehow after both ends wrote "data".
		act func(c *memsock.Client, s biplane.Conn) error
		// What each end reads to EOF, and whether it may still write and
		// with which error.
		serverReads, clientReads string
		serverWrite, clientWrite error
	}{{
		name:        "client CloseWrite",
		act:         func(c *memsock.Client, s biplane.Conn) error { return c.CloseWrite() },
		serverReads: "data",
		clientWrite: errors.New("any"),
	}, {
		name:        "server CloseWrite",
		act:         func(c *memsock.Client, s biplane.Conn) error { return s.(biplane.CloseWriter).CloseWrite() },
		clientReads: "data",
		serverWrite: errors.New("any"),
	}, {
		name:        "client Close",
		act:         func(c *memsock.Client, s biplane.Conn) error { return c.Close() },
		serverReads: "data",
		serverWrite: memsock.ErrPeerClosed,
		clientWrite: memsock.ErrClosed,
	}, {
		name:        "server Close",
		act:         func(c *memsock.Client, s biplane.Conn) error { return s.Close() },
		clientReads: "data",
		serverWrite: memsock.ErrClosed,
		clientWrite: memsock.ErrPeerClosed,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := memsock.NewListener()
			c, s := pair(t, l)
			if _, err := c.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			if err := tc.act(c, s); err != nil {
				t.Fatalf("act: %v", err)
			}
			if tc.serverReads != "" {
				if got := readAll(t, s); got != tc.serverReads {
					t.Errorf("server read %q, want %q", got, tc.serverReads)
				}
			}
			if tc.clientReads != "" {
				got, err := io.ReadAll(c)
				if string(got) != tc.clientReads || err != nil {
					t.Errorf("client read %q, %v; want %q, nil", got, err, tc.clientReads)
				}
			}
			checkWrite := func(who string, w io.Writer, want error) {
				t.Helper()
				n, err := w.Write([]byte("more"))
				switch {
				case want == nil && (n != 4 || err != nil):
					t.Errorf("%s Write = %d, %v; want 4, nil", who, n, err)
				case want != nil && err == nil:
					t.Errorf("%s Write = %d, nil; want an error", who, n)
				case want != nil && want.Error() != "any" && !errors.Is(err, want):
					t.Errorf("%s Write error = %v, want %v", who, err, want)
				}
			}
			checkWrite("server", s, tc.serverWrite)
			checkWrite("client", c, tc.clientWrite)
		})
	}
}

func TestAccept(t *testing.T) {
	l := memsock.NewListener()
	c1, _ := l.Dial()
	c2, _ := l.Dial()
	c1.Write([]byte("one"))
	c2.Write([]byte("two"))
	c2.CloseWrite()
	if _, a, _ := l.Wait(nil, 0); !a {
		t.Errorf("Wait after Dial: acceptable = false")
	}
	buf := make([]byte, 8)
	for _, want := range []string{"one", "two"} {
		s, err := l.Accept()
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		// Bytes sent before Accept are reported right after it.
		if ready, _, _ := l.Wait(nil, 0); len(ready) != 1 || ready[0] != s {
			t.Errorf("Wait after Accept = %v, want [%v]", ready, s)
		}
		if n, _ := s.Read(buf); string(buf[:n]) != want {
			t.Errorf("Accept order: read %q, want %q", buf[:n], want)
		}
	}
	if _, err := l.Accept(); err != biplane.ErrWouldBlock {
		t.Errorf("third Accept: %v, want ErrWouldBlock", err)
	}
}

func TestListenerClose(t *testing.T) {
	l := memsock.NewListener()
	c, s := pair(t, l)
	pending, _ := l.Dial()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := l.Dial(); err != memsock.ErrClosed {
		t.Errorf("Dial after Close = %v, want ErrClosed", err)
	}
	if _, err := l.Accept(); err != memsock.ErrClosed {
		t.Errorf("Accept after Close = %v, want ErrClosed", err)
	}
	if r, a, err := l.Wait(nil, 0); len(r) != 0 || a || err != memsock.ErrClosed {
		t.Errorf("Wait after Close = %v, %v, %v; want nothing and ErrClosed", r, a, err)
	}
	// The pending connection was refused; the accepted one still works.
	if n, err := pending.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("pending client Read = %d, %v; want 0, EOF", n, err)
	}
	if _, err := pending.Write([]byte("x")); err != memsock.ErrPeerClosed {
		t.Errorf("pending client Write = %v, want ErrPeerClosed", err)
	}
	c.Write([]byte("x"))
	buf := make([]byte, 2)
	if n, err := s.Read(buf); string(buf[:n]) != "x" || err != nil {
		t.Errorf("accepted conn Read after Close = %q, %v; want \"x\", nil", buf[:n], err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("conn Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second conn Close = %v, want nil", err)
	}
}

func TestDeadlines(t *testing.T) {
	past := func() time.Time { return time.Now().Add(-time.Second) }
	soon := func() time.Time { return time.Now().Add(10 * time.Millisecond) }
	tests := []struct {
		name string
		set  func(c *memsock.Client) error
		op   func(c *memsock.Client) error
	}{
		{"read, past", func(c *memsock.Client) error { return c.SetReadDeadline(past()) }, read},
		{"read, passes while blocked", func(c *memsock.Client) error { return c.SetReadDeadline(soon()) }, read},
		{"write, past", func(c *memsock.Client) error { return c.SetWriteDeadline(past()) }, write},
		{"write, passes while blocked", func(c *memsock.Client) error { return c.SetWriteDeadline(soon()) }, write},
		{"both, read", func(c *memsock.Client) error { return c.SetDeadline(past()) }, read},
		{"both, write", func(c *memsock.Client) error { return c.SetDeadline(soon()) }, write},
	}
	for _, tc := range tests {
		l := memsock.NewListener()
		l.BufferSize = 4
		c, _ := pair(t, l)
		if err := tc.set(c); err != nil {
			t.Fatalf("%s: set: %v", tc.name, err)
		}
		err := tc.op(c)
		var te interface{ Timeout() bool }
		if !errors.Is(err, memsock.ErrDeadlineExceeded) || !errors.As(err, &te) || !te.Timeout() {
			t.Errorf("%s: err = %v, want ErrDeadlineExceeded with Timeout() true", tc.name, err)
		}
	}
}

func read(c *memsock.Client) error {
	_, err := c.Read(make([]byte, 1))
	return err
}

// write writes more than the 4-byte buffer holds, so it must block.
func write(c *memsock.Client) error {
	_, err := c.Write([]byte("123456"))
	return err
}

func TestDeadlineReset(t *testing.T) {
	l := memsock.NewListener()
	c, s := pair(t, l)
	c.SetReadDeadline(time.Now().Add(-time.Second))
	c.SetReadDeadline(time.Time{})
	s.Write([]byte("x"))
	if err := read(c); err != nil {
		t.Errorf("Read after clearing the deadline: %v", err)
	}
}

// TestUnblock checks that a blocked Client Read returns when another
// goroutine sets a past deadline or closes the Client.
func TestUnblock(t *testing.T) {
	tests := []struct {
		name string
		act  func(c *memsock.Client)
		want error
	}{
		{"deadline", func(c *memsock.Client) { c.SetReadDeadline(time.Now().Add(-time.Second)) }, memsock.ErrDeadlineExceeded},
		{"close", func(c *memsock.Client) { c.Close() }, memsock.ErrClosed},
	}
	for _, tc := range tests {
		l := memsock.NewListener()
		c, _ := pair(t, l)
		done := make(chan error, 1)
		go func() { done <- read(c) }()
		tc.act(c)
		select {
		case err := <-done:
			if err != tc.want {
				t.Errorf("%s: blocked Read returned %v, want %v", tc.name, err, tc.want)
			}
		case <-time.After(guard):
			t.Fatalf("%s: blocked Read did not return", tc.name)
		}
	}
}

func TestAllocs(t *testing.T) {
	l := memsock.NewListener()
	c, s := pair(t, l)
	msg := []byte("GET / HTTP/1.1\r\n\r\n")
	buf := make([]byte, 64)
	ready := make([]biplane.Conn, 0, 4)
	cycle := func() {
		c.Write(msg)
		ready, _, _ = l.Wait(ready[:0], 0)
		s.Read(buf)
		s.Read(buf) // ErrWouldBlock
		s.Write(msg)
		c.Read(buf)
		ready, _, _ = l.Wait(ready[:0], time.Microsecond) // times out
	}
	cycle() // allocate the buffers and the dirty list
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Errorf("allocations per Read/Write/Wait cycle = %v, want 0", n)
	}
}
