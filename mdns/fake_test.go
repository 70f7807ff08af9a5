package mdns

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// A fakeLink is a link on which every datagram arrives at once: a
// multicast one at every member (the sender too, as with
// IP_MULTICAST_LOOP), a unicast one at the member with that address.
type fakeLink struct {
	members []*fakeConn
}

// A datagram is one datagram in flight or sent.
type datagram struct {
	data     []byte
	from, to netip.AddrPort
}

// A fakeConn is a member of a fakeLink: a PacketConn.
type fakeConn struct {
	link   *fakeLink
	addr   netip.AddrPort // its own address and port
	queue  []datagram     // received, not yet read
	sent   []datagram     // everything it sent
	closed bool
	err    error // ReadFrom's error, once the queue is empty, if set
}

func (l *fakeLink) join(addr string) *fakeConn {
	c := &fakeConn{link: l, addr: netip.MustParseAddrPort(addr)}
	l.members = append(l.members, c)
	return c
}

func (c *fakeConn) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	if c.closed {
		return 0, netip.AddrPort{}, fmt.Errorf("fakeConn: read after close")
	}
	if len(c.queue) == 0 {
		if c.err != nil {
			return 0, netip.AddrPort{}, c.err
		}
		return 0, netip.AddrPort{}, biplane.ErrWouldBlock
	}
	d := c.queue[0]
	c.queue = c.queue[1:]
	return copy(p, d.data), d.from, nil
}

func (c *fakeConn) WriteTo(p []byte, to netip.AddrPort) (int, error) {
	if c.closed {
		return 0, fmt.Errorf("fakeConn: write after close")
	}
	d := datagram{data: append([]byte(nil), p...), from: c.addr, to: to}
	c.sent = append(c.sent, d)
	for _, m := range c.link.members {
		if to.Addr().IsMulticast() && to.Port() == m.addr.Port() || to == m.addr {
			m.queue = append(m.queue, d)
		}
	}
	return len(p), nil
}

func (c *fakeConn) Close() error {
	c.closed = true
	return nil
}

// take returns and forgets what c has received.
func (c *fakeConn) take() []datagram {
	q := c.queue
	c.queue = nil
	return q
}

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// run steps every responder from time from until to, every tick.
func run(from, to time.Time, tick time.Duration, rs ...*Responder) time.Time {
	t := from
	for ; !t.After(to); t = t.Add(tick) {
		for _, r := range rs {
			r.Step(t)
		}
	}
	return t
}

// announced returns a responder for name with addrs on link, stepped
// until it owns its name, and the time then.
func announced(t *testing.T, link *fakeLink, name string, addrs ...string) (*Responder, *fakeConn, time.Time) {
	t.Helper()
	c := link.join(addrs[0] + ":5353")
	r := &Responder{Conn: c, Name: name}
	for _, a := range addrs {
		r.Addrs = append(r.Addrs, netip.MustParseAddr(a))
	}
	now := run(t0, t0.Add(3*time.Second), 10*time.Millisecond, r)
	if r.State() != Announced {
		t.Fatalf("%s after 3 s: state %v, want announced (err %v)", name, r.State(), r.Err())
	}
	for _, m := range link.members {
		m.take()
	}
	return r, c, now
}

// wire returns a dotted name in uncompressed wire form.
func wire(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// A testQ is a question to build.
type testQ struct {
	name       string
	typ, class uint16
}

// A testRR is a resource record to build.
type testRR struct {
	name       string
	typ, class uint16
	ttl        uint32
	rdata      []byte
}

// build encodes a message without compression.
func build(id, flags uint16, qs []testQ, an, ns, ar []testRR) []byte {
	b := appendHeader(nil, id, flags, len(qs), len(an), len(ns), len(ar))
	for _, q := range qs {
		b = appendQuestion(b, wire(q.name), 0, q.typ, q.class)
	}
	for _, sec := range [][]testRR{an, ns, ar} {
		for _, rr := range sec {
			b = append(b, wire(rr.name)...)
			b = binary.BigEndian.AppendUint16(b, rr.typ)
			b = binary.BigEndian.AppendUint16(b, rr.class)
			b = binary.BigEndian.AppendUint32(b, rr.ttl)
			b = binary.BigEndian.AppendUint16(b, uint16(len(rr.rdata)))
			b = append(b, rr.rdata...)
		}
	}
	return b
}

// query is a one-question query.
func query(name string, typ, class uint16) []byte {
	return build(0, 0, []testQ{{name, typ, class}}, nil, nil, nil)
}

func ip(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

// readName decodes the name at off in b, following pointers, for tests.
func readName(b []byte, off int) string {
	var parts []string
	for range 32 {
		c := int(b[off])
		switch {
		case c == 0:
			return strings.Join(parts, ".")
		case c&0xc0 == 0xc0:
			off = (c&0x3f)<<8 | int(b[off+1])
		default:
			parts = append(parts, string(b[off+1:off+1+c]))
			off += 1 + c
		}
	}
	return "<loop>"
}

// describe renders a message for comparisons: its header, then one line
// per question and record.
func describe(b []byte) string {
	var m message
	if err := m.parse(b); err != nil {
		return "malformed: " + err.Error()
	}
	var s strings.Builder
	kind := "query"
	if m.isResponse() {
		kind = "response"
	}
	fmt.Fprintf(&s, "%s id=%d", kind, m.id)
	if m.flags&flagAA != 0 {
		s.WriteString(" aa")
	}
	for _, q := range m.qs {
		fmt.Fprintf(&s, "\nq %s %s", readName(b, int(q.name)), typeName(q.typ))
		if q.class&topBit != 0 {
			s.WriteString(" qu")
		}
	}
	for _, rr := range m.rrs {
		sec := [...]string{"an", "ns", "ar"}[rr.section]
		fmt.Fprintf(&s, "\n%s %s %s ttl=%d", sec, readName(b, int(rr.name)), typeName(rr.typ), rr.ttl)
		switch rr.typ {
		case typeA, typeAAAA:
			a, _ := netip.AddrFromSlice(m.rdata(&rr))
			fmt.Fprintf(&s, " %v", a)
		case typeNSEC:
			fmt.Fprintf(&s, " %x", m.rdata(&rr))
		}
		if rr.class&topBit != 0 {
			s.WriteString(" flush")
		}
	}
	return s.String()
}

func typeName(t uint16) string {
	switch t {
	case typeA:
		return "A"
	case typeAAAA:
		return "AAAA"
	case typeNSEC:
		return "NSEC"
	case typeANY:
		return "ANY"
	}
	return fmt.Sprintf("TYPE%d", t)
}
