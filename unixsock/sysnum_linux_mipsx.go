//go:build linux && (mips || mipsle)

package unixsock

// sysEpollPwait2 is epoll_pwait2's number (Linux 5.11) in the o32 table,
// which starts at 4000; syscall predates it.
const sysEpollPwait2 = 4441

// soReusePort is SO_REUSEPORT, which MIPS numbers apart.
const soReusePort = 0x200
