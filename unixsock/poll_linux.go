package unixsock

import (
	"syscall"
	"time"
	"unsafe"
)

// sysPoll waits with ppoll(2), which every Linux architecture has (arm64
// has no poll) and whose timespec keeps the timeout's full resolution.
func sysPoll(fds []pollFd, timeout time.Duration) (int, error) {
	var ts *syscall.Timespec
	if timeout >= 0 {
		t := syscall.NsecToTimespec(int64(timeout))
		ts = &t
	}
	r, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])),
		uintptr(len(fds)), uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
