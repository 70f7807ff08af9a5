//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// An endpoint is a Listen address resolved to what socket(2) and bind(2)
// take.
type endpoint struct {
	family int
	sa     syscall.Sockaddr
	v6only bool      // IPV6_V6ONLY, for AF_INET6
	path   string    // Unix socket file that Close removes, or ""
	alt    *endpoint // IPv4 endpoint to use if the dual-stack one fails
}

// resolve parses a Listen network and address without any DNS lookup.
func resolve(network, address string) (endpoint, error) {
	switch network {
	case "unix":
		return resolveUnix(address)
	case "tcp", "tcp4", "tcp6":
	default:
		return endpoint{}, fmt.Errorf("unknown network %q (want tcp, tcp4, tcp6 or unix)", network)
	}
	host, portStr, err := splitHostPort(address)
	if err != nil {
		return endpoint{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return endpoint{}, fmt.Errorf("invalid port %q (want a number from 0 to 65535)", portStr)
	}
	var ip netip.Addr
	switch {
	case host == "":
		if network == "tcp" {
			// All interfaces, IPv6 and IPv4 on one dual-stack socket, or
			// IPv4 alone where the system has no IPv6.
			v6 := inetEndpoint(netip.IPv6Unspecified(), int(port), false)
			v4 := inetEndpoint(netip.IPv4Unspecified(), int(port), false)
			v6.alt = &v4
			return v6, nil
		}
		ip = netip.IPv4Unspecified()
		if network == "tcp6" {
			ip = netip.IPv6Unspecified()
		}
	case strings.EqualFold(host, "localhost"):
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if network == "tcp6" {
			ip = netip.IPv6Loopback()
		}
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			return endpoint{}, fmt.Errorf("host %q is not an IP address or localhost (Listen does no DNS lookups)", host)
		}
		if network != "tcp6" {
			ip = ip.Unmap()
		}
	}
	switch {
	case network == "tcp4" && !ip.Is4():
		return endpoint{}, fmt.Errorf("%s is not an IPv4 address", ip)
	case network == "tcp6" && !ip.Is6():
		return endpoint{}, fmt.Errorf("%s is not an IPv6 address", ip)
	}
	ep := inetEndpoint(ip, int(port), true)
	if z := ip.Zone(); z != "" {
		// Naming an interface needs if_nametoindex, which syscall lacks.
		id, err := strconv.ParseUint(z, 10, 32)
		if err != nil {
			return endpoint{}, fmt.Errorf("zone %q is not an interface index (Listen does not look up interface names)", z)
		}
		ep.sa.(*syscall.SockaddrInet6).ZoneId = uint32(id)
	}
	return ep, nil
}

func inetEndpoint(ip netip.Addr, port int, v6only bool) endpoint {
	if ip.Is4() {
		return endpoint{family: syscall.AF_INET, sa: &syscall.SockaddrInet4{Port: port, Addr: ip.As4()}}
	}
	return endpoint{family: syscall.AF_INET6, v6only: v6only, sa: &syscall.SockaddrInet6{Port: port, Addr: ip.As16()}}
}

// splitHostPort splits "host:port", "[host]:port" or ":port".
func splitHostPort(address string) (host, port string, err error) {
	i := strings.LastIndexByte(address, ':')
	if i < 0 {
		return "", "", errors.New("missing port (want host:port)")
	}
	host, port = address[:i], address[i+1:]
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return "", "", errors.New("missing ']' in address")
		}
		host = host[1 : len(host)-1]
	} else if strings.ContainsAny(host, "[]") {
		return "", "", errors.New("unexpected bracket in address")
	} else if strings.IndexByte(host, ':') >= 0 {
		return "", "", errors.New("IPv6 address must be in brackets, as [::1]:80")
	}
	return host, port, nil
}

func resolveUnix(path string) (endpoint, error) {
	if path == "" {
		return endpoint{}, errors.New("empty socket path")
	}
	// Keep room for the terminating NUL that portable readers expect.
	if limit := len(syscall.RawSockaddrUnix{}.Path) - 1; len(path) > limit {
		return endpoint{}, fmt.Errorf("socket path is %d bytes long, more than the %d the system allows", len(path), limit)
	}
	ep := endpoint{family: syscall.AF_UNIX, sa: &syscall.SockaddrUnix{Name: path}, path: path}
	if path[0] == '@' && runtime.GOOS == "linux" {
		ep.path = "" // an abstract socket: no file to remove
	}
	return ep, nil
}

// addrPort converts a socket address to a netip.AddrPort. An IPv4-mapped
// IPv6 address becomes plain IPv4; other kinds of address become zero.
func addrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.ZoneId != 0 && ip.Is6() {
			ip = ip.WithZone(strconv.FormatUint(uint64(sa.ZoneId), 10))
		}
		return netip.AddrPortFrom(ip, uint16(sa.Port))
	}
	return netip.AddrPort{}
}
