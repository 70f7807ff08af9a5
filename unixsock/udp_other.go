//go:build darwin || dragonfly || freebsd || netbsd

package unixsock

import (
	"errors"
	"net/netip"
	"runtime"
)

// A PacketConn is a multicast UDP socket; see the Linux documentation.
// [ListenMulticast] is not implemented on this system, so there are none.
type PacketConn struct{}

var errNoMulticast = errors.New("unixsock: ListenMulticast is implemented on Linux only, not on " + runtime.GOOS)

// ListenMulticast returns an error: multicast sockets are implemented on
// Linux only.
func ListenMulticast(group netip.AddrPort, ifname string) (*PacketConn, error) {
	return nil, errNoMulticast
}

// Fd returns -1.
func (p *PacketConn) Fd() int { return -1 }

// Group returns the zero AddrPort.
func (p *PacketConn) Group() netip.AddrPort { return netip.AddrPort{} }

// Interface returns nothing.
func (p *PacketConn) Interface() (name string, index int) { return "", 0 }

// InterfaceAddrs returns an error.
func (p *PacketConn) InterfaceAddrs() ([]netip.Addr, error) { return nil, errNoMulticast }

// ReadFrom returns an error.
func (p *PacketConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errNoMulticast
}

// WriteTo returns an error.
func (p *PacketConn) WriteTo(b []byte, addr netip.AddrPort) (int, error) { return 0, errNoMulticast }

// Close does nothing.
func (p *PacketConn) Close() error { return nil }

// Watch returns an error.
func (l *Listener) Watch(p *PacketConn) error { return errNoMulticast }
