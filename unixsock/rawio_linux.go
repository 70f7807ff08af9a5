//go:build linux && !386

package unixsock

import (
	"syscall"
	"unsafe"
)

// The socket calls below never block: every socket a Listener makes or
// accepts is non-blocking. So they are made as raw system calls, which
// skip the runtime's bookkeeping for a call that might block (entersyscall
// and exitsyscall: about 400 instructions a call, a tenth of a request's).
// Wait's epoll_pwait2 and poll, which do block, stay ordinary calls.

var zero uintptr // a valid address for a zero-length buffer

// sysRead is read(2).
func sysRead(fd int, p []byte) (int, syscall.Errno) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	return int(r), errno
}

// sysSend is send(2) with MSG_NOSIGNAL, so that a peer that has gone
// cannot raise SIGPIPE.
func sysSend(fd int, p []byte) (int, syscall.Errno) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	r, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(ptr), uintptr(len(p)),
		noSignal, 0, 0)
	return int(r), errno
}

// sysSendmsg is sendmsg(2) with MSG_NOSIGNAL.
func sysSendmsg(fd int, msg *syscall.Msghdr) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(msg)), noSignal)
	return int(r), errno
}
