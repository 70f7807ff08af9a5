//go:build linux && !386

package unixsock

import (
	"io"
	"syscall"
	"unsafe"

	"github.com/biplane-go/biplane"
)

var _ biplane.FileSender = (*Conn)(nil)

// sendfile is sendfile(2), a variable so that a test can make it fail as
// a file system without it does. It is an ordinary system call, not a raw
// one: a file that is not in the page cache makes it wait for the disk.
var sendfile = syscall.Sendfile

// copyBufSize is the buffer SendFile copies through where sendfile(2)
// cannot read the file.
const copyBufSize = 16 << 10

// SendFile writes head, then n bytes of the regular file open as fd from
// offset off, and returns like [Conn.Writev]: the count written, head's
// bytes first, with [biplane.ErrWouldBlock] if the send buffer filled
// first. It implements [biplane.FileSender].
//
// head goes with send(2) and MSG_MORE on TCP, so that it leaves in the
// same segment as the file's first bytes; the file's bytes go with
// sendfile(2), which hands the kernel's page cache to the socket without
// a copy through the program. more is not acted on: holding each piece's
// last short segment back with TCP_CORK until the file's end cost more
// than the short segments it saves (on loopback, 1 MiB files in 256 KiB
// pieces took 238-396 µs of the server's CPU each with it, 161-245 µs
// without, in five runs side by side). The file's own offset does not
// move. A file that ends before off+n fails it with
// io.ErrUnexpectedEOF once the bytes up to its end are written. Where
// sendfile cannot read the file (a file system without splice support:
// EINVAL, ENOSYS or EOPNOTSUPP), it reads the bytes with pread(2) into a
// buffer of 16 KiB and sends them; the buffer is the Listener's, made on
// the first such call. It does not allocate otherwise.
func (c *Conn) SendFile(head []byte, fd uintptr, off, n int64, more bool) (int64, error) {
	if c.fd < 0 {
		return 0, errConnClosed
	}
	var written int64
	flags := uintptr(noSignal)
	if c.l.tcp {
		flags |= syscall.MSG_MORE
	}
	for len(head) > 0 {
		m, errno := sysSendFlags(int(c.fd), head, flags)
		switch errno {
		case 0:
			head = head[m:]
			written += int64(m)
		case syscall.EINTR:
		case syscall.EAGAIN:
			c.want |= wantWrite
			return written, biplane.ErrWouldBlock
		default:
			return written, &sysError{"write", errno}
		}
	}
	for n > 0 {
		m, err := sendfile(int(c.fd), int(fd), &off, int(min(n, 1<<30)))
		switch {
		case err == nil && m == 0:
			return written, io.ErrUnexpectedEOF
		case err == nil:
			written += int64(m)
			n -= int64(m)
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			c.want |= wantWrite
			return written, biplane.ErrWouldBlock
		case err == syscall.EINVAL || err == syscall.ENOSYS || err == syscall.EOPNOTSUPP:
			m, err := c.copyFile(fd, off, n)
			return written + m, err
		default:
			return written, &sysError{"sendfile", err}
		}
	}
	return written, nil
}

// copyFile sends n bytes of the file open as fd from offset off through
// the Listener's buffer, as SendFile does where sendfile(2) cannot read
// the file, and returns like it.
func (c *Conn) copyFile(fd uintptr, off, n int64) (int64, error) {
	l := c.l
	if l.copyBuf == nil {
		l.copyBuf = make([]byte, copyBufSize)
	}
	var written int64
	for n > 0 {
		r, err := syscall.Pread(int(fd), l.copyBuf[:min(n, copyBufSize)], off)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return written, &sysError{"pread", err}
		case r == 0:
			return written, io.ErrUnexpectedEOF
		}
		m, err := c.Write(l.copyBuf[:r])
		written += int64(m)
		off += int64(m)
		n -= int64(m)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// sysSendFlags is send(2) with flags.
func sysSendFlags(fd int, p []byte, flags uintptr) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		flags, 0, 0)
	return int(r), errno
}
