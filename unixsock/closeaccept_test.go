//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/biplane-go/biplane/unixsock"
)

// TestCloseAcceptRefuses checks how the system refuses connections once
// CloseAccept has closed the listening socket: TCP with ECONNREFUSED, a
// Unix socket by the file's absence (ENOENT), and a connection queued but
// never accepted with a reset. The suite checks that they are refused at
// all, and the rest of CloseAccept (TestConformance).
func TestCloseAcceptRefuses(t *testing.T) {
	tests := []struct {
		network string
		address func(t *testing.T) string
		refused syscall.Errno // what dialing after CloseAccept fails with
	}{
		{"tcp", func(*testing.T) string { return "127.0.0.1:0" }, syscall.ECONNREFUSED},
		{"unix", func(t *testing.T) string { return filepath.Join(t.TempDir(), "s.sock") }, syscall.ENOENT},
	}
	forEachWaiter(t, func(t *testing.T, cfg unixsock.Config) {
		for _, tt := range tests {
			t.Run(tt.network, func(t *testing.T) {
				address := tt.address(t)
				l := listen(t, cfg, tt.network, address)
				if tt.network == "tcp" {
					address = l.Addr().String()
				}
				queued := dial(t, tt.network, address)
				if err := l.CloseAccept(); err != nil {
					t.Fatal(err)
				}
				if tt.network == "unix" {
					if _, err := os.Stat(address); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("socket file after CloseAccept: %v, want it gone", err)
					}
				}
				if _, err := net.Dial(tt.network, address); !errors.Is(err, tt.refused) {
					t.Errorf("Dial after CloseAccept: %v, want %v", err, tt.refused)
				}
				if _, err := queued.Read(make([]byte, 1)); tt.network == "tcp" && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("a connection never accepted: Read = %v, want ECONNRESET", err)
				}
			})
		}
	})
}
