//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"path/filepath"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/unixsock"
)

var _ biplane.VectorWriter = (*unixsock.Conn)(nil)

// TestConformance runs the transport suite over TCP with each Wait
// (epoll, and poll, which other systems always use), and over a Unix
// socket, whose peers cannot reset.
func TestConformance(t *testing.T) {
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		t.Run("tcp", func(t *testing.T) {
			transporttest.Run(t, transporttest.Transport{
				Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
					l := listen(t, cfg, "tcp", "127.0.0.1:0")
					return l, transporttest.NetDialer("tcp", l.Addr().String())
				},
			})
		})
		t.Run("unix", func(t *testing.T) {
			transporttest.Run(t, transporttest.Transport{
				Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
					path := filepath.Join(t.TempDir(), "s.sock")
					return listen(t, cfg, "unix", path), transporttest.NetDialer("unix", path)
				},
				NoReset: true,
			})
		})
	})
}
