package netsock_test

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/netsock"
)

// TestConformance runs the transport suite on both paths of New: the
// descriptor (through Listen, which owns the socket; where unixsock is
// missing it is the fallback too), and the fallback, over plain TCP and
// over crypto/tls, its main use.
func TestConformance(t *testing.T) {
	t.Run("descriptor", func(t *testing.T) {
		transporttest.Run(t, transporttest.Transport{Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
			l, addr, err := netsock.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l, transporttest.NetDialer("tcp", addr.String())
		}})
	})
	t.Run("fallback", func(t *testing.T) {
		transporttest.Run(t, transporttest.Transport{Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
			ln := listenTCP(t)
			return fallback(t, hidden{ln}), transporttest.NetDialer("tcp", ln.Addr().String())
		}})
	})
	t.Run("fallback over TLS", func(t *testing.T) {
		serverConf, clientConf := tlsConfigs(t)
		transporttest.Run(t, transporttest.Transport{
			Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
				ln := listenTCP(t)
				return fallback(t, tls.NewListener(ln, serverConf)), func() (transporttest.Peer, error) {
					raw, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						return nil, err
					}
					// The handshake comes with the first Read or Write,
					// once the server reads: that is after Accept.
					return tlsPeer{tls.Client(raw, clientConf), raw.(*net.TCPConn)}, nil
				}
			},
			Conns: 64, // a handshake each
		})
	})
}

// listenTCP listens on a loopback port. Cleanup closes it.
func listenTCP(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// fallback returns New's fallback for ln, failing if New took another
// path. Cleanup closes it.
func fallback(t testing.TB, ln net.Listener) biplane.Listener {
	l, err := netsock.New(ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, ok := l.(*netsock.Listener); !ok {
		t.Fatalf("New(%T) = %T, want the fallback", ln, l)
	}
	return l
}

// tlsPeer is a TLS client as the suite's Peer: CloseWrite sends
// close_notify, after the handshake if none came yet, so that the server
// reads the end of the stream; Reset resets the TCP connection under it.
type tlsPeer struct {
	*tls.Conn
	raw *net.TCPConn
}

func (p tlsPeer) CloseWrite() error {
	if err := p.Handshake(); err != nil {
		return err
	}
	return p.Conn.CloseWrite()
}

func (p tlsPeer) Reset() error {
	p.raw.SetLinger(0)
	return p.raw.Close()
}
