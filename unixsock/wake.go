//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock

import (
	"sync"
	"syscall"
)

// A waker is the descriptor behind [Listener.Wake]: an eventfd on Linux, a
// pipe elsewhere. Wake writes to it from any goroutine; Wait watches its
// read end like a connection and drains it when it fires.
//
// mu orders Wake against Close, so that Wake never writes to a descriptor
// number that Close has released and the system may have handed out again.
// The loop's goroutine reads r and buf without it, since only that goroutine
// (in Close) changes them.
type waker struct {
	mu      sync.Mutex
	r, w    int  // read and write ends, the same descriptor for an eventfd; -1 once closed
	pending bool // Wake wrote and Wait has not drained it since: skip the write
	buf     [8]byte
}

// wake makes the read end readable, unless an earlier wake still is.
func (k *waker) wake() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.w < 0 {
		return errListenerClosed
	}
	if k.pending {
		return nil
	}
	for {
		_, err := syscall.Write(k.w, wakeMsg)
		switch err {
		case nil, syscall.EAGAIN:
			// EAGAIN: the counter or pipe is full, so readable already.
			k.pending = true
			return nil
		case syscall.EINTR:
		default:
			return &sysError{"write wake descriptor", err}
		}
	}
}

// drain empties the read end after Wait saw it readable. It holds the
// lock while it reads, so no Wake can come between the read and the
// clearing of the flag: a Wake before it is drained here, in a Wait that
// returns anyway; a Wake after it finds the flag clear and writes anew.
// Clearing the flag before reading would lose wakes: a Wake in between
// writes, the read drains that write too, and epoll, which checks
// readiness again before it reports an edge, then drops the event while
// the flag stays set, so every later Wake skips its write.
func (k *waker) drain() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending = false
	if k.r < 0 {
		return
	}
	for {
		n, err := syscall.Read(k.r, k.buf[:])
		if err == syscall.EINTR {
			continue
		}
		// An eventfd is emptied by one read of its 8-byte counter; a pipe
		// holds a byte or two, so a short read emptied it.
		if err != nil || n < len(k.buf) || eventfd {
			return
		}
	}
}

// close releases the descriptors; a later wake returns an error.
func (k *waker) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.r < 0 {
		return nil
	}
	err := syscall.Close(k.r)
	if k.w != k.r {
		if err2 := syscall.Close(k.w); err == nil {
			err = err2
		}
	}
	k.r, k.w = -1, -1
	if err == syscall.EINTR {
		err = nil // the descriptor is released all the same
	}
	return err
}
