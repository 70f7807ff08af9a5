package remote_test

import (
	"io"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/internal/transporttest/remote"
	"github.com/biplane-go/biplane/memsock"
)

// TestSuite runs the transport suite on memsock served through a pair of
// pipes, as a transport inside a runtime is served through its standard
// input and output. The Listener Dial returns is not a Waiter, so the
// suite polls it.
func TestSuite(t *testing.T) {
	transporttest.Run(t, transporttest.Transport{
		Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
			l := memsock.NewListener()
			reqR, reqW := io.Pipe()
			repR, repW := io.Pipe()
			served := make(chan error, 1)
			go func() { served <- remote.Serve(l, reqR, repW) }()
			rl, err := remote.Dial(repR, reqW)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				rl.Close()
				reqW.Close() // Serve reads the end, and returns
				if err := <-served; err != nil {
					t.Errorf("Serve: %v", err)
				}
			})
			return rl, func() (transporttest.Peer, error) {
				c, err := l.Dial()
				if err != nil {
					return nil, err
				}
				return peer{c}, nil
			}
		},
		NoReset: true,
	})
}

type peer struct{ *memsock.Client }

func (p peer) Reset() error { return p.Close() }
