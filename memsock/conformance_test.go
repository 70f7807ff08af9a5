//go:build !tinygo

// Not built by TinyGo: the suite's peers for package net import net. See README.md, "TinyGo".

package memsock_test

import (
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/memsock"
)

// TestConformance runs the transport suite with the default buffers, and
// with buffers so small that writes fill them all the time.
func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"default buffers", 0},
		{"1000-byte buffers", 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			transporttest.Run(t, transporttest.Transport{
				Listen:  func(t testing.TB) (biplane.Listener, transporttest.Dialer) { return listen(t, tc.size) },
				NoReset: true,
			})
		})
	}
}

// listen returns a new Listener with the given buffer size and a dialer
// for it.
func listen(t testing.TB, size int) (biplane.Listener, transporttest.Dialer) {
	l := memsock.NewListener()
	l.BufferSize = size
	t.Cleanup(func() { l.Close() })
	return l, func() (transporttest.Peer, error) {
		c, err := l.Dial()
		if err != nil {
			return nil, err
		}
		return peer{c}, nil
	}
}

// peer is a Client as the suite's Peer. memsock has no resets: Reset
// closes.
type peer struct{ *memsock.Client }

func (p peer) Reset() error { return p.Close() }
