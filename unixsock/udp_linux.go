package unixsock

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/biplane-go/biplane"
)

// Socket options that package syscall lacks on Linux.
const (
	// ipMulticastAll (IP_MULTICAST_ALL, Linux 2.6.31) is on by default: a
	// socket bound to the wildcard address then receives every group any
	// socket of the host joined on its port. Off, only its own groups.
	ipMulticastAll   = 49
	ipv6MulticastAll = 29 // IPV6_MULTICAST_ALL, Linux 4.20
)

// A PacketConn is a non-blocking UDP socket joined to a multicast group on
// one network interface, such as Multicast DNS's 224.0.0.251:5353. It
// satisfies mdns.PacketConn and mdns.InterfaceConn. Like a [Listener], it
// belongs to one goroutine at a time. It is made with [ListenMulticast],
// on Linux only.
//
// To wake a loop that waits in a [Listener] (as biplane.Server.Wait does)
// when a datagram arrives, register it with [Listener.Watch].
type PacketConn struct {
	fd      int // -1 once closed
	family  int
	group   netip.AddrPort
	ifindex int
	ifname  string
	zone    string    // ifindex as a zone, for link-local senders
	l       *Listener // watching it, or nil

	// Socket addresses for recvfrom and sendto, kept here so that neither
	// allocates.
	rsa    syscall.RawSockaddrAny
	rsaLen uint32
	sa4    syscall.RawSockaddrInet4
	sa6    syscall.RawSockaddrInet6
}

// ListenMulticast opens a non-blocking UDP socket bound to group's port on
// every address, and joins group on the network interface named ifname,
// from which it also sends to the group. group is an IPv4 or IPv6
// multicast address with a port: "224.0.0.251:5353" or "[ff02::fb]:5353"
// for Multicast DNS; port 0 picks a free port, which [PacketConn.Group]
// then has. If ifname is empty, the first interface (by index) that is up
// and running, can multicast, is not loopback and has an address of
// group's family is used. A named interface is used as it is: "lo" keeps
// the traffic on the host, which tests use.
//
// The socket has SO_REUSEADDR and SO_REUSEPORT set, so that other
// programs of the host (avahi-daemon, another responder) can bind the
// same port, and each gets every datagram sent to the group.
// IP_MULTICAST_ALL is off, so it receives only its own group. The
// multicast TTL (hop limit) and unicast TTL are 255, as RFC 6762 §11
// asks of Multicast DNS, and multicast loopback is on: programs on the
// same host hear each other, as hosts on the link do.
func ListenMulticast(group netip.AddrPort, ifname string) (*PacketConn, error) {
	p, err := listenMulticast(group, ifname)
	if err != nil {
		return nil, fmt.Errorf("unixsock: listen multicast %s on %q: %w", group, ifname, err)
	}
	return p, nil
}

func listenMulticast(group netip.AddrPort, ifname string) (*PacketConn, error) {
	ip := group.Addr()
	if !ip.IsMulticast() {
		return nil, fmt.Errorf("%s is not a multicast address", ip)
	}
	family := syscall.AF_INET
	if ip.Is6() {
		family = syscall.AF_INET6
	}
	ifi, err := pickInterface(ifname, family)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, &sysError{"socket", err}
	}
	p := &PacketConn{fd: fd, family: family, group: group, ifindex: ifi.index, ifname: ifi.name,
		zone: strconv.Itoa(ifi.index)}
	if err := p.setup(); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return p, nil
}

// setup sets the socket's options, binds it and joins the group.
func (p *PacketConn) setup() error {
	type opt struct {
		level, name, value int
		what               string
		optional           bool
	}
	opts := []opt{
		{syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1, "SO_REUSEADDR", false},
		{syscall.SOL_SOCKET, soReusePort, 1, "SO_REUSEPORT", false},
	}
	if p.family == syscall.AF_INET {
		opts = append(opts,
			opt{syscall.IPPROTO_IP, ipMulticastAll, 0, "IP_MULTICAST_ALL", true},
			opt{syscall.IPPROTO_IP, syscall.IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL", false},
			opt{syscall.IPPROTO_IP, syscall.IP_TTL, 255, "IP_TTL", false},
			opt{syscall.IPPROTO_IP, syscall.IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP", false})
	} else {
		opts = append(opts,
			opt{syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1, "IPV6_V6ONLY", false},
			opt{syscall.IPPROTO_IPV6, ipv6MulticastAll, 0, "IPV6_MULTICAST_ALL", true},
			opt{syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS", false},
			opt{syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS", false},
			opt{syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_LOOP, 1, "IPV6_MULTICAST_LOOP", false},
			opt{syscall.IPPROTO_IPV6, syscall.IPV6_MULTICAST_IF, p.ifindex, "IPV6_MULTICAST_IF", false})
	}
	for _, o := range opts {
		if err := syscall.SetsockoptInt(p.fd, o.level, o.name, o.value); err != nil && !o.optional {
			return &sysError{"setsockopt " + o.what, err}
		}
	}
	var sa syscall.Sockaddr = &syscall.SockaddrInet4{Port: int(p.group.Port())}
	if p.family == syscall.AF_INET6 {
		sa = &syscall.SockaddrInet6{Port: int(p.group.Port())}
	}
	if err := syscall.Bind(p.fd, sa); err != nil {
		return &sysError{"bind", err}
	}
	if p.group.Port() == 0 {
		bound, err := syscall.Getsockname(p.fd)
		if err != nil {
			return &sysError{"getsockname", err}
		}
		p.group = netip.AddrPortFrom(p.group.Addr(), addrPort(bound).Port())
	}
	if p.family == syscall.AF_INET {
		// ip_mreqn names the interface by index, where ip_mreq would need
		// one of its addresses.
		mreq := &syscall.IPMreqn{Multiaddr: p.group.Addr().As4(), Ifindex: int32(p.ifindex)}
		if err := syscall.SetsockoptIPMreqn(p.fd, syscall.IPPROTO_IP, syscall.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return &sysError{"setsockopt IP_ADD_MEMBERSHIP", err}
		}
		mreq = &syscall.IPMreqn{Ifindex: int32(p.ifindex)}
		if err := syscall.SetsockoptIPMreqn(p.fd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, mreq); err != nil {
			return &sysError{"setsockopt IP_MULTICAST_IF", err}
		}
		return nil
	}
	mreq := &syscall.IPv6Mreq{Multiaddr: p.group.Addr().As16(), Interface: uint32(p.ifindex)}
	if err := syscall.SetsockoptIPv6Mreq(p.fd, syscall.IPPROTO_IPV6, syscall.IPV6_JOIN_GROUP, mreq); err != nil {
		return &sysError{"setsockopt IPV6_JOIN_GROUP", err}
	}
	return nil
}

// Fd returns the socket's file descriptor, or -1 once it is closed. It
// stays owned by the PacketConn.
func (p *PacketConn) Fd() int { return p.fd }

// Group returns the group and port the socket joined and is bound to.
func (p *PacketConn) Group() netip.AddrPort { return p.group }

// Interface returns the name and index of the network interface the
// socket joined the group on.
func (p *PacketConn) Interface() (name string, index int) { return p.ifname, p.ifindex }

// InterfaceAddrs returns the interface's unicast addresses of both
// families, as the system has them now, without zones; IPv6 addresses
// still in duplicate address detection are left out. It implements
// mdns.InterfaceConn, and allocates.
func (p *PacketConn) InterfaceAddrs() ([]netip.Addr, error) {
	addrs, err := interfaceAddrs(p.ifindex)
	if err != nil {
		return nil, fmt.Errorf("unixsock: addresses of %s: %w", p.ifname, err)
	}
	return addrs, nil
}

// ReadFrom reads one datagram into b and returns its length and sender.
// With none queued it returns (0, zero, [biplane.ErrWouldBlock]). A
// datagram longer than b is cut to len(b). Errors that an earlier send
// left on the socket (ICMP port or host unreachable) are skipped. It
// does not allocate.
func (p *PacketConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	if p.fd < 0 {
		return 0, netip.AddrPort{}, errPacketClosed
	}
	for {
		p.rsaLen = syscall.SizeofSockaddrAny
		n, errno := sysRecvfrom(p.fd, b, &p.rsa, &p.rsaLen)
		switch errno {
		case 0:
			return n, p.from(), nil
		case syscall.EAGAIN:
			return 0, netip.AddrPort{}, biplane.ErrWouldBlock
		case syscall.EINTR, syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
			syscall.EHOSTDOWN, syscall.ENETDOWN, syscall.EMSGSIZE:
			continue
		default:
			return 0, netip.AddrPort{}, &sysError{"recvfrom", errno}
		}
	}
}

// from converts the sender's address of the last recvfrom. A scoped
// address on the socket's own interface is zoned with its name.
func (p *PacketConn) from() netip.AddrPort {
	ip, port, scope := rawInet(&p.rsa)
	if !ip.IsValid() {
		return netip.AddrPort{}
	}
	if scope != 0 {
		zone := p.zone
		if int(scope) != p.ifindex {
			zone = strconv.FormatUint(uint64(scope), 10)
		}
		ip = ip.WithZone(zone)
	}
	return netip.AddrPortFrom(ip, port)
}

// WriteTo sends b as one datagram to addr, an address of the socket's
// family; a link-local or multicast IPv6 address without a zone is sent
// on the socket's interface. If the socket's send buffer is full it
// sends nothing and returns [biplane.ErrWouldBlock]. It does not
// allocate.
func (p *PacketConn) WriteTo(b []byte, addr netip.AddrPort) (int, error) {
	if p.fd < 0 {
		return 0, errPacketClosed
	}
	ip := addr.Addr().Unmap()
	var sa unsafe.Pointer
	var salen uintptr
	switch {
	case p.family == syscall.AF_INET && ip.Is4():
		p.sa4.Family = syscall.AF_INET
		p.sa4.Port = netPort(addr.Port())
		p.sa4.Addr = ip.As4()
		sa, salen = unsafe.Pointer(&p.sa4), syscall.SizeofSockaddrInet4
	case p.family == syscall.AF_INET6 && ip.Is6():
		p.sa6.Family = syscall.AF_INET6
		p.sa6.Port = netPort(addr.Port())
		p.sa6.Addr = ip.As16()
		p.sa6.Scope_id = 0
		if z := ip.Zone(); z != "" {
			id, err := strconv.ParseUint(z, 10, 32)
			if err != nil {
				return 0, fmt.Errorf("unixsock: zone %q of %s is not an interface index", z, addr)
			}
			p.sa6.Scope_id = uint32(id)
		} else if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
			p.sa6.Scope_id = uint32(p.ifindex)
		}
		sa, salen = unsafe.Pointer(&p.sa6), syscall.SizeofSockaddrInet6
	default:
		return 0, fmt.Errorf("unixsock: cannot send to %s from a socket of the other address family", addr)
	}
	for {
		n, errno := sysSendto(p.fd, b, sa, salen)
		switch errno {
		case 0:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, biplane.ErrWouldBlock
		default:
			return 0, &sysError{"sendto", errno}
		}
	}
}

// Close leaves the group, stops a [Listener.Watch] and closes the socket.
// Closing a closed PacketConn does nothing and returns nil.
func (p *PacketConn) Close() error {
	if p.fd < 0 {
		return nil
	}
	fd := p.fd
	p.fd = -1
	if p.l != nil {
		if e, ok := p.l.w.(*epoller); ok {
			syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_DEL, fd, nil)
		}
		p.l = nil
	}
	if err := syscall.Close(fd); err != nil && err != syscall.EINTR {
		return &sysError{"close", err}
	}
	return nil
}

var errPacketClosed = errors.New("unixsock: use of closed PacketConn")

// Watch makes [Listener.Wait] return when a datagram arrives on p too, so
// that a loop that sleeps in biplane.Server.Wait wakes for it. Wait
// reports nothing for p, as for a Wake: the loop then reads p until
// [biplane.ErrWouldBlock] (an mdns.Responder's Step does). Like the
// connections, p is watched edge-triggered: after a Wait returned for a
// datagram, the next arrival wakes the next Wait whether or not p was
// read empty, so the owner must remember that it left datagrams unread.
// [PacketConn.Close] ends the watch.
//
// Watch needs epoll: it fails for a Listener with [Config.UsePoll] set,
// whose loop must then read p at its own ticks.
func (l *Listener) Watch(p *PacketConn) error {
	if l.w == nil {
		return errListenerClosed
	}
	if p.fd < 0 {
		return errPacketClosed
	}
	e, ok := l.w.(*epoller)
	if !ok {
		return errors.New("unixsock: Listener.Watch needs epoll, and this Listener polls (Config.UsePoll)")
	}
	if p.l != nil {
		return errors.New("unixsock: PacketConn is watched already")
	}
	// Wait skips an event whose descriptor is neither the listener's, the
	// waker's nor an open connection's: p's number cannot be a
	// connection's while p holds it.
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: int32(p.fd)}
	if err := syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_ADD, p.fd, &ev); err != nil {
		return &sysError{"epoll_ctl", err}
	}
	p.l = l
	return nil
}

// rawInet reads the IPv4 or IPv6 address that the kernel wrote to rsa:
// the address, its port, and an IPv6 address's scope (an interface index,
// 0 for none). Another family gives the zero Addr.
func rawInet(rsa *syscall.RawSockaddrAny) (ip netip.Addr, port uint16, scope uint32) {
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrFrom4(sa.Addr), netPort(sa.Port), 0
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrFrom16(sa.Addr), netPort(sa.Port), sa.Scope_id
	}
	return netip.Addr{}, 0, 0
}

// netPort converts a port between host order and the network order of a
// socket address's port field.
func netPort(port uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&port))
	return uint16(b[0])<<8 | uint16(b[1])
}
