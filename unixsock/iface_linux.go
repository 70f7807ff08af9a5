package unixsock

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"
)

// Network interfaces and their addresses, read from the kernel's routing
// netlink socket (rtnetlink(7)) as package net does, since package
// syscall has no if_nametoindex or getifaddrs.

// An ifaceInfo is one network interface.
type ifaceInfo struct {
	index int
	name  string
	flags uint32 // IFF_UP, IFF_RUNNING, IFF_LOOPBACK, IFF_MULTICAST, …
}

// interfaces lists the network interfaces (RTM_GETLINK).
func interfaces() ([]ifaceInfo, error) {
	msgs, err := netlinkDump(syscall.RTM_GETLINK)
	if err != nil {
		return nil, err
	}
	var list []ifaceInfo
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWLINK || len(m.Data) < syscall.SizeofIfInfomsg {
			continue
		}
		ifi := (*syscall.IfInfomsg)(unsafe.Pointer(&m.Data[0]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, &sysError{"parse netlink link attributes", err}
		}
		info := ifaceInfo{index: int(ifi.Index), flags: ifi.Flags}
		for _, a := range attrs {
			if a.Attr.Type == syscall.IFLA_IFNAME {
				v := a.Value
				for len(v) > 0 && v[len(v)-1] == 0 {
					v = v[:len(v)-1]
				}
				info.name = string(v)
			}
		}
		list = append(list, info)
	}
	return list, nil
}

// interfaceAddrs lists the unicast addresses of the interface with the
// given index (RTM_GETADDR), leaving out those that are tentative (in
// duplicate address detection) or failed it.
func interfaceAddrs(index int) ([]netip.Addr, error) {
	msgs, err := netlinkDump(syscall.RTM_GETADDR)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		ifa := (*syscall.IfAddrmsg)(unsafe.Pointer(&m.Data[0]))
		if int(ifa.Index) != index || ifa.Flags&(syscall.IFA_F_TENTATIVE|syscall.IFA_F_DADFAILED) != 0 {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, &sysError{"parse netlink address attributes", err}
		}
		// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the
		// peer's on a point-to-point link, else the same. IPv6 sends
		// IFA_ADDRESS alone.
		var local, address netip.Addr
		for _, a := range attrs {
			ip, ok := netip.AddrFromSlice(a.Value)
			if !ok {
				continue
			}
			switch a.Attr.Type {
			case syscall.IFA_LOCAL:
				local = ip
			case syscall.IFA_ADDRESS:
				address = ip
			}
		}
		ip := local
		if !ip.IsValid() {
			ip = address
		}
		if ip.IsValid() && !ip.IsMulticast() && !ip.IsUnspecified() {
			addrs = append(addrs, ip.Unmap())
		}
	}
	return addrs, nil
}

// netlinkDump asks the kernel for a dump of one kind (RTM_GETLINK,
// RTM_GETADDR) and parses the answer into messages.
func netlinkDump(kind int) ([]syscall.NetlinkMessage, error) {
	rib, err := syscall.NetlinkRIB(kind, syscall.AF_UNSPEC)
	if err != nil {
		return nil, &sysError{"netlink", err}
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, &sysError{"parse netlink", err}
	}
	return msgs, nil
}

// pickInterface finds the interface named name, or, if name is empty, the
// first (by index) that is up and running, can multicast, is not loopback
// and has an address of the family.
func pickInterface(name string, family int) (ifaceInfo, error) {
	list, err := interfaces()
	if err != nil {
		return ifaceInfo{}, err
	}
	if name != "" {
		// Named, it is taken as it is: loopback has no IFF_MULTICAST, yet
		// Linux delivers multicast on it, to the host's own sockets.
		for _, ifi := range list {
			if ifi.name == name {
				return ifi, nil
			}
		}
		return ifaceInfo{}, fmt.Errorf("no network interface named %q", name)
	}
	const want = syscall.IFF_UP | syscall.IFF_RUNNING | syscall.IFF_MULTICAST
	best := ifaceInfo{index: -1}
	for _, ifi := range list {
		if ifi.flags&want != want || ifi.flags&syscall.IFF_LOOPBACK != 0 || best.index >= 0 && ifi.index > best.index {
			continue
		}
		addrs, err := interfaceAddrs(ifi.index)
		if err != nil {
			return ifaceInfo{}, err
		}
		for _, a := range addrs {
			if a.Is4() == (family == syscall.AF_INET) {
				best = ifi
				break
			}
		}
	}
	if best.index < 0 {
		kind := "IPv4"
		if family == syscall.AF_INET6 {
			kind = "IPv6"
		}
		return ifaceInfo{}, errors.New("no network interface is up, multicast-capable, not loopback and with an " + kind + " address: name one")
	}
	return best, nil
}
