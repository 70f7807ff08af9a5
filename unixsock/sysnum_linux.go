//go:build linux && !(mips || mipsle || mips64 || mips64le)

package unixsock

// sysEpollPwait2 is epoll_pwait2's number (Linux 5.11) in the table that
// most architectures share since Linux 5.1; syscall predates it.
const sysEpollPwait2 = 441

// soReusePort is SO_REUSEPORT (Linux 3.9), which syscall lacks here.
const soReusePort = 0xf
