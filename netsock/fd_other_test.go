//go:build !(darwin || dragonfly || freebsd || linux || netbsd)

package netsock_test

// fdPath tells whether New serves a plain TCP listener through its
// descriptor on this system: not here, where package unixsock is empty.
const fdPath = false
