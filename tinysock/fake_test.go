package tinysock

import (
	"errors"
	"io"
	"net/netip"
	"sync"
	"time"
)

// errTimeout is a driver's deadline error, like netdev.ErrTimeout.
var errTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errFault = errors.New("chip fault")

// fakeDev is a netdev driver in memory. Its Accept blocks until the test
// sends a socket on clients, or closes it. Its sockets are scripted: see
// fakeSock.
type fakeDev struct {
	mu      sync.Mutex
	next    int
	socks   map[int]*fakeSock
	closes  []int
	calls   []string
	clients chan *fakeSock

	socketErr, bindErr, listenErr, acceptErr error
}

// fakeSock reads in, one chunk per Recv at most maxRecv bytes at a time (a
// nil chunk is a timeout), then end (nil: time out for ever); with
// lastEOF, the last chunk comes with io.EOF. It takes at most maxSend
// bytes per Send (0: all), or fails with sendErr.
type fakeSock struct {
	in      [][]byte
	maxRecv int
	end     error
	lastEOF bool
	maxSend int
	sendErr error
	out     []byte

	recvDeadlines, sendDeadlines []time.Time
}

func newFakeDev() *fakeDev {
	return &fakeDev{socks: map[int]*fakeSock{}, next: 1, clients: make(chan *fakeSock)}
}

func (d *fakeDev) log(s string) {
	d.mu.Lock()
	d.calls = append(d.calls, s)
	d.mu.Unlock()
}

func (d *fakeDev) Socket(domain, stype, protocol int) (int, error) {
	d.log("socket " + itoa(domain) + " " + itoa(stype) + " " + itoa(protocol))
	if d.socketErr != nil {
		return -1, d.socketErr
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	fd := d.next
	d.next++
	d.socks[fd] = &fakeSock{}
	return fd, nil
}

func (d *fakeDev) Bind(fd int, ip netip.AddrPort) error {
	d.log("bind " + itoa(fd) + " " + ip.String())
	return d.bindErr
}

func (d *fakeDev) Listen(fd, backlog int) error {
	d.log("listen " + itoa(fd) + " " + itoa(backlog))
	return d.listenErr
}

func (d *fakeDev) Accept(fd int) (int, netip.AddrPort, error) {
	if d.acceptErr != nil {
		return -1, netip.AddrPort{}, d.acceptErr
	}
	s, ok := <-d.clients
	if !ok {
		return -1, netip.AddrPort{}, errors.New("fake: no more clients")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cfd := d.next
	d.next++
	d.socks[cfd] = s
	return cfd, netip.MustParseAddrPort("192.0.2.7:50000"), nil
}

func (d *fakeDev) sock(fd int) *fakeSock {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.socks[fd]
}

func (d *fakeDev) Recv(fd int, buf []byte, flags int, deadline time.Time) (int, error) {
	s := d.sock(fd)
	if s == nil {
		return -1, errors.New("fake: invalid socket fd")
	}
	s.recvDeadlines = append(s.recvDeadlines, deadline)
	if len(s.in) == 0 {
		if s.end == nil {
			return -1, errTimeout
		}
		return -1, s.end
	}
	if s.in[0] == nil {
		s.in = s.in[1:]
		return -1, errTimeout
	}
	n := len(s.in[0])
	if s.maxRecv > 0 {
		n = min(n, s.maxRecv)
	}
	n = copy(buf, s.in[0][:n])
	if s.in[0] = s.in[0][n:]; len(s.in[0]) == 0 {
		s.in = s.in[1:]
	}
	if len(s.in) == 0 && s.lastEOF {
		return n, io.EOF
	}
	return n, nil
}

func (d *fakeDev) Send(fd int, buf []byte, flags int, deadline time.Time) (int, error) {
	s := d.sock(fd)
	if s == nil {
		return -1, errors.New("fake: invalid socket fd")
	}
	s.sendDeadlines = append(s.sendDeadlines, deadline)
	if s.sendErr != nil {
		return -1, s.sendErr
	}
	n := len(buf)
	if s.maxSend > 0 {
		n = min(n, s.maxSend)
	}
	s.out = append(s.out, buf[:n]...)
	return n, nil
}

func (d *fakeDev) Close(fd int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.socks[fd] == nil {
		return errors.New("fake: invalid socket fd")
	}
	delete(d.socks, fd)
	d.closes = append(d.closes, fd)
	return nil
}
