//go:build darwin || dragonfly || freebsd || linux || netbsd

package netsock

import (
	"fmt"
	"net"
	"syscall"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// newFD returns a unixsock.Listener on a duplicate of ln's descriptor, with
// ok true, if ln is a plain TCP or Unix listener; ok false means use the
// fallback.
func newFD(ln net.Listener) (_ biplane.Listener, ok bool, _ error) {
	var sc syscall.Conn
	switch ln := ln.(type) {
	case *net.TCPListener:
		sc = ln
	case *net.UnixListener:
		sc = ln
	default:
		return nil, false, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, true, fmt.Errorf("netsock: %w", err)
	}
	fd := -1
	var dupErr error
	err = raw.Control(func(s uintptr) {
		// Hold ForkLock so that no child process started meanwhile
		// inherits the duplicate before it is marked close-on-exec.
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
		if fd, dupErr = syscall.Dup(int(s)); dupErr == nil {
			syscall.CloseOnExec(fd)
		}
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		return nil, true, fmt.Errorf("netsock: duplicate listener descriptor: %w", err)
	}
	// NewListener takes fd, closing it on error, and makes it
	// non-blocking. The flag is shared with ln's descriptor, which package
	// net keeps non-blocking anyway.
	l, err := unixsock.NewListener(fd)
	if err != nil {
		return nil, true, err
	}
	return l, true, nil
}

// adopt gives l, made by New from ln in Listen, ownership of ln.
func adopt(l biplane.Listener, ln net.Listener) biplane.Listener {
	ul, ok := l.(*unixsock.Listener)
	if !ok {
		return l // the fallback owns ln already
	}
	if _, ok := ln.(*net.UnixListener); ok {
		// Closing ln removes the socket file, so keep it for Close.
		return &unixListener{Listener: ul, ln: ln}
	}
	// The duplicate keeps the socket open: ln is no longer needed.
	ln.Close()
	return ul
}

var (
	_ biplane.Waker        = (*unixListener)(nil)
	_ biplane.AcceptCloser = (*unixListener)(nil)
)

// unixListener is a unixsock.Listener on a duplicate of a *net.UnixListener
// that Listen opened. It closes both, so that the socket file is removed.
type unixListener struct {
	*unixsock.Listener
	ln       net.Listener
	lnClosed bool
	closed   bool
}

// CloseAccept closes the duplicate and ln, which removes the socket file:
// closing the duplicate alone would leave the socket listening. See
// unixsock.Listener.CloseAccept.
func (l *unixListener) CloseAccept() error {
	if l.closed || l.lnClosed {
		return nil
	}
	err := l.Listener.CloseAccept()
	if err2 := l.closeLn(); err == nil {
		err = err2
	}
	return err
}

// Close closes the listener and removes its socket file. Closing a closed
// listener does nothing and returns nil.
func (l *unixListener) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	err := l.Listener.Close()
	if err2 := l.closeLn(); err == nil {
		err = err2
	}
	return err
}

func (l *unixListener) closeLn() error {
	if l.lnClosed {
		return nil
	}
	l.lnClosed = true
	if err := l.ln.Close(); err != nil {
		return fmt.Errorf("netsock: %w", err)
	}
	return nil
}
