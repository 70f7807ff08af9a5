package mdns_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/mdns"
)

// A link is an in-memory stand-in for a network: what the responder
// sends to the group comes back to it (as multicast loopback does), and
// the example reads it too. A real program uses
// unixsock.ListenMulticast(mdns.IPv4Group, "") instead.
type link struct {
	inbox  [][]byte // datagrams for the responder
	queued []netip.AddrPort
	sent   [][]byte // what the responder sent to the group
}

func (l *link) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	if len(l.inbox) == 0 {
		return 0, netip.AddrPort{}, biplane.ErrWouldBlock
	}
	n := copy(p, l.inbox[0])
	from := l.queued[0]
	l.inbox, l.queued = l.inbox[1:], l.queued[1:]
	return n, from, nil
}

func (l *link) WriteTo(p []byte, to netip.AddrPort) (int, error) {
	l.sent = append(l.sent, append([]byte(nil), p...))
	l.inbox = append(l.inbox, l.sent[len(l.sent)-1])
	l.queued = append(l.queued, netip.MustParseAddrPort("192.0.2.7:5353"))
	return len(p), nil
}

func (l *link) Close() error { return nil }

// query is a DNS query for app.local, type A, as a resolver sends it.
var query = []byte{
	0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, // header: ID 0, one question
	3, 'a', 'p', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0, // app.local
	0, 1, 0, 1, // type A, class IN
}

// The responder claims app.local on a link of its own, stepped by a loop
// on a simulated clock; then a query arrives and is answered.
func Example() {
	l := &link{}
	r := &mdns.Responder{Conn: l, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	state := mdns.Closed
	for i := 0; i < 300; i++ { // three seconds of a 10 ms loop
		r.Step(now)
		if r.State() != state {
			state = r.State()
			fmt.Println(r.Hostname(), state)
		}
		now = now.Add(10 * time.Millisecond)
		// A real loop sleeps here, until its own tick or r.Deadline(),
		// whichever is first: srv.Wait(time.Until(r.Deadline())).
	}
	l.sent = nil
	l.inbox = append(l.inbox, query)
	l.queued = append(l.queued, netip.MustParseAddrPort("192.0.2.99:5353"))
	r.Step(now)
	answer := l.sent[0]
	// The first answer record follows the 12-byte header: app.local in
	// 11 bytes, type, class, TTL, length, then the address.
	rr := answer[12+11:]
	fmt.Println("answers:", binary.BigEndian.Uint16(answer[6:]), "type:", binary.BigEndian.Uint16(rr[0:]),
		"TTL:", binary.BigEndian.Uint32(rr[4:]), "address:", netip.AddrFrom4([4]byte(rr[10:14])))
	st := r.Stats()
	fmt.Println("probes:", st.Probes, "announcements:", st.Announces, "answers:", st.Answers)
	// Output:
	// app.local probing
	// app.local announcing
	// app.local announced
	// answers: 1 type: 1 TTL: 120 address: 192.0.2.7
	// probes: 3 announcements: 2 answers: 1
}
