package biplane

import (
	"io"
	"net/netip"
)

// fakeListener hands out one scripted connection, for tests inside the
// package that cannot import the transports (they import this package).
type fakeListener struct {
	conn   *fakeConn
	closed bool
}

func (l *fakeListener) Accept() (Conn, error) {
	if l.conn == nil {
		return nil, ErrWouldBlock
	}
	c := l.conn
	l.conn = nil
	return c, nil
}

func (l *fakeListener) Close() error { l.closed = true; return nil }

// fakeConn reads its input in pieces whose sizes come from splits (cycled),
// then reports EOF; it accepts at most writeMax bytes per Write (if
// positive), or none (if negative).
type fakeConn struct {
	in       []byte
	splits   []int
	turn     int
	block    bool // alternate would-block with data, like a real socket
	writeMax int
	out      []byte
	closed   bool
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	if c.block = !c.block; c.block {
		return 0, ErrWouldBlock
	}
	n := len(c.in)
	if len(c.splits) > 0 {
		n = max(1, c.splits[c.turn%len(c.splits)])
		c.turn++
	}
	n = copy(p, c.in[:min(n, len(c.in))])
	c.in = c.in[n:]
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	n := len(p)
	if c.writeMax > 0 && n > c.writeMax {
		n = c.writeMax
	}
	if c.writeMax < 0 { // a peer whose window stays shut
		n = 0
	}
	c.out = append(c.out, p[:n]...)
	if n < len(p) {
		return n, ErrWouldBlock
	}
	return n, nil
}

func (c *fakeConn) Close() error               { c.closed = true; return nil }
func (c *fakeConn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }
