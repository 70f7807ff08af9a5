//go:build !wasip1 && !tinygo

// Not built by TinyGo: the suite's peers for package net import net. See
// README.md, "TinyGo".

package wasisock

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
)

// TestConformance runs the transport suite over a fake WASI runtime whose
// sockets carry streams to peers in other goroutines, and whose
// poll_oneoff looks at them: once over the Listener, which the server
// polls, and once over its Poller, which waits in poll_oneoff. (wazero,
// the runtime at hand, does not report socket readiness, so the Poller
// meets a real runtime nowhere: see the package documentation. The suite
// runs on the Listener under wazero in examples/wasm's TestUnderWazero.)
func TestConformance(t *testing.T) {
	for _, poller := range []bool{false, true} {
		name := "Listener"
		if poller {
			name = "Poller"
		}
		t.Run(name, func(t *testing.T) {
			transporttest.Run(t, transporttest.Transport{
				Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
					h := newStreamHost()
					old := host
					host = h
					t.Cleanup(func() { host = old })
					l, err := NewListener(h.listen())
					if err != nil {
						t.Fatal(err)
					}
					if !l.CanPoll() {
						t.Fatal("CanPoll is false over a runtime that polls sockets")
					}
					t.Cleanup(func() { l.Close() })
					if poller {
						return l.Poller(), h.dial
					}
					return l, h.dial
				},
			})
		})
	}
}

// windowSize is what each direction of a stream holds before its writer
// must wait: a socket's buffers.
const windowSize = 64 << 10

// The peers' errors, as package net's would be.
var (
	errPeerTimeout error = peerTimeout{}
	errPeerGone          = errors.New("streamhost: broken pipe")
	errPeerClosed        = errors.New("streamhost: use of closed connection")
	errRefused           = errors.New("streamhost: connection refused")
)

type peerTimeout struct{}

func (peerTimeout) Error() string { return "streamhost: i/o timeout" }
func (peerTimeout) Timeout() bool { return true }

// streamHost is a WASI runtime in memory with one listening socket, whose
// connections are streams to peers in other goroutines, and whose
// poll_oneoff is level-triggered and looks at every socket, as a runtime
// over poll(2) would. Descriptors are reused lowest first, as a real
// runtime's are. One lock and one condition guard everything.
type streamHost struct {
	mu      sync.Mutex
	cond    sync.Cond
	lfd     uint32
	lclosed bool
	backlog []*hstream
	conns   map[uint32]*hstream
}

// hstream is one connection: a direction each way and how each ended.
type hstream struct {
	h                *streamHost
	toServer, toPeer []byte
	peerShut         bool // the peer sent its end
	peerClosed       bool // the peer closed: sock_send fails
	reset            bool // the peer reset: sock_recv and sock_send fail
	serverShut       bool // sock_shutdown: the peer reads the end after toPeer
	serverClosed     bool // fd_close: the same, and the peer's writes fail
	deadline         time.Time
}

func newStreamHost() *streamHost {
	h := &streamHost{conns: map[uint32]*hstream{}}
	h.cond.L = &h.mu
	return h
}

// listen makes the preopened listening socket.
func (h *streamHost) listen() uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lfd = h.freeFD()
	return h.lfd
}

// freeFD returns the lowest descriptor not in use. The caller holds h.mu.
func (h *streamHost) freeFD() uint32 {
	for fd := uint32(firstFD); ; fd++ {
		if _, ok := h.conns[fd]; !ok && (fd != h.lfd || h.lfd == 0) {
			return fd
		}
	}
}

// waitUntil waits for a change, or until deadline if it is not zero. The
// caller holds h.mu.
func (h *streamHost) waitUntil(deadline time.Time) {
	if deadline.IsZero() {
		h.cond.Wait()
		return
	}
	t := time.AfterFunc(time.Until(deadline), func() {
		h.mu.Lock()
		h.cond.Broadcast()
		h.mu.Unlock()
	})
	h.cond.Wait()
	t.Stop()
}

func (h *streamHost) sockAccept(fd uint32, flags uint16) (uint32, Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case fd != h.lfd || h.lclosed:
		return 0, EBADF
	case len(h.backlog) == 0:
		return 0, EAGAIN
	}
	s := h.backlog[0]
	h.backlog = h.backlog[1:]
	cfd := h.freeFD()
	h.conns[cfd] = s
	return cfd, 0
}

func (h *streamHost) sockRecv(fd uint32, p []byte) (int, Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.conns[fd]
	switch {
	case s == nil:
		return 0, EBADF
	case s.reset:
		return 0, ECONNRESET
	case len(s.toServer) > 0:
		n := copy(p, s.toServer)
		s.toServer = s.toServer[n:]
		h.cond.Broadcast() // room for the peer's writes
		return n, 0
	case s.peerShut:
		return 0, 0
	}
	return 0, EAGAIN
}

func (h *streamHost) sockSend(fd uint32, p []byte) (int, Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.conns[fd]
	switch {
	case s == nil:
		return 0, EBADF
	case s.reset:
		return 0, ECONNRESET
	case s.peerClosed || s.serverShut:
		return 0, EPIPE
	}
	n := min(len(p), windowSize-len(s.toPeer))
	if n == 0 {
		return 0, EAGAIN
	}
	s.toPeer = append(s.toPeer, p[:n]...)
	h.cond.Broadcast()
	return n, 0
}

func (h *streamHost) sockShutdown(fd uint32, how uint8) Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.conns[fd]
	if s == nil {
		return EBADF
	}
	if how&sdflagWR != 0 {
		s.serverShut = true
		h.cond.Broadcast()
	}
	return 0
}

func (h *streamHost) fdClose(fd uint32) Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.cond.Broadcast()
	if fd == h.lfd && !h.lclosed {
		h.lclosed = true
		for _, s := range h.backlog {
			s.serverClosed = true
		}
		h.backlog = nil
		return 0
	}
	s := h.conns[fd]
	if s == nil {
		return EBADF
	}
	delete(h.conns, fd)
	s.serverClosed = true
	return 0
}

func (h *streamHost) fdFdstatGet(fd uint32) (uint8, uint16, Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if (fd == h.lfd && !h.lclosed) || h.conns[fd] != nil {
		return filetypeSocketStream, fdflagNonblock, 0
	}
	return 0, 0, EBADF
}

func (h *streamHost) fdFdstatSetFlags(fd uint32, flags uint16) Errno {
	_, _, e := h.fdFdstatGet(fd)
	return e
}

// pollOneoff answers the fd subscriptions that are ready now, waiting for
// one until the clock subscription's timeout, like poll(2). It does not
// allocate unless it waits.
func (h *streamHost) pollOneoff(in []subscription, out []event) (int, Errno) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var deadline time.Time
	timed := false
	for i := range in {
		if in[i].tag == eventClock {
			deadline = time.Now().Add(time.Duration(in[i].timeout))
			timed = true
		}
	}
	for {
		n := 0
		for i := range in {
			sub := &in[i]
			if sub.tag == eventClock {
				continue
			}
			ev := event{userdata: sub.userdata, errtype: sub.tag << 16}
			fd := uint32(sub.fd)
			s := h.conns[fd]
			switch {
			case fd == h.lfd && !h.lclosed:
				if len(h.backlog) == 0 {
					continue
				}
			case s == nil:
				ev.errtype |= uint64(EBADF)
			case sub.tag == eventFdRead:
				if s.reset || s.peerShut {
					ev.flags = 1 // fd_readwrite_hangup
				} else if len(s.toServer) == 0 {
					continue
				}
			case sub.tag == eventFdWrite:
				if s.reset || s.peerClosed {
					ev.flags = 1
				} else if len(s.toPeer) == windowSize {
					continue
				}
			}
			out[n] = ev
			n++
		}
		if n > 0 {
			return n, 0
		}
		if !timed || !time.Now().Before(deadline) {
			if timed {
				out[0] = event{userdata: udClock, errtype: eventClock << 16}
				return 1, 0
			}
			return 0, EINVAL
		}
		h.waitUntil(deadline)
	}
}

// dial connects a peer, which the listening socket queues for sock_accept.
func (h *streamHost) dial() (transporttest.Peer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lfd == 0 || h.lclosed {
		return nil, errRefused
	}
	s := &hstream{h: h}
	h.backlog = append(h.backlog, s)
	h.cond.Broadcast()
	return s, nil
}

// The peer's end of a stream: blocking, for any goroutine.

func (s *hstream) Read(p []byte) (int, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		switch {
		case s.peerClosed:
			return 0, errPeerClosed
		case len(s.toPeer) > 0:
			n := copy(p, s.toPeer)
			s.toPeer = s.toPeer[n:]
			h.cond.Broadcast() // room for the server's writes
			return n, nil
		case s.serverShut || s.serverClosed:
			return 0, io.EOF
		case !s.deadline.IsZero() && !time.Now().Before(s.deadline):
			return 0, errPeerTimeout
		}
		h.waitUntil(s.deadline)
	}
}

func (s *hstream) Write(p []byte) (int, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	written := 0
	for len(p) > 0 {
		switch {
		case s.peerShut:
			return written, errPeerClosed
		case s.serverClosed:
			return written, errPeerGone
		case !s.deadline.IsZero() && !time.Now().Before(s.deadline):
			return written, errPeerTimeout
		}
		if n := min(len(p), windowSize-len(s.toServer)); n > 0 {
			s.toServer = append(s.toServer, p[:n]...)
			p = p[n:]
			written += n
			h.cond.Broadcast()
			continue
		}
		h.waitUntil(s.deadline)
	}
	return written, nil
}

func (s *hstream) CloseWrite() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.peerShut = true
	s.h.cond.Broadcast()
	return nil
}

func (s *hstream) Close() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.peerShut, s.peerClosed = true, true
	s.h.cond.Broadcast()
	return nil
}

func (s *hstream) Reset() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.peerShut, s.peerClosed, s.reset = true, true, true
	s.toServer = nil
	s.h.cond.Broadcast()
	return nil
}

func (s *hstream) SetDeadline(t time.Time) error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.deadline = t
	s.h.cond.Broadcast()
	return nil
}
