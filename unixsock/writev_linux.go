//go:build linux && !386

package unixsock

import (
	"syscall"

	"github.com/biplane-go/biplane"
)

// maxIovecs is IOV_MAX on Linux: the most buffers one sendmsg takes.
const maxIovecs = 1024

// iovecs is the reusable state of [Conn.Writev].
type iovecs struct {
	msg syscall.Msghdr
	iov []syscall.Iovec
}

// Writev writes the concatenation of bufs with as few system calls as it
// can: one sendmsg(2), with MSG_NOSIGNAL, for up to 1024 buffers. It
// returns like [Conn.Write]: the count written, with
// [biplane.ErrWouldBlock] if the send buffer filled first. After the first
// call it does not allocate, unless given more buffers than ever before.
func (c *Conn) Writev(bufs [][]byte) (int, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	v := c.vec
	if v == nil {
		v = new(iovecs)
		c.vec = v
	}
	written := 0
	off := 0 // bytes of bufs[0] already written
	for {
		iov := v.iov[:0]
		for i, b := range bufs {
			if i == 0 {
				b = b[off:]
			}
			if len(b) == 0 {
				continue
			}
			if len(iov) == maxIovecs {
				break
			}
			iov = append(iov, syscall.Iovec{Base: &b[0]})
			iov[len(iov)-1].SetLen(len(b))
		}
		v.iov = iov
		if len(iov) == 0 {
			return written, nil
		}
		n, err := v.sendmsg(int(c.fd))
		clear(iov) // do not keep the caller's buffers alive
		switch err {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.want |= wantWrite
			return written, biplane.ErrWouldBlock
		default:
			return written, &sysError{"writev", err}
		}
		written += n
		for n > 0 {
			if rest := len(bufs[0]) - off; n < rest {
				off += n
				break
			} else {
				n -= rest
			}
			bufs, off = bufs[1:], 0
		}
	}
}

func (v *iovecs) sendmsg(fd int) (int, syscall.Errno) {
	v.msg.Iov = &v.iov[0]
	setLen(&v.msg.Iovlen, len(v.iov))
	return sysSendmsg(fd, &v.msg)
}

// setLen sets Msghdr.Iovlen, whose type varies with the architecture.
func setLen[T ~uint32 | ~uint64](p *T, n int) { *p = T(n) }
