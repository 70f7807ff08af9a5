//go:build darwin || dragonfly || freebsd || netbsd

package unixsock

// eventfd tells that the waker is an eventfd; here it is a pipe.
const eventfd = false

// wakeMsg is the byte Wake writes to the pipe.
var wakeMsg = []byte{1}

// newWakeFds makes a pipe whose ends are non-blocking and close-on-exec.
func newWakeFds() (r, w int, err error) {
	var p [2]int
	if err := sysPipe(p[:]); err != nil {
		return -1, -1, &sysError{"pipe", err}
	}
	return p[0], p[1], nil
}
