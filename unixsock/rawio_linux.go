//go:build linux && !386

package unixsock

import (
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// The socket calls below never block: every socket a Listener makes or
// accepts is non-blocking. So they are made as raw system calls, which
// skip the runtime's bookkeeping for a call that might block (entersyscall
// and exitsyscall: about 400 instructions a call, a tenth of a request's).
// So is Wait's first look, an epoll_pwait that does not wait; its
// epoll_pwait2 and poll, which do block, stay ordinary calls.

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

// accept is accept4(2), its new socket non-blocking and close-on-exec.
// The peer's address is read from l.rsa, so nothing is allocated: package
// syscall's Accept4 allocates a Sockaddr for every connection.
func (l *Listener) accept() (int, netip.AddrPort, error) {
	l.rsaLen = syscall.SizeofSockaddrAny
	r, _, errno := syscall.RawSyscall6(syscall.SYS_ACCEPT4, uintptr(l.fd),
		uintptr(unsafe.Pointer(&l.rsa)), uintptr(unsafe.Pointer(&l.rsaLen)),
		syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, netip.AddrPort{}, errno
	}
	// As addrPort does: IPv4-mapped becomes IPv4, a scope a numeric zone.
	ip, port, scope := rawInet(&l.rsa)
	if !ip.IsValid() {
		return int(r), netip.AddrPort{}, nil // a Unix socket's peer
	}
	ip = ip.Unmap()
	if scope != 0 && ip.Is6() {
		ip = ip.WithZone(strconv.FormatUint(uint64(scope), 10))
	}
	return int(r), netip.AddrPortFrom(ip, port), nil
}
