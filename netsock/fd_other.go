//go:build !(darwin || dragonfly || freebsd || linux || netbsd)

package netsock

import (
	"net"

	"github.com/biplane-go/biplane"
)

// newFD reports ok false: package unixsock is empty on this system, so every
// listener takes the fallback path.
func newFD(ln net.Listener) (_ biplane.Listener, ok bool, _ error) {
	return nil, false, nil
}

// adopt returns l, a fallback Listener, which owns ln already.
func adopt(l biplane.Listener, ln net.Listener) biplane.Listener { return l }
