package websocket

import (
	"bytes"
	"strconv"
	"testing"
)

// echoConn returns a Conn that echoes every message, and the frame of a
// masked message of n bytes of type op for it.
func echoConn(op byte, n int) (*Conn, []byte) {
	c := newConn(&Config{OnMessage: func(c *Conn, m Message) {
		if err := c.WriteMessage(m.Type, m.Data); err != nil {
			panic(err)
		}
	}})
	return c, maskedFrame(true, op, bytes.Repeat([]byte("a"), n))
}

// roundTrip passes one frame through the Conn, as the server would, and
// takes the echo out into buf.
func roundTrip(c *Conn, frame, buf []byte) int {
	w := (*wire)(c)
	if n, err := w.Write(frame); n != len(frame) || err != nil {
		panic("Write: " + strconv.Itoa(n) + " bytes, " + errString(err))
	}
	total := 0
	for {
		n, _ := w.Read(buf)
		if n == 0 {
			return total
		}
		total += n
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestSteadyStateAllocs checks that receiving a message, validating it,
// delivering it and queueing and sending its echo allocates nothing once
// the buffers have grown, for messages up to the retained buffer size.
func TestSteadyStateAllocs(t *testing.T) {
	for _, n := range []int{0, 16, 125, 1024, retainBytes - maxServerHeader} {
		for _, op := range []byte{opText, opBinary} {
			c, frame := echoConn(op, n)
			buf := make([]byte, 4096)
			want := headerLen(n) + n
			roundTrip(c, frame, buf)
			allocs := testing.AllocsPerRun(100, func() {
				if got := roundTrip(c, frame, buf); got != want {
					t.Fatalf("echo of %d bytes", got)
				}
			})
			if allocs != 0 {
				t.Errorf("op %d, %d bytes: %.1f allocations per message, want 0", op, n, allocs)
			}
		}
	}
}

// BenchmarkEcho measures receiving one masked message (unmasking, UTF-8
// check for text), delivering it and sending its echo, through a 4 KiB
// buffer as the server's, without sockets. Messages over 4 KiB grow
// buffers that are dropped after each message.
func BenchmarkEcho(b *testing.B) {
	for _, n := range []int{16, 125, 1024, 4000, 16 << 10, 64 << 10} {
		for _, op := range []byte{opText, opBinary} {
			name := "binary/"
			if op == opText {
				name = "text/"
			}
			b.Run(name+strconv.Itoa(n), func(b *testing.B) {
				c, frame := echoConn(op, n)
				buf := make([]byte, 4096)
				b.ReportAllocs()
				b.SetBytes(int64(n))
				for b.Loop() {
					roundTrip(c, frame, buf)
				}
			})
		}
	}
}

// TestBuffersDropped checks that a connection idle after a large message
// holds no large buffer, and one after small messages keeps its buffers.
func TestBuffersDropped(t *testing.T) {
	buf := make([]byte, 4096)
	c, frame := echoConn(opBinary, 60000)
	roundTrip(c, frame, buf)
	if cap(c.msg) != 0 || cap(c.out) != 0 {
		t.Errorf("after a 60000-byte message: buffers of %d and %d bytes kept, want none", cap(c.msg), cap(c.out))
	}
	c, frame = echoConn(opBinary, 1000)
	roundTrip(c, frame, buf)
	if cap(c.msg) == 0 || cap(c.msg) > retainBytes || cap(c.out) == 0 || cap(c.out) > retainBytes {
		t.Errorf("after a 1000-byte message: buffers of %d and %d bytes, want kept, at most %d", cap(c.msg), cap(c.out), retainBytes)
	}
}
