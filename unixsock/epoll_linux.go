package unixsock

import (
	"syscall"
	"time"
	"unsafe"

	"github.com/biplane-go/biplane"
)

const (
	// epollET is EPOLLET as the uint32 that EpollEvent.Events holds;
	// syscall declares it as a negative int.
	epollET = 1 << 31

	// connEvents is registered once per connection. Edge-triggered, it
	// wakes Wait when the connection becomes readable or writable, or when
	// the peer shuts down or resets it (EPOLLHUP and EPOLLERR are always
	// reported).
	connEvents = syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET
)

// An epoller waits with an edge-triggered epoll instance that watches the
// listener and every open connection. Each connection is registered once,
// at Accept, and needs no further epoll_ctl call, not even to close.
type epoller struct {
	fd       int
	lfd      int  // the listener's descriptor, or -1 after CloseAccept
	wfd      int  // the waker's eventfd
	noPwait2 bool // epoll_pwait2 is missing (Linux < 5.11) or forbidden (seccomp)
	ts       syscall.Timespec
	// events is reused by every Wait. 256 events a call is plenty: events
	// left over stay queued in the kernel for the next call.
	events [256]syscall.EpollEvent
}

// newEpoller watches the listener lfd and the waker's eventfd wfd. The
// eventfd is edge-triggered too: every Wake that writes to it makes an
// event, whether Wait has drained it or not.
func newEpoller(lfd, wfd int) (*epoller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, &sysError{"epoll_create1", err}
	}
	e := &epoller{fd: fd, lfd: lfd, wfd: wfd}
	for _, w := range [...]int{lfd, wfd} {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(w)}
		if err := syscall.EpollCtl(fd, syscall.EPOLL_CTL_ADD, w, &ev); err != nil {
			syscall.Close(fd)
			return nil, &sysError{"epoll_ctl", err}
		}
	}
	return e, nil
}

func (e *epoller) add(c *Conn) error {
	ev := syscall.EpollEvent{Events: connEvents, Fd: c.fd}
	if err := syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_ADD, int(c.fd), &ev); err != nil {
		return &sysError{"epoll_ctl", err}
	}
	return nil
}

// stopAccept deregisters the listener before CloseAccept closes it, and
// forgets its number, which the system may give to the next descriptor
// opened: from now on no event is taken for the listener's.
func (e *epoller) stopAccept() {
	syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_DEL, e.lfd, nil)
	e.lfd = -1
}

func (e *epoller) close() error { return syscall.Close(e.fd) }

func (e *epoller) wait(l *Listener, ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	n, err := e.pwait(timeout)
	if err == syscall.EINTR {
		return ready, false, nil
	}
	if err != nil {
		return ready, false, &sysError{"epoll_wait", err}
	}
	acceptable := false
	for i := range e.events[:n] {
		fd := int(e.events[i].Fd)
		switch fd {
		case e.lfd:
			acceptable = true
			continue
		case e.wfd:
			l.wake.drain()
			continue
		}
		// A nil slot is an event for a connection closed since: skip it.
		if fd < len(l.conns) && l.conns[fd] != nil {
			c := l.conns[fd]
			c.drained = false // bytes may have come since its last short read
			if e.events[i].Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				c.hup = true
			}
			ready = append(ready, c)
		}
	}
	return ready, acceptable, nil
}

// pwait waits for events. A positive timeout goes to epoll_pwait2, which
// takes a timespec; without it, epoll_wait's milliseconds are rounded up.
//
// It looks without waiting first, in a raw system call, like a read: one
// that cannot block needs none of the scheduler's bookkeeping for a call
// that might (entering and leaving it, and the system monitor handing the
// loop's processor to another thread meanwhile), which is about a tenth of
// a keep-alive request's user-space instructions. A busy loop always finds
// something there; an idle one pays one more system call before it sleeps.
func (e *epoller) pwait(timeout time.Duration) (int, error) {
	r, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(e.fd),
		uintptr(unsafe.Pointer(&e.events[0])), uintptr(len(e.events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if r > 0 || timeout == 0 {
		return int(r), nil
	}
	if timeout > 0 && !e.noPwait2 {
		e.ts = syscall.NsecToTimespec(int64(timeout))
		r, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(e.fd),
			uintptr(unsafe.Pointer(&e.events[0])), uintptr(len(e.events)),
			uintptr(unsafe.Pointer(&e.ts)), 0, 0)
		switch errno {
		case 0:
			return int(r), nil
		case syscall.ENOSYS, syscall.EPERM:
			e.noPwait2 = true
		default:
			return 0, errno
		}
	}
	return syscall.EpollWait(e.fd, e.events[:], durationMillis(timeout))
}
