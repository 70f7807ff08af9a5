//go:build !tinygo

// Not built by TinyGo: the suite's peers for package net import net, and
// it needs more memory than the boards these tests run on. See README.md,
// "TinyGo".

package tinysock_test

import (
	"errors"
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/tinysock"
)

// TestConformance runs the transport suite over a fake netdev driver whose
// sockets carry streams between the server and peers in other goroutines.
// A Send never waits (the fake chip buffers without limit), so Write
// never reports a full window; a Conn is not a CloseWriter, as the drivers
// have no shutdown.
func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Transport{
		Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
			d := newStreamDev()
			l, err := tinysock.Listen(d, tinysock.Config{Poll: 200 * time.Microsecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l, d.dial
		},
		NoFullWindow: true,
	})
}

// The fake driver's errors, as a driver's would be.
var (
	errTimeout   error = timeoutError{}
	errReset           = errors.New("streamdev: connection reset by peer")
	errGone            = errors.New("streamdev: broken pipe")
	errClosed          = errors.New("streamdev: use of closed connection")
	errRefused         = errors.New("streamdev: connection refused")
	errBadFd           = errors.New("streamdev: invalid socket fd")
	errNotListen       = errors.New("streamdev: listening socket closed")
)

type timeoutError struct{}

func (timeoutError) Error() string   { return "streamdev: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// streamDev is a netdev driver in memory with one listening socket. Its
// calls block like a driver's, each until its deadline at most (Accept
// until a peer dials, as the drivers do). One lock and one condition
// guard everything; the fake has no I/O to overlap.
type streamDev struct {
	mu       sync.Mutex
	cond     sync.Cond
	next     int
	lfd      int // the listening socket, or 0
	lclosed  bool
	backlog  []*stream       // dialed, not yet accepted
	accepted map[int]*stream // by descriptor
}

// stream is one connection: a direction each way, and how it ended.
type stream struct {
	d                *streamDev
	toServer, toPeer []byte
	peerShut         bool // the peer sent its end (CloseWrite or Close)
	peerClosed       bool // the peer closed: Sends fail
	reset            bool // the peer reset: Recv and Send fail
	serverClosed     bool // the server closed: the peer reads the end, its writes fail
	deadline         time.Time
}

func newStreamDev() *streamDev {
	d := &streamDev{next: 1, accepted: map[int]*stream{}}
	d.cond.L = &d.mu
	return d
}

// waitUntil waits for a change, or until deadline if it is not zero. The
// caller holds d.mu.
func (d *streamDev) waitUntil(deadline time.Time) {
	if deadline.IsZero() {
		d.cond.Wait()
		return
	}
	t := time.AfterFunc(time.Until(deadline), func() {
		d.mu.Lock()
		d.cond.Broadcast()
		d.mu.Unlock()
	})
	d.cond.Wait()
	t.Stop()
}

func (d *streamDev) Socket(domain, stype, protocol int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fd := d.next
	d.next++
	return fd, nil
}

func (d *streamDev) Bind(fd int, ip netip.AddrPort) error { return nil }

func (d *streamDev) Listen(fd, backlog int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lfd = fd
	return nil
}

func (d *streamDev) Accept(fd int) (int, netip.AddrPort, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		switch {
		case fd != d.lfd:
			return -1, netip.AddrPort{}, errBadFd
		case d.lclosed:
			return -1, netip.AddrPort{}, errNotListen
		case len(d.backlog) > 0:
			s := d.backlog[0]
			d.backlog = d.backlog[1:]
			cfd := d.next
			d.next++
			d.accepted[cfd] = s
			return cfd, netip.MustParseAddrPort("192.0.2.7:50000"), nil
		}
		d.cond.Wait()
	}
}

func (d *streamDev) Recv(fd int, buf []byte, flags int, deadline time.Time) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		s := d.accepted[fd]
		switch {
		case s == nil:
			return -1, errBadFd
		case s.reset:
			return -1, errReset
		case len(s.toServer) > 0:
			n := copy(buf, s.toServer)
			s.toServer = s.toServer[n:]
			return n, nil
		case s.peerShut:
			return 0, io.EOF
		case !deadline.IsZero() && !time.Now().Before(deadline):
			return -1, errTimeout
		}
		d.waitUntil(deadline)
	}
}

func (d *streamDev) Send(fd int, buf []byte, flags int, deadline time.Time) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.accepted[fd]
	switch {
	case s == nil:
		return -1, errBadFd
	case s.reset:
		return -1, errReset
	case s.peerClosed:
		return -1, errGone
	}
	s.toPeer = append(s.toPeer, buf...)
	d.cond.Broadcast()
	return len(buf), nil
}

func (d *streamDev) Close(fd int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.cond.Broadcast()
	if fd == d.lfd && !d.lclosed {
		d.lclosed = true
		for _, s := range d.backlog {
			s.serverClosed = true
		}
		d.backlog = nil
		return nil
	}
	s := d.accepted[fd]
	if s == nil {
		return errBadFd
	}
	delete(d.accepted, fd)
	s.serverClosed = true
	return nil
}

// dial connects a peer, which the fake's listener queues for Accept.
func (d *streamDev) dial() (transporttest.Peer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lfd == 0 || d.lclosed {
		return nil, errRefused
	}
	s := &stream{d: d}
	d.backlog = append(d.backlog, s)
	d.cond.Broadcast()
	return s, nil
}

// The peer's end of a stream: blocking, for any goroutine.

func (s *stream) Read(p []byte) (int, error) {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		switch {
		case s.peerClosed:
			return 0, errClosed
		case len(s.toPeer) > 0:
			n := copy(p, s.toPeer)
			s.toPeer = s.toPeer[n:]
			return n, nil
		case s.serverClosed:
			return 0, io.EOF
		case !s.deadline.IsZero() && !time.Now().Before(s.deadline):
			return 0, errTimeout
		}
		d.waitUntil(s.deadline)
	}
}

func (s *stream) Write(p []byte) (int, error) {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case s.peerShut:
		return 0, errClosed
	case s.serverClosed:
		return 0, errGone
	}
	s.toServer = append(s.toServer, p...)
	d.cond.Broadcast()
	return len(p), nil
}

func (s *stream) CloseWrite() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.peerShut = true
	s.d.cond.Broadcast()
	return nil
}

func (s *stream) Close() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.peerShut, s.peerClosed = true, true
	s.d.cond.Broadcast()
	return nil
}

func (s *stream) Reset() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.peerShut, s.peerClosed, s.reset = true, true, true
	s.toServer = nil
	s.d.cond.Broadcast()
	return nil
}

func (s *stream) SetDeadline(t time.Time) error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.deadline = t
	s.d.cond.Broadcast()
	return nil
}
