//go:build linux && !386

package unixsock

import (
	"syscall"
	"unsafe"
)

// sysRecvfrom is recvfrom(2), as a raw system call like sysRead: the
// socket never blocks.
func sysRecvfrom(fd int, p []byte, from *syscall.RawSockaddrAny, fromLen *uint32) (int, syscall.Errno) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	r, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(ptr), uintptr(len(p)),
		0, uintptr(unsafe.Pointer(from)), uintptr(unsafe.Pointer(fromLen)))
	return int(r), errno
}

// sysSendto is sendto(2) with MSG_NOSIGNAL, as a raw system call.
func sysSendto(fd int, p []byte, to unsafe.Pointer, toLen uintptr) (int, syscall.Errno) {
	ptr := unsafe.Pointer(&zero)
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	r, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(ptr), uintptr(len(p)),
		noSignal, uintptr(to), toLen)
	return int(r), errno
}
