package main

import (
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// A tally counts what the transport was asked to do during one step. Each
// call is one system call, or none: unixsock's Read answers a read after a
// short one with ErrWouldBlock without asking the kernel (those are
// counted in skipped), and a Write that the kernel takes in pieces makes
// several (rare: the socket is non-blocking).
type tally struct {
	accepts    int // Accept calls that returned a connection
	acceptWB   int // Accept calls that found none
	polls      int // epoll waits inside Step (it polls itself when Server.Wait did not)
	events     int // events those polls returned
	reads      int // Read calls that asked the kernel
	skipped    int // Read calls answered from unixsock's drained flag
	readBytes  int
	writes     int // Write and Writev calls
	writeBytes int
	shutdowns  int // CloseWrite: the start of a lingering close
	closes     int // Close of connections: epoll_ctl(DEL) and close(2)
}

// calls is the number of transport calls that reached the kernel.
func (t *tally) calls() int {
	return t.accepts + t.acceptWB + t.polls + t.reads + t.writes + t.shutdowns + 2*t.closes
}

// cur is the tally of the step in progress: the loop clears it before each
// step and reads it after, so what Server.Wait does between steps is not
// counted. The loop's goroutine is the only one that touches it.
var cur tally

// A countListener is a unixsock.Listener whose every call is tallied in
// cur. It forwards every optional interface the server looks for
// (Waiter, Waker, AcceptCloser on the listener; CloseWriter and
// VectorWriter on connections), so the server takes the same paths as
// over a bare unixsock.Listener.
type countListener struct {
	*unixsock.Listener
	byFd  []*countConn // the wrapper of each open connection, by descriptor
	inner []biplane.Conn
}

func (l *countListener) Accept() (biplane.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		cur.acceptWB++
		return nil, err
	}
	cur.accepts++
	uc := nc.(*unixsock.Conn)
	c := &countConn{Conn: uc, l: l, fd: uc.Fd()}
	if c.fd >= len(l.byFd) {
		byFd := make([]*countConn, max(c.fd+1, 2*len(l.byFd), 64))
		copy(byFd, l.byFd)
		l.byFd = byFd
	}
	l.byFd[c.fd] = c
	return c, nil
}

// Wait reports the wrappers of the connections unixsock reports.
func (l *countListener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	inner, acceptable, err := l.Listener.Wait(l.inner[:0], timeout)
	for i, nc := range inner {
		if fd := nc.(*unixsock.Conn).Fd(); fd >= 0 && fd < len(l.byFd) && l.byFd[fd] != nil {
			c := l.byFd[fd]
			c.short = false
			ready = append(ready, c)
		}
		inner[i] = nil
	}
	l.inner = inner[:0]
	cur.polls++
	cur.events += len(inner)
	return ready, acceptable, err
}

// A countConn is a unixsock.Conn whose calls are tallied.
type countConn struct {
	*unixsock.Conn
	l     *countListener
	fd    int
	short bool // the last read was short, and no Wait reported c since
}

// Read tallies a read. unixsock does not say whether it asked the kernel:
// it does not after a short read that no Wait has reported since (see
// unixsock.Conn.Read), which is what short tracks.
func (c *countConn) Read(p []byte) (int, error) {
	skip := c.short
	n, err := c.Conn.Read(p)
	c.short = err == nil && n < len(p)
	if skip && err == biplane.ErrWouldBlock {
		cur.skipped++
	} else {
		cur.reads++
	}
	cur.readBytes += n
	return n, err
}

func (c *countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	cur.writes++
	cur.writeBytes += n
	return n, err
}

func (c *countConn) Writev(bufs [][]byte) (int, error) {
	n, err := c.Conn.Writev(bufs)
	cur.writes++
	cur.writeBytes += n
	return n, err
}

func (c *countConn) CloseWrite() error {
	cur.shutdowns++
	return c.Conn.CloseWrite()
}

func (c *countConn) Close() error {
	if c.fd >= 0 {
		if c.l.byFd[c.fd] == c {
			c.l.byFd[c.fd] = nil
		}
		c.fd = -1
		cur.closes++
	}
	return c.Conn.Close()
}
