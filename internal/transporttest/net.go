package transporttest

import (
	"errors"
	"net"
)

// NetDialer returns a Dialer that connects to address with net.Dial, for a
// transport that listens on a real socket.
func NetDialer(network, address string) Dialer {
	return func() (Peer, error) {
		c, err := net.Dial(network, address)
		if err != nil {
			return nil, err
		}
		return NetPeer(c), nil
	}
}

// NetPeer makes a Peer of c, a connection made by package net. Its Reset
// sends a TCP reset (SO_LINGER 0, then close); on a connection that is not
// TCP it closes.
func NetPeer(c net.Conn) Peer { return netPeer{c} }

type netPeer struct{ net.Conn }

func (p netPeer) CloseWrite() error {
	if cw, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("transporttest: the peer's connection has no CloseWrite")
}

func (p netPeer) Reset() error {
	if tc, ok := p.Conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return p.Close()
}
