//go:build darwin || dragonfly || freebsd || netbsd || (linux && 386)

package unixsock

// iovecs would hold Writev's reusable state; writing buffers one by one
// needs none.
type iovecs struct{}

// Writev writes the concatenation of bufs, one buffer after the other, and
// returns like [Conn.Write]: the count written, with [biplane.ErrWouldBlock]
// if the send buffer filled first. (On Linux it makes one sendmsg(2) call
// for them all.)
func (c *Conn) Writev(bufs [][]byte) (int, error) {
	written := 0
	for _, b := range bufs {
		n, err := c.Write(b)
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
