//go:build dragonfly || freebsd || netbsd

package unixsock

import "syscall"

// noSignal keeps a send to a peer that has gone from raising SIGPIPE.
const noSignal = syscall.MSG_NOSIGNAL

// pollRDHUP is Linux's POLLRDHUP, which the BSDs lack: there a peer's
// shutdown shows as POLLIN, with read returning EOF.
const pollRDHUP = 0

func sysSocket(family int) (int, error) {
	return syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
}

func sysAccept(fd int) (int, syscall.Sockaddr, error) {
	return syscall.Accept4(fd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
}

// sysPipe makes a non-blocking, close-on-exec pipe.
func sysPipe(p []int) error {
	return syscall.Pipe2(p, syscall.O_NONBLOCK|syscall.O_CLOEXEC)
}

// prepareConn sets what accept4 could not; here that is nothing.
func prepareConn(fd int) error { return nil }

func (c Config) newWaiter(lfd, wfd int) (waiter, error) { return new(poller), nil }

const soReusePort = syscall.SO_REUSEPORT
