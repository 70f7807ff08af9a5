//go:build linux && 386

package unixsock

import (
	"syscall"
	"unsafe"
)

// On 386 the socket calls go through socketcall(2), which package
// syscall wraps but does not export raw: these use its wrappers, which
// allocate a socket address per call.

// sysRecvfrom is recvfrom(2).
func sysRecvfrom(fd int, p []byte, from *syscall.RawSockaddrAny, fromLen *uint32) (int, syscall.Errno) {
	n, sa, err := syscall.Recvfrom(fd, p, 0)
	if err != nil {
		return 0, errnoOf(err)
	}
	*from = syscall.RawSockaddrAny{}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		raw := (*syscall.RawSockaddrInet4)(unsafe.Pointer(from))
		raw.Family = syscall.AF_INET
		raw.Port = netPort(uint16(sa.Port))
		raw.Addr = sa.Addr
	case *syscall.SockaddrInet6:
		raw := (*syscall.RawSockaddrInet6)(unsafe.Pointer(from))
		raw.Family = syscall.AF_INET6
		raw.Port = netPort(uint16(sa.Port))
		raw.Addr = sa.Addr
		raw.Scope_id = sa.ZoneId
	}
	return n, 0
}

// sysSendto is sendto(2) with MSG_NOSIGNAL.
func sysSendto(fd int, p []byte, to unsafe.Pointer, toLen uintptr) (int, syscall.Errno) {
	var sa syscall.Sockaddr
	switch (*syscall.RawSockaddr)(to).Family {
	case syscall.AF_INET:
		raw := (*syscall.RawSockaddrInet4)(to)
		sa = &syscall.SockaddrInet4{Port: int(netPort(raw.Port)), Addr: raw.Addr}
	default:
		raw := (*syscall.RawSockaddrInet6)(to)
		sa = &syscall.SockaddrInet6{Port: int(netPort(raw.Port)), Addr: raw.Addr, ZoneId: raw.Scope_id}
	}
	if err := syscall.Sendto(fd, p, noSignal, sa); err != nil {
		return 0, errnoOf(err)
	}
	return len(p), 0
}
