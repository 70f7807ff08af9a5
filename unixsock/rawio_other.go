//go:build !linux || 386

package unixsock

import (
	"net/netip"
	"syscall"
)

// sysRead is read(2).
func sysRead(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(fd, p)
	return n, errnoOf(err)
}

// sysSend sends p, with SIGPIPE kept off by the socket's SO_NOSIGPIPE
// (set by prepareConn) or MSG_NOSIGNAL, whichever the system has.
func sysSend(fd int, p []byte) (int, syscall.Errno) {
	n, err := syscall.SendmsgN(fd, p, nil, nil, noSignal)
	return n, errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}

// accept is accept4(2), or accept(2) and fcntl(2) where there is no
// accept4, its new socket non-blocking and close-on-exec.
func (l *Listener) accept() (int, netip.AddrPort, error) {
	fd, sa, err := sysAccept(l.fd)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return fd, addrPort(sa), nil
}
