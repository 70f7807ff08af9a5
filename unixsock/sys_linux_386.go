package unixsock

import "syscall"

// sysAccept is accept4(2) through package syscall, which on 386 makes it
// with socketcall(2); other Linux systems make it raw (rawio_linux.go).
func sysAccept(fd int) (int, syscall.Sockaddr, error) {
	return syscall.Accept4(fd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
}
