//go:build !wasip1

package wasisock

import "time"

// fakeHost is a WASI runtime in memory: descriptors, scripted sockets and
// a level-triggered poll_oneoff. With wazeroPoll it answers poll_oneoff as
// wazero 1.11 does: every read subscription at once.
type fakeHost struct {
	socks      map[uint32]*fakeSock
	next       uint32
	wazeroPoll bool
	pollErr    Errno
	lastSubs   []subscription
	slept      time.Duration // clock timeouts waited for with nothing ready
	shutdowns  int
}

// fakeSock is one descriptor. A listener hands out pending; a connection
// reads in (a nil chunk means EAGAIN once), then EOF if eof, and takes up
// to room bytes of output (negative: no limit).
type fakeSock struct {
	filetype  uint8
	flags     uint16
	listening bool
	pending   []*fakeSock
	acceptErr []Errno // returned by the next sock_accept calls, in turn

	in      [][]byte
	eof     bool
	readErr Errno
	room    int
	sendErr Errno
	out     []byte
	shut    bool
	closed  bool
}

func newFakeHost() *fakeHost {
	return &fakeHost{socks: map[uint32]*fakeSock{}, next: firstFD}
}

// add gives s the next descriptor.
func (h *fakeHost) add(s *fakeSock) uint32 {
	fd := h.next
	h.next++
	h.socks[fd] = s
	return fd
}

// listener adds a preopened listening socket.
func (h *fakeHost) listener() uint32 {
	return h.add(&fakeSock{filetype: filetypeSocketStream, listening: true})
}

// install makes h the runtime until the test ends.
func (h *fakeHost) install(t interface{ Cleanup(func()) }) *fakeHost {
	old := host
	host = h
	t.Cleanup(func() { host = old })
	return h
}

func (s *fakeSock) readable() bool {
	if s.listening {
		return len(s.pending) > 0 || len(s.acceptErr) > 0
	}
	return (len(s.in) > 0 && s.in[0] != nil) || s.eof || s.readErr != 0
}

func (s *fakeSock) writable() bool { return s.room != 0 || s.sendErr != 0 }

func (h *fakeHost) sockAccept(fd uint32, flags uint16) (uint32, Errno) {
	l := h.socks[fd]
	if l == nil || !l.listening {
		return 0, EBADF
	}
	if len(l.acceptErr) > 0 {
		e := l.acceptErr[0]
		l.acceptErr = l.acceptErr[1:]
		return 0, e
	}
	if len(l.pending) == 0 {
		return 0, EAGAIN
	}
	s := l.pending[0]
	l.pending = l.pending[1:]
	s.filetype, s.flags = filetypeSocketStream, flags
	return h.add(s), 0
}

func (h *fakeHost) sockRecv(fd uint32, p []byte) (int, Errno) {
	s := h.socks[fd]
	if s == nil || s.listening {
		return 0, EBADF
	}
	if len(s.in) > 0 {
		if s.in[0] == nil {
			s.in = s.in[1:]
			return 0, EAGAIN
		}
		n := copy(p, s.in[0])
		if s.in[0] = s.in[0][n:]; len(s.in[0]) == 0 {
			s.in = s.in[1:]
		}
		return n, 0
	}
	switch {
	case s.readErr != 0:
		return 0, s.readErr
	case s.eof:
		return 0, 0
	}
	return 0, EAGAIN
}

func (h *fakeHost) sockSend(fd uint32, p []byte) (int, Errno) {
	s := h.socks[fd]
	switch {
	case s == nil || s.listening:
		return 0, EBADF
	case s.sendErr != 0:
		return 0, s.sendErr
	case s.room == 0:
		return 0, EAGAIN
	}
	n := len(p)
	if s.room > 0 {
		n = min(n, s.room)
		s.room -= n
	}
	s.out = append(s.out, p[:n]...)
	return n, 0
}

func (h *fakeHost) sockShutdown(fd uint32, how uint8) Errno {
	s := h.socks[fd]
	if s == nil {
		return EBADF
	}
	h.shutdowns++
	s.shut = s.shut || how&sdflagWR != 0
	return 0
}

func (h *fakeHost) fdClose(fd uint32) Errno {
	s := h.socks[fd]
	if s == nil {
		return EBADF
	}
	s.closed = true
	delete(h.socks, fd)
	return 0
}

func (h *fakeHost) fdFdstatGet(fd uint32) (uint8, uint16, Errno) {
	s := h.socks[fd]
	if s == nil {
		return 0, 0, EBADF
	}
	return s.filetype, s.flags, 0
}

func (h *fakeHost) fdFdstatSetFlags(fd uint32, flags uint16) Errno {
	s := h.socks[fd]
	if s == nil {
		return EBADF
	}
	s.flags = flags
	return 0
}

func (h *fakeHost) pollOneoff(in []subscription, out []event) (int, Errno) {
	h.lastSubs = append(h.lastSubs[:0], in...)
	if h.pollErr != 0 {
		return 0, h.pollErr
	}
	if len(in) == 0 {
		return 0, EINVAL
	}
	n := 0
	var clock *subscription
	for i := range in {
		sub := &in[i]
		ev := event{userdata: sub.userdata, errtype: uint64(sub.tag) << 16}
		switch sub.tag {
		case eventClock:
			clock = sub
			continue
		case eventFdRead, eventFdWrite:
			s := h.socks[uint32(sub.fd)]
			switch {
			case s == nil:
				ev.errtype |= uint64(EBADF)
			case h.wazeroPoll && sub.tag == eventFdWrite:
				ev.errtype |= uint64(ENOTSUP)
			case h.wazeroPoll:
			case sub.tag == eventFdRead && s.readable():
			case sub.tag == eventFdWrite && s.writable():
			default:
				continue
			}
		}
		out[n] = ev
		n++
	}
	if clock != nil && (n == 0 || h.wazeroPoll) {
		h.slept += time.Duration(clock.timeout)
		out[n] = event{userdata: clock.userdata, errtype: eventClock << 16}
		n++
	}
	return n, 0
}
