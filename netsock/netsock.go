// Package netsock adapts a net.Listener to a [biplane.Listener], so that a
// biplane server can serve a listener made by package net, crypto/tls or
// anything else that implements net.Listener.
//
// [New] picks one of two paths. A *net.TCPListener or *net.UnixListener on a
// system that package [github.com/biplane-go/biplane/unixsock] supports
// (Linux, Darwin, FreeBSD, NetBSD, DragonFly BSD) is served through a
// duplicate of its descriptor by a unixsock.Listener: fully non-blocking,
// with no goroutines. Any other listener, or any listener on another system,
// is served by the fallback [Listener], which puts goroutines doing blocking
// I/O behind non-blocking methods. Either way the server's own loop runs in
// one goroutine.
package netsock

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/biplane-go/biplane"
)

var (
	errListenerClosed = errors.New("netsock: use of closed listener")
	errConnClosed     = errors.New("netsock: use of closed connection")
	errWriteShut      = errors.New("netsock: write after CloseWrite")
)

// New adapts ln to a [biplane.Listener] that also implements
// [biplane.Waiter], [biplane.Waker] and [biplane.AcceptCloser].
//
// If ln is a *net.TCPListener or *net.UnixListener and the system is one
// that package unixsock supports, New duplicates ln's descriptor and returns
// a *unixsock.Listener on the duplicate. ln stays open and still belongs to
// the caller, who must close both: the returned listener's Close closes only
// the duplicate, and the socket listens until both are closed (closing a
// *net.UnixListener also removes its socket file). The same goes for
// CloseAccept: new connections are refused only once ln is closed too. Do
// not call ln.Accept meanwhile, since both would take connections from the
// same queue. Other types, even ones that embed a *net.TCPListener and so
// expose its descriptor, take the fallback path: they may override Accept,
// as a TLS listener does, and the descriptor would bypass that.
//
// Otherwise New returns a fallback [*Listener], which owns ln: its Close
// and its CloseAccept close ln, since that is the only way to end a blocked
// ln.Accept.
func New(ln net.Listener) (biplane.Listener, error) {
	if l, ok, err := newFD(ln); ok {
		return l, err
	}
	return newFallback(ln), nil
}

// Listen is net.Listen followed by [New]. It returns the listener and the
// address it is bound to, with the real port if address asked for port 0.
// The returned listener owns everything Listen opened: its Close, or its
// CloseAccept, closes the socket and, for "unix", removes the socket file.
func Listen(network, address string) (biplane.Listener, net.Addr, error) {
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, nil, fmt.Errorf("netsock: %w", err)
	}
	l, err := New(ln)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	return adopt(l, ln), ln.Addr(), nil
}

// addrPort converts a net.Addr to the form of [biplane.Conn.RemoteAddr]:
// the zero AddrPort if it is not an IP address and port, and an IPv4 peer of
// a dual-stack listener with its plain IPv4 address, as unixsock reports it.
func addrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch a := a.(type) {
	case nil:
	case *net.TCPAddr:
		ap = a.AddrPort()
	default:
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
