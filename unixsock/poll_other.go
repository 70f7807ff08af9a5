//go:build darwin || dragonfly || freebsd || netbsd

package unixsock

import (
	"syscall"
	"time"
	"unsafe"
)

// sysPoll waits with poll(2), its timeout rounded up to milliseconds.
func sysPoll(fds []pollFd, timeout time.Duration) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&fds[0])),
		uintptr(len(fds)), uintptr(durationMillis(timeout)))
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
