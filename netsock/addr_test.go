package netsock

import (
	"net"
	"net/netip"
	"testing"
)

type strAddr string

func (a strAddr) Network() string { return "test" }
func (a strAddr) String() string  { return string(a) }

func TestAddrPort(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, "127.0.0.1:80"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 443}, "10.0.0.1:443"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 8080}, "[2001:db8::1]:8080"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: "eth0"}, "[fe80::1%eth0]:1"},
		{strAddr("192.0.2.1:9"), "192.0.2.1:9"},
		{strAddr("pipe"), "invalid AddrPort"},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, "invalid AddrPort"},
		{nil, "invalid AddrPort"},
	}
	for _, tc := range tests {
		got := addrPort(tc.addr)
		if got.String() != tc.want {
			t.Errorf("addrPort(%v) = %v, want %v", tc.addr, got, tc.want)
		}
		if tc.want == "invalid AddrPort" && got != (netip.AddrPort{}) {
			t.Errorf("addrPort(%v) = %#v, want the zero AddrPort", tc.addr, got)
		}
	}
}
