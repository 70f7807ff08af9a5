package unixsock

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// The tests below send only on the loopback interface, to a group and
// port of their own, so that no datagram leaves the host; or, with
// BIPLANE_MULTICAST_IF set, on that interface: scripts/mdns-check.sh
// runs them on a veth pair between two network namespaces of its own,
// where IPv6 multicast works (on lo it has no route).
func testInterface() string {
	if name := os.Getenv("BIPLANE_MULTICAST_IF"); name != "" {
		return name
	}
	return "lo"
}

// listenLo opens a PacketConn joined to group on the test interface, or
// skips the test if the family is unavailable there.
func listenLo(t *testing.T, group string) *PacketConn {
	t.Helper()
	p, err := ListenMulticast(netip.MustParseAddrPort(group), testInterface())
	if err != nil {
		if strings.HasPrefix(group, "[") {
			t.Skipf("IPv6 multicast on lo: %v", err)
		}
		t.Fatalf("ListenMulticast: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readWithin reads one datagram from p, waiting up to a second for it.
func readWithin(t *testing.T, p *PacketConn, buf []byte) (int, netip.AddrPort) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		n, from, err := p.ReadFrom(buf)
		if err == nil {
			return n, from
		}
		if err != biplane.ErrWouldBlock {
			t.Fatalf("ReadFrom: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no datagram within a second")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMulticastLoopback checks that two sockets joined to a group on one
// port both receive what one of them sends to the group (multicast
// loopback on, SO_REUSEPORT), that reads do not block, and that a
// datagram longer than the buffer is cut to it.
func TestMulticastLoopback(t *testing.T) {
	for _, group := range []string{"224.0.0.251:0", "[ff02::fb]:0"} {
		t.Run(group, func(t *testing.T) {
			a := listenLo(t, group)
			if a.Group().Port() == 0 {
				t.Fatalf("Group %v: port 0, want the port bound", a.Group())
			}
			b := listenLo(t, a.Group().String())
			if name, _ := b.Interface(); name != testInterface() {
				t.Errorf("Interface: %s, want %s", name, testInterface())
			}
			buf := make([]byte, 64)
			for _, p := range []*PacketConn{a, b} {
				if n, _, err := p.ReadFrom(buf); err != biplane.ErrWouldBlock {
					t.Fatalf("ReadFrom with nothing queued: %d, %v; want ErrWouldBlock", n, err)
				}
			}
			msg := bytes.Repeat([]byte("datagram "), 10) // 90 bytes
			n, err := a.WriteTo(msg, a.Group())
			if errors.Is(err, syscall.ENETUNREACH) && a.Group().Addr().Is6() && testInterface() == "lo" {
				t.Skip("no IPv6 multicast route on lo; scripts/mdns-check.sh runs this on a veth")
			}
			if n != len(msg) || err != nil {
				t.Fatalf("WriteTo the group: %d, %v", n, err)
			}
			for i, p := range []*PacketConn{a, b} {
				n, from := readWithin(t, p, buf)
				if n != len(buf) || !bytes.Equal(buf[:n], msg[:len(buf)]) {
					t.Errorf("socket %d read %d bytes %q, want the first %d", i, n, buf[:n], len(buf))
				}
				if from.Port() != a.Group().Port() || !from.IsValid() {
					t.Errorf("socket %d: sender %v, want port %d", i, from, a.Group().Port())
				}
			}
		})
	}
}

// TestUnicast checks a unicast round trip, through a plain UDP socket on
// 127.0.0.1, and that an ICMP error a send left on the socket is skipped.
func TestUnicast(t *testing.T) {
	p := listenLo(t, "224.0.0.251:0")
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			syscall.Close(fd)
		}
	}()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	peer := addrPort(sa)
	if err := syscall.Sendto(fd, []byte("query"), 0, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(p.Group().Port())}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, from := readWithin(t, p, buf)
	if string(buf[:n]) != "query" || from != peer {
		t.Errorf("read %q from %v, want \"query\" from %v", buf[:n], from, peer)
	}
	if n, err := p.WriteTo([]byte("answer"), from); n != 6 || err != nil {
		t.Fatalf("WriteTo %v: %d, %v", from, n, err)
	}
	m, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil || string(buf[:m]) != "answer" {
		t.Errorf("peer read %q, %v", buf[:m], err)
	}
	// A port nobody listens on: the ICMP error comes back as
	// ECONNREFUSED on the next call, which ReadFrom skips.
	syscall.Close(fd)
	closed = true
	p.WriteTo([]byte("lost"), peer)
	time.Sleep(10 * time.Millisecond)
	if _, _, err := p.ReadFrom(buf); err != biplane.ErrWouldBlock {
		t.Errorf("ReadFrom after an ICMP error: %v, want ErrWouldBlock", err)
	}
	if _, err := p.WriteTo([]byte("x"), netip.MustParseAddrPort("[::1]:9")); err == nil ||
		!strings.Contains(err.Error(), "other address family") {
		t.Errorf("WriteTo an IPv6 address from IPv4: %v", err)
	}
}

// TestPacketAllocs checks that ReadFrom and WriteTo allocate nothing.
func TestPacketAllocs(t *testing.T) {
	p := listenLo(t, "224.0.0.251:0")
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p.Group().Port())
	buf := make([]byte, 100)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.WriteTo([]byte("ping"), to); err != nil {
			t.Fatal(err)
		}
		for {
			if _, _, err := p.ReadFrom(buf); err == nil {
				return
			} else if err != biplane.ErrWouldBlock {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per WriteTo and ReadFrom, want 0", allocs)
	}
}

// TestWatch checks that a watched PacketConn wakes Listener.Wait, which
// reports no connection for it, and that Close ends the watch.
func TestWatch(t *testing.T) {
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := listenLo(t, "224.0.0.251:0")
	if err := l.Watch(p); err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if err := l.Watch(p); err == nil {
		t.Errorf("second Watch: nil error, want one")
	}
	// Drain anything from registration, then wait with nothing coming.
	l.Wait(nil, 0)
	start := time.Now()
	ready, acceptable, err := l.Wait(nil, 50*time.Millisecond)
	if d := time.Since(start); err != nil || len(ready) != 0 || acceptable || d < 40*time.Millisecond {
		t.Fatalf("idle Wait: %v, %v, %v after %v; want a timeout after 50 ms", ready, acceptable, err, d)
	}
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p.Group().Port())
	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Sendto(mustUDP(t), []byte("q"), 0, &syscall.SockaddrInet4{Addr: to.Addr().As4(), Port: int(to.Port())})
	}()
	start = time.Now()
	ready, acceptable, err = l.Wait(nil, 5*time.Second)
	if d := time.Since(start); err != nil || len(ready) != 0 || acceptable || d > 2*time.Second {
		t.Fatalf("Wait for a datagram: %v, %v, %v after %v; want nothing reported, soon", ready, acceptable, err, d)
	}
	buf := make([]byte, 10)
	if n, _ := readWithin(t, p, buf); string(buf[:n]) != "q" {
		t.Errorf("read %q, want q", buf[:n])
	}
	p.Close()
	if err := l.Watch(p); err == nil {
		t.Errorf("Watch of a closed PacketConn: nil error")
	}
	if _, _, err := p.ReadFrom(buf); err == nil {
		t.Errorf("ReadFrom after Close: nil error")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	pl, err := Config{UsePoll: true}.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	q := listenLo(t, "224.0.0.251:0")
	if err := pl.Watch(q); err == nil || !strings.Contains(err.Error(), "needs epoll") {
		t.Errorf("Watch on a polling Listener: %v, want an error", err)
	}
}

// mustUDP returns a UDP socket that the test's cleanup closes.
func mustUDP(t *testing.T) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

func TestListenMulticastErrors(t *testing.T) {
	tests := []struct {
		group, ifname, want string
	}{
		{"10.0.0.1:5353", "lo", `unixsock: listen multicast 10.0.0.1:5353 on "lo": 10.0.0.1 is not a multicast address`},
		{"224.0.0.251:5353", "no-such-if0", `unixsock: listen multicast 224.0.0.251:5353 on "no-such-if0": no network interface named "no-such-if0"`},
	}
	for _, tt := range tests {
		_, err := ListenMulticast(netip.MustParseAddrPort(tt.group), tt.ifname)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ListenMulticast(%s, %q): %v, want %s", tt.group, tt.ifname, err, tt.want)
		}
	}
}

// TestInterfaceAddrs checks the netlink reading: lo has 127.0.0.1, and
// the interface picked by default, if any, is up, not loopback, and has
// an IPv4 address.
func TestInterfaceAddrs(t *testing.T) {
	p := listenLo(t, "224.0.0.251:0")
	addrs, err := p.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range addrs {
		found = found || a.Is4() && (testInterface() != "lo" || a == netip.MustParseAddr("127.0.0.1"))
	}
	if !found {
		t.Errorf("addresses of %s: %v, want an IPv4 one (127.0.0.1 on lo)", testInterface(), addrs)
	}
	ifi, err := pickInterface("", syscall.AF_INET)
	if err != nil {
		t.Logf("no default interface: %v", err)
		return
	}
	if ifi.flags&syscall.IFF_LOOPBACK != 0 || ifi.flags&syscall.IFF_UP == 0 {
		t.Errorf("default interface %s has flags %#x", ifi.name, ifi.flags)
	}
	addrs, err = interfaceAddrs(ifi.index)
	has4 := false
	for _, a := range addrs {
		has4 = has4 || a.Is4()
	}
	if err != nil || !has4 {
		t.Errorf("default interface %s: addresses %v, %v; want an IPv4 one", ifi.name, addrs, err)
	}
}
