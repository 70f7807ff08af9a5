//go:build !(darwin || dragonfly || freebsd || linux || netbsd)

package netsock_test

import "github.com/biplane-go/biplane/netsock"

// fdPath tells whether New serves a plain TCP listener through its
// descriptor on this system: not here, where package unixsock is empty.
const fdPath = false

// errAcceptClosed is what Accept returns after CloseAccept: here every
// listener takes the fallback path.
var errAcceptClosed = netsock.ErrAcceptClosed

// refused reports whether err is how dialing a listener that CloseAccept
// closed fails; error numbers vary too much here to check them.
func refused(network string, err error) bool { return err != nil }
