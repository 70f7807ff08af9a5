//go:build darwin || dragonfly || freebsd || linux || netbsd

package unixsock

import (
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
)

// pollFd is struct pollfd, laid out alike on every supported system.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

// poll(2) event bits, the same on every supported system.
const (
	pollIN   = 0x1
	pollOUT  = 0x4
	pollERR  = 0x8
	pollHUP  = 0x10
	pollNVAL = 0x20
)

// A poller waits with poll(2), which is level-triggered. To keep Wait's
// edge-triggered contract, and not report every writable connection on every
// call, it asks only for what a connection's owner last found would block
// (Conn.want), and forgets that interest once it reports it. The listener is
// treated alike through Listener.armed. Each Wait costs time proportional to
// the highest open descriptor. The waker's read end is always watched: Wait
// drains it whenever it fires.
type poller struct {
	// fds[0] is the listener, fds[1] the waker, fds[i+2] belongs to
	// owners[i].
	fds    []pollFd
	owners []*Conn
}

func (p *poller) add(c *Conn) error { return nil }
func (p *poller) stopAccept()       {}
func (p *poller) close() error      { return nil }

func (p *poller) wait(l *Listener, ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	lfd := int32(-1) // poll skips negative descriptors
	if l.armed && l.fd >= 0 {
		lfd = int32(l.fd)
	}
	p.fds = append(p.fds[:0], pollFd{fd: lfd, events: pollIN}, pollFd{fd: int32(l.wake.r), events: pollIN})
	p.owners = p.owners[:0]
	for _, c := range l.conns {
		if c == nil || c.want == 0 {
			continue
		}
		var ev int16
		if c.want&wantRead != 0 {
			ev |= pollIN | pollRDHUP
		}
		if c.want&wantWrite != 0 {
			ev |= pollOUT
		}
		p.fds = append(p.fds, pollFd{fd: c.fd, events: ev})
		p.owners = append(p.owners, c)
	}
	n, err := sysPoll(p.fds, timeout)
	if err == syscall.EINTR {
		n, err = 0, nil
	}
	acceptable := false
	if n > 0 {
		if p.fds[0].revents != 0 {
			l.armed = false
			acceptable = true
		}
		if p.fds[1].revents != 0 {
			l.wake.drain()
		}
		for i, c := range p.owners {
			re := p.fds[i+2].revents
			if re == 0 {
				continue
			}
			// A hang-up or error ends both kinds of wait: the owner's next
			// Read or Write sees it.
			if re&(pollIN|pollRDHUP|pollHUP|pollERR|pollNVAL) != 0 {
				c.want &^= wantRead
				c.drained = false
				if re&(pollRDHUP|pollHUP|pollERR|pollNVAL) != 0 {
					c.hup = true
				}
			}
			if re&(pollOUT|pollHUP|pollERR|pollNVAL) != 0 {
				c.want &^= wantWrite
			}
			ready = append(ready, c)
		}
	}
	clear(p.owners) // do not keep closed connections alive
	if err != nil {
		return ready, false, &sysError{"poll", err}
	}
	return ready, acceptable, nil
}
