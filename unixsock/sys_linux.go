package unixsock

import "syscall"

// noSignal keeps a send to a peer that has gone from raising SIGPIPE.
const noSignal = syscall.MSG_NOSIGNAL

// pollRDHUP asks poll(2) to report a peer's shutdown of its sending side.
const pollRDHUP = 0x2000

func sysSocket(family int) (int, error) {
	return syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
}

// prepareConn sets what accept4 could not; on Linux that is nothing.
func prepareConn(fd int) error { return nil }

func (c Config) newWaiter(lfd, wfd int) (waiter, error) {
	if c.UsePoll {
		return new(poller), nil
	}
	return newEpoller(lfd, wfd)
}
