// Command ram measures the RAM the core holds per connection, for
// scripts/sizes.sh: the heap in use with n idle connections open, and with
// n connections each in the middle of a request head, over a transport
// whose connections cost a known, small amount. It prints
//
//	ram idle_n=N active_n=M idle_bytes_per_conn=I active_bytes_per_conn=A transport_bytes_per_conn=T read_buffer=R write_buffer=W
//
// where I and A exclude T. It runs natively, under wazero and under qemu
// (with few connections: the lm3s6965 has 64 KiB of RAM).
package main

import (
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"github.com/biplane-go/biplane"
)

// conn is a connection that has received in and then would block.
type conn struct{ in []byte }

func (c *conn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, biplane.ErrWouldBlock
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}
func (c *conn) Write(p []byte) (int, error) { return len(p), nil }
func (c *conn) Close() error                { return nil }
func (c *conn) RemoteAddr() netip.AddrPort  { return netip.AddrPort{} }
func (l *listener) Close() error            { return nil }
func (l *listener) Accept() (biplane.Conn, error) {
	if len(l.pending) == 0 {
		return nil, biplane.ErrWouldBlock
	}
	c := l.pending[0]
	l.pending = l.pending[1:]
	return c, nil
}

type listener struct{ pending []*conn }

func heap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// measure opens n connections that each receive head (possibly nothing)
// and returns the heap they cost, per connection.
func measure(n int, head string) int64 {
	ln := &listener{}
	srv := &biplane.Server{Listener: ln, NoDate: true}
	srv.Step() // the server's own start-up allocations are not per connection
	// The connections and their input exist before the measurement: they
	// are the client's, not the server's.
	conns := make([]*conn, n)
	ln.pending = make([]*conn, n)
	for i := range conns {
		conns[i] = &conn{in: []byte(head)}
		ln.pending[i] = conns[i]
	}
	before := heap()
	for srv.Conns() < n || len(ln.pending) > 0 {
		srv.Step()
	}
	for range 4 { // each connection reads until it would block
		srv.Step()
	}
	ln.pending = nil
	after := heap()
	runtime.KeepAlive(conns)
	srv.Close()
	return (after - before) / int64(n)
}

func main() {
	nIdle, nActive := 100, 100
	if len(os.Args) > 1 {
		nIdle, _ = strconv.Atoi(os.Args[1])
		nActive = nIdle
	}
	if runtime.GOARCH == "arm" {
		// cortex-m-qemu: 64 KiB of RAM (and TinyGo passes no arguments
		// there). With few connections the figures include the server's
		// one-off growth of its tables.
		nIdle, nActive = 32, 3
	}
	idle := measure(nIdle, "")
	active := measure(nActive, "GET / HTTP/1.1\r\nHost: a\r\n") // no final CRLF: the head is in flight
	t := int64(unsafe.Sizeof(conn{}))
	os.Stdout.WriteString("ram idle_n=" + strconv.Itoa(nIdle) + " active_n=" + strconv.Itoa(nActive) +
		" idle_bytes_per_conn=" + strconv.FormatInt(idle-t, 10) +
		" active_bytes_per_conn=" + strconv.FormatInt(active-t, 10) +
		" transport_bytes_per_conn=" + strconv.FormatInt(t, 10) +
		" read_buffer=" + strconv.Itoa(biplane.DefaultReadBufferSize) +
		" write_buffer=" + strconv.Itoa(biplane.DefaultWriteBufferSize) + "\n")
}
