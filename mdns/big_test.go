//go:build !baremetal

// Not built for boards: TinyGo's heap there (under 64 KiB on
// cortex-m-qemu) has no room for a 9 KB datagram beside the tests.

package mdns

import "testing"

func TestParseTooLong(t *testing.T) {
	var m message
	if err := m.parse(make([]byte, maxPacket+1)); err != errLong {
		t.Errorf("a message of %d bytes: got %v, want %v", maxPacket+1, err, errLong)
	}
}
