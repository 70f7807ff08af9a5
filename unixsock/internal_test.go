//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock

import (
	"net/netip"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func TestDurationMillis(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{-1, -1},
		{-time.Hour, -1},
		{0, 0},
		{1, 1},
		{time.Microsecond, 1},
		{time.Millisecond, 1},
		{time.Millisecond + 1, 2},
		{2 * time.Millisecond, 2},
		{1500 * time.Microsecond, 2},
		{time.Second, 1000},
		{1<<63 - 1, 1<<31 - 1},
	}
	for _, tt := range tests {
		if got := durationMillis(tt.d); got != tt.want {
			t.Errorf("durationMillis(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestTemporary(t *testing.T) {
	tests := []struct {
		err  syscall.Errno
		want bool
	}{
		{syscall.EMFILE, true},
		{syscall.ENFILE, true},
		{syscall.ENOBUFS, true},
		{syscall.ENOMEM, true},
		{syscall.ENOSPC, true},
		{syscall.EBADF, false},
		{syscall.EINVAL, false},
		{syscall.ECONNRESET, false},
	}
	for _, tt := range tests {
		if got := (&sysError{"accept", tt.err}).Temporary(); got != tt.want {
			t.Errorf("Temporary() for %v = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		network, address string
		family           int
		addr             string // the address bound, as netip.AddrPort
		v6only           bool
		alt              bool // falls back to IPv4
	}{
		{"tcp", "127.0.0.1:8000", syscall.AF_INET, "127.0.0.1:8000", false, false},
		{"tcp4", "127.0.0.1:8000", syscall.AF_INET, "127.0.0.1:8000", false, false},
		{"tcp", "[::1]:0", syscall.AF_INET6, "[::1]:0", true, false},
		{"tcp6", "[::1]:80", syscall.AF_INET6, "[::1]:80", true, false},
		{"tcp", ":8000", syscall.AF_INET6, "[::]:8000", false, true},
		{"tcp4", ":8000", syscall.AF_INET, "0.0.0.0:8000", false, false},
		{"tcp6", ":8000", syscall.AF_INET6, "[::]:8000", true, false},
		{"tcp", "localhost:8000", syscall.AF_INET, "127.0.0.1:8000", false, false},
		{"tcp", "LocalHost:1", syscall.AF_INET, "127.0.0.1:1", false, false},
		{"tcp6", "localhost:8000", syscall.AF_INET6, "[::1]:8000", true, false},
		{"tcp", "[::ffff:10.0.0.1]:80", syscall.AF_INET, "10.0.0.1:80", false, false},
		{"tcp6", "[fe80::1%3]:80", syscall.AF_INET6, "[fe80::1%3]:80", true, false},
		{"tcp", "[::]:65535", syscall.AF_INET6, "[::]:65535", true, false},
	}
	for _, tt := range tests {
		ep, err := resolve(tt.network, tt.address)
		if err != nil {
			t.Errorf("resolve(%q, %q): %v", tt.network, tt.address, err)
			continue
		}
		if ep.family != tt.family || ep.v6only != tt.v6only || (ep.alt != nil) != tt.alt {
			t.Errorf("resolve(%q, %q) = family %d, v6only %v, alt %v; want %d, %v, %v",
				tt.network, tt.address, ep.family, ep.v6only, ep.alt != nil, tt.family, tt.v6only, tt.alt)
		}
		if got := addrPort(ep.sa); got.String() != tt.addr {
			t.Errorf("resolve(%q, %q) binds %v, want %s", tt.network, tt.address, got, tt.addr)
		}
	}
	ep, err := resolve("unix", "/tmp/x.sock")
	if err != nil || ep.family != syscall.AF_UNIX || ep.path != "/tmp/x.sock" || addrPort(ep.sa) != (netip.AddrPort{}) {
		t.Errorf("resolve(unix) = %+v, %v", ep, err)
	}
}

func TestConnSize(t *testing.T) {
	// The documented size; a change here should update Conn's doc comment.
	if unsafe.Sizeof(uintptr(0)) == 8 && unsafe.Sizeof(Conn{}) != 64 {
		t.Errorf("Conn is %d bytes, documented as 64", unsafe.Sizeof(Conn{}))
	}
}
