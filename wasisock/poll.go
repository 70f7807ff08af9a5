package wasisock

import (
	"time"

	"github.com/biplane-go/biplane"
)

// A subscription is WASI preview 1's struct subscription: 48 bytes, 8-byte
// aligned (runtimes check the alignment). Its union is laid out as words:
//
//	userdata   u64 @0
//	tag        u8  @8    eventtype: clock 0, fd_read 1, fd_write 2
//	fd or id   u32 @16   the descriptor, or the clock's id
//	timeout    u64 @24   clock only: nanoseconds, relative unless flags say
//	precision  u64 @32
//	flags      u16 @40
type subscription struct {
	userdata uint64
	tag      uint64
	fd       uint64
	timeout  uint64
	_        uint64 // precision: left to the runtime
	_        uint64 // subclockflags: 0, a relative timeout
}

// An event is WASI preview 1's struct event: 32 bytes.
//
//	userdata  u64 @0
//	error     u16 @8
//	type      u8  @10
//	nbytes    u64 @16   fd_read and fd_write only
//	flags     u16 @24   eventrwflags: fd_readwrite_hangup 1
type event struct {
	userdata uint64
	errtype  uint64
	_        uint64 // nbytes: unused, a Read finds out
	flags    uint64
}

func (e *event) errno() Errno { return Errno(uint16(e.errtype)) }

const (
	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2

	clockMonotonic = 1

	// Userdata of the subscriptions that are not a connection's, which
	// carry the descriptor shifted left by one, the low bit set for
	// writing.
	udClock    = 1 << 63
	udListener = 1 << 62
)

func fdSub(ud uint64, tag uint8, fd uint32) subscription {
	return subscription{userdata: ud, tag: uint64(tag), fd: uint64(fd)}
}

func clockSub(d time.Duration) subscription {
	return subscription{userdata: udClock, tag: eventClock, fd: clockMonotonic, timeout: uint64(max(d, 0))}
}

// probe reports whether poll_oneoff looks at the readiness of fd, a
// listening socket: see [Listener.CanPoll].
func probe(fd uint32) bool {
	subs := [2]subscription{fdSub(udListener, eventFdRead, fd), clockSub(0)}
	var evs [2]event
	n, e := pollOneoff(subs[:], evs[:])
	if e != 0 || n == 0 {
		return false
	}
	for _, ev := range evs[:min(n, len(evs))] {
		if ev.userdata == udListener {
			return false // at once: it did not look, or a connection waits
		}
	}
	return true
}

// maxWait bounds one Wait in poll_oneoff, so that a runtime that misses a
// readiness change costs a second's delay, not a hang. An idle server
// wakes once a second for it, which costs nothing measurable.
const maxWait = time.Second

// A Poller is a [Listener] whose Wait blocks in poll_oneoff until the
// listener or a connection is ready: it implements [biplane.Waiter] too, so
// an idle server sleeps in the runtime instead of polling. Use it only
// where [Listener.CanPoll] reports true. On a runtime that does not look
// at sockets in poll_oneoff, such as wazero 1.11, every Wait would sleep
// its whole timeout (wazero sleeps for the clock subscription even when it
// answers the others at once).
//
// poll_oneoff is level-triggered. To keep Wait's edge-triggered contract,
// a Poller asks only for what a connection last found would block, and
// forgets that interest once it reports it; likewise for the listener and
// Accept. A Wait costs time in proportion to the connections waiting.
type Poller struct {
	*Listener
	subs   []subscription
	evs    []event
	serial uint32 // Wait's count, to report a connection once per Wait
}

// Poller returns the listener's Poller, the same one on every call.
func (l *Listener) Poller() *Poller {
	if l.poller == nil {
		l.poller = &Poller{Listener: l}
	}
	return l.poller
}

// Wait blocks until the listener or one of its connections is ready, or
// until timeout has passed (a negative timeout means no limit, zero means
// do not block; either way at most a second). It appends the ready
// connections to ready and reports whether Accept may succeed, as
// [biplane.Waiter] describes. It does not allocate once its buffers have
// grown to the number of connections waiting.
func (p *Poller) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	l := p.Listener
	if l.closed {
		return ready, false, errListenerClosed
	}
	p.subs = p.subs[:0]
	if l.armed && !l.acceptClosed {
		p.subs = append(p.subs, fdSub(udListener, eventFdRead, l.fd))
	}
	for fd, c := range l.conns {
		if c == nil || c.want == 0 {
			continue
		}
		if c.want&wantRead != 0 {
			p.subs = append(p.subs, fdSub(uint64(fd)<<1, eventFdRead, uint32(fd)))
		}
		if c.want&wantWrite != 0 {
			p.subs = append(p.subs, fdSub(uint64(fd)<<1|1, eventFdWrite, uint32(fd)))
		}
	}
	if timeout < 0 || timeout > maxWait {
		timeout = maxWait
	}
	p.subs = append(p.subs, clockSub(timeout))
	if cap(p.evs) < len(p.subs) {
		p.evs = make([]event, len(p.subs), cap(p.subs))
	}
	evs := p.evs[:len(p.subs)]
	n, e := pollOneoff(p.subs, evs)
	switch e {
	case 0:
	case EINTR:
		return ready, false, nil
	default:
		return ready, false, &Error{"poll_oneoff", l.fd, e}
	}
	p.serial++
	acceptable := false
	for i := range evs[:min(n, len(evs))] {
		ev := &evs[i]
		switch ud := ev.userdata; {
		case ud == udClock:
		case ud == udListener:
			// An error event is reported too: Accept then meets it.
			l.armed = false
			acceptable = true
		default:
			fd := ud >> 1
			if fd >= uint64(len(l.conns)) || l.conns[fd] == nil {
				continue // closed since
			}
			c := l.conns[fd]
			// An error or a hang-up ends both kinds of wait: the
			// owner's next Read or Write meets it.
			if ud&1 != 0 || ev.errno() != 0 || ev.flags&1 != 0 {
				c.want &^= wantWrite
			}
			if ud&1 == 0 || ev.errno() != 0 || ev.flags&1 != 0 {
				c.want &^= wantRead
			}
			if c.seen != p.serial {
				c.seen = p.serial
				ready = append(ready, c)
			}
		}
	}
	return ready, acceptable, nil
}
