//go:build linux && (mips64 || mips64le)

package unixsock

// sysEpollPwait2 is epoll_pwait2's number (Linux 5.11) in the n64 table,
// which starts at 5000; syscall predates it.
const sysEpollPwait2 = 5441

// soReusePort is SO_REUSEPORT, which MIPS numbers apart.
const soReusePort = 0x200
