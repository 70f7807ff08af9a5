package unixsock

import (
	"encoding/binary"
	"syscall"
)

// eventfd tells that the waker is an eventfd, which one read empties.
const eventfd = true

// wakeMsg is what Wake writes to the eventfd: 1, added to its counter, as
// 8 bytes in the machine's byte order.
var wakeMsg = binary.NativeEndian.AppendUint64(nil, 1)

// newWakeFds makes a non-blocking, close-on-exec eventfd, which serves as
// both ends of the waker. EFD_NONBLOCK and EFD_CLOEXEC are O_NONBLOCK and
// O_CLOEXEC, whose values differ between architectures.
func newWakeFds() (r, w int, err error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return -1, -1, &sysError{"eventfd2", errno}
	}
	return int(fd), int(fd), nil
}
