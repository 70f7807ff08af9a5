package unixsock

import "syscall"

// noSignal is zero: Darwin's send has no MSG_NOSIGNAL, so prepareConn sets
// SO_NOSIGPIPE on each connection instead.
const noSignal = 0

// pollRDHUP is Linux's POLLRDHUP, which Darwin lacks: there a peer's
// shutdown shows as POLLIN, with read returning EOF.
const pollRDHUP = 0

// sysSocket makes a non-blocking, close-on-exec socket. Darwin cannot do it
// in one call, so ForkLock keeps a concurrent fork from inheriting the
// descriptor before it is marked close-on-exec.
func sysSocket(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sysAccept is accept4 made of accept, as for sysSocket.
func sysAccept(fd int) (int, syscall.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := syscall.Accept(fd)
	if err == nil {
		syscall.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := syscall.SetNonblock(nfd, true); err != nil {
		syscall.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}

// sysPipe is pipe2 with O_NONBLOCK and O_CLOEXEC made of pipe, as for
// sysSocket.
func sysPipe(p []int) error {
	syscall.ForkLock.RLock()
	err := syscall.Pipe(p)
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return err
	}
	for _, fd := range p {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return err
		}
	}
	return nil
}

// prepareConn sets SO_NOSIGPIPE, Darwin's stand-in for MSG_NOSIGNAL.
func prepareConn(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_NOSIGPIPE, 1)
}

func (c Config) newWaiter(lfd, wfd int) (waiter, error) { return new(poller), nil }

const soReusePort = syscall.SO_REUSEPORT
