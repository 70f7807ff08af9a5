package mdns

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/biplane-go/biplane"
)

// Port is the UDP port of Multicast DNS (RFC 6762 §3).
const Port = 5353

var (
	// IPv4Group is where IPv4 queries and multicast answers go:
	// 224.0.0.251, port 5353 (RFC 6762 §3).
	IPv4Group = netip.AddrPortFrom(netip.AddrFrom4([4]byte{224, 0, 0, 251}), Port)

	// IPv6Group is the IPv6 group, ff02::fb, port 5353 (RFC 6762 §3).
	IPv6Group = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0xfb}), Port)
)

// A PacketConn is a non-blocking datagram socket on one link, bound to
// [Port] and joined to the group of its address family. A
// unixsock.PacketConn is one, on Linux.
type PacketConn interface {
	// ReadFrom reads one datagram into p and returns its length and its
	// sender. With no datagram queued it returns biplane.ErrWouldBlock at
	// once. A datagram longer than p is cut to len(p). A transport that
	// cannot tell the sender returns the zero AddrPort: the responder then
	// answers by multicast only. An error with a method Temporary() bool
	// that reports true ends the step's reading; any other stops the
	// responder.
	ReadFrom(p []byte) (n int, from netip.AddrPort, err error)

	// WriteTo sends p as one datagram to addr, the group or one querier,
	// without blocking: if it cannot now, it drops p and returns an
	// error, biplane.ErrWouldBlock for a full send buffer. A lost
	// datagram is counted ([Stats].SendErrors) and otherwise treated as
	// UDP treats it.
	WriteTo(p []byte, addr netip.AddrPort) (n int, err error)

	// Close closes the socket.
	Close() error
}

// An InterfaceConn is a [PacketConn] that knows the unicast addresses of
// its network interface. A [Responder] without [Responder.Addrs]
// announces them.
type InterfaceConn interface {
	PacketConn
	InterfaceAddrs() ([]netip.Addr, error)
}

// Timing and bounds of a responder; doc.go's table explains each.
const (
	hostTTL         = 120 // seconds: host name records (RFC 6762 §10)
	legacyTTL       = 10  // seconds, at most, in a legacy unicast answer (§6.7)
	probeCount      = 3
	probeInterval   = 250 * time.Millisecond
	probeDelayMax   = 250 * time.Millisecond // random wait before the first probe (§8.1)
	deferAfterLoss  = time.Second            // simultaneous probe tiebreak lost (§8.2)
	conflictWindow  = 10 * time.Second
	conflictBurst   = 15              // conflicts in conflictWindow before slowing down (§8.1)
	conflictPause   = 5 * time.Second //
	announceCount   = 2               // §8.3: at least two, one second apart
	announceFirst   = time.Second
	multicastGap    = time.Second            // per record (§6)
	probeAnswerGap  = 250 * time.Millisecond // per record, defending against a probe (§6)
	quMulticastAge  = hostTTL * time.Second / 4
	idleDeadline    = time.Minute
	stepPackets     = 16 // datagrams read in one Step
	maxAddrs        = 16
	nsecIndex       = maxAddrs // the NSEC record's bit in a record set
	defaultMaxBytes = 1500
	outBufSize      = 1024 // the longest response is 714 bytes (TestLongestResponse)
)

// Defaults of the [Responder] fields.
const (
	// DefaultMaxPacket is the size of the largest datagram read whole
	// when [Responder.MaxPacket] is zero: an Ethernet frame's payload.
	DefaultMaxPacket = defaultMaxBytes
)

// A State is where a [Responder] is in claiming its name.
type State uint8

// The states of a [Responder], in the order it goes through them.
const (
	// Probing: asking whether another host has the name (RFC 6762 §8.1).
	// A conflict renames the responder, and it probes anew.
	Probing State = iota
	// Announcing: the name is ours; telling the link (§8.3) and
	// answering queries.
	Announcing
	// Announced: answering queries.
	Announced
	// Closed: after [Responder.Close], or an error ([Responder.Err]).
	Closed
)

// String returns the state's name in lower case: "probing", ….
func (s State) String() string {
	switch s {
	case Probing:
		return "probing"
	case Announcing:
		return "announcing"
	case Announced:
		return "announced"
	case Closed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Stats counts what a [Responder] did since it started.
type Stats struct {
	Received   uint64 // datagrams read
	Malformed  uint64 // datagrams dropped: not a DNS message by RFC 1035, or longer than MaxPacket
	Queries    uint64 // queries read, about any name
	Answers    uint64 // responses sent to queries, by multicast or unicast
	Suppressed uint64 // queries not answered because the querier knew every answer (§7.1)
	Delayed    uint64 // answers delayed by the once-a-second limit (§6)
	Probes     uint64 // probes sent
	Announces  uint64 // announcements sent, goodbyes included
	Conflicts  uint64 // names given up to another host (then renamed), or probed for again
	SendErrors uint64 // datagrams the Conn did not send
}

// A Responder answers Multicast DNS queries (RFC 6762) for one host name,
// NAME.local, with the host's addresses, from the program's loop. Set its
// fields, then call [Responder.Step] every time round the loop, and wait
// no later than [Responder.Deadline]. Its methods must be called from one
// goroutine; none of them blocks or starts another.
type Responder struct {
	// Conn is the socket, joined to the mDNS group. Required.
	Conn PacketConn

	// Name is the host name to claim: one label, such as "app" for
	// app.local ("app.local" is accepted too). It is at most 63 bytes of
	// UTF-8, without dots or control characters. Required. If another
	// host has it, the responder takes "app-2", then "app-3", and so on
	// (RFC 6762 §9): see [Responder.Hostname].
	Name string

	// Addrs are the addresses to answer with: an A record for each IPv4
	// address, an AAAA record for each IPv6 one, at most 16 (more make
	// Step fail). If empty, the addresses of Conn's interface, if Conn is
	// an [InterfaceConn]: the first 16, IPv4 first. They are read by the
	// first Step.
	Addrs []netip.Addr

	// Group is where multicast messages go. If zero, the group of Conn if
	// it has a method Group() netip.AddrPort, as unixsock's PacketConn
	// does, else [IPv4Group].
	Group netip.AddrPort

	// MaxPacket is the longest datagram read; a longer one is dropped as
	// malformed. If zero, [DefaultMaxPacket] (1500 bytes); at most 9000,
	// the most RFC 6762 §17 allows.
	MaxPacket int

	started bool
	closed  bool // Close has run
	state   State
	err     error
	base    string // Name without ".local"
	label   string // the label claimed now: base, or base-N
	attempt int    // 1 for base, N for base-N
	name    []byte // label.local in wire form
	nsec    []byte // rdata of our NSEC record
	addrs   []netip.Addr
	sorted  []netip.Addr // addrs in §8.2 order
	has4    bool
	has6    bool
	group   netip.AddrPort
	rbuf    []byte
	out     []byte
	msg     message
	rng     uint64

	now       time.Time
	next      time.Time // next probe or announcement
	sent      int       // probes or announcements sent in this state
	more      bool      // the last Step stopped reading before the socket was empty
	lastMC    [maxAddrs + 1]time.Time
	pending   uint32 // records owed a multicast answer at pendingAt
	pendingAt time.Time
	conflicts [conflictBurst]time.Time // times of the last conflicts, a ring
	nconf     int
	theirs    [maxRecords]uint8 // scratch: a probe's records, sorted
	stats     Stats
}

// Step does one bounded round of work and returns without blocking: it
// reads up to 16 datagrams from Conn, answers or learns from each, and
// sends the probe, announcement or delayed answer that is due at now.
// It returns false once the responder is closed, by [Responder.Close] or
// by an error that [Responder.Err] returns. now is the current time, as
// the loop read it; it must not go backwards.
func (r *Responder) Step(now time.Time) bool {
	if !r.start(now) {
		return false
	}
	r.now = now
	r.more = false
	for i := 0; ; i++ {
		if i == stepPackets {
			r.more = true // Deadline says: step again now
			break
		}
		n, from, err := r.Conn.ReadFrom(r.rbuf)
		if err == biplane.ErrWouldBlock {
			break
		}
		if err != nil {
			var t interface{ Temporary() bool }
			if errors.As(err, &t) && t.Temporary() {
				break
			}
			r.fail(fmt.Errorf("mdns: read: %w", err))
			return false
		}
		r.stats.Received++
		if n < 0 || n > len(r.rbuf)-1 {
			r.stats.Malformed++ // longer than MaxPacket: rbuf has one byte more
			continue
		}
		r.handle(r.rbuf[:n], from)
	}
	r.timers()
	return r.state != Closed
}

// Deadline returns the time by which [Responder.Step] must be called
// again if no datagram arrives first: when the next probe, announcement
// or delayed answer is due, or the time of the last Step if it left
// datagrams unread. With nothing due it is a minute after the last Step.
// Before the first Step it is the zero Time: step at once.
//
// A loop waits until the earliest of its own deadlines and this one, and
// wakes early when a datagram arrives (with unixsock, by watching the
// Conn in the HTTP server's listener: see the package documentation). A
// loop that cannot wake on a datagram must step more often: each query
// waits for the next Step.
func (r *Responder) Deadline() time.Time {
	if !r.started {
		return time.Time{}
	}
	if r.more {
		return r.now
	}
	d := r.now.Add(idleDeadline)
	if (r.state == Probing || r.state == Announcing) && r.next.Before(d) {
		d = r.next
	}
	if r.pending != 0 && r.pendingAt.Before(d) {
		d = r.pendingAt
	}
	return d
}

// Hostname returns the name claimed, "app.local" or, after conflicts,
// "app-2.local" and so on. It is the name being probed for in state
// [Probing], and the host's own from [Announcing] on.
func (r *Responder) Hostname() string {
	if r.label == "" {
		return trimLocal(r.Name) + ".local"
	}
	return r.label + ".local"
}

// State returns where the responder is in claiming its name.
func (r *Responder) State() State { return r.state }

// Stats returns the responder's counters.
func (r *Responder) Stats() Stats { return r.stats }

// Err returns the error that stopped the responder, or nil if it is
// running or was closed by [Responder.Close].
func (r *Responder) Err() error { return r.err }

// Close says goodbye, if the name was ours, by announcing the host's
// records with a TTL of zero (RFC 6762 §10.1), so that caches forget
// them within a second, and closes Conn. Step returns false from then
// on. Closing a closed Responder does nothing and returns nil.
func (r *Responder) Close() error {
	if r.closed {
		return nil
	}
	if r.state == Announcing || r.state == Announced {
		r.send(r.appendAnnouncement(r.out[:0], 0), r.group)
		r.stats.Announces++
	}
	r.started, r.state, r.closed = true, Closed, true
	if r.Conn == nil {
		return nil
	}
	return r.Conn.Close()
}

// fail stops the responder with err.
func (r *Responder) fail(err error) {
	r.err = err
	r.state = Closed
}

// start checks the fields and prepares the responder on its first step.
func (r *Responder) start(now time.Time) bool {
	if r.started {
		return r.state != Closed
	}
	r.started = true
	if err := r.setup(); err != nil {
		r.fail(err)
		return false
	}
	r.rng = seed(now, r.base, r.addrs)
	r.probe(now, r.randomDelay())
	return true
}

func (r *Responder) setup() error {
	if r.Conn == nil {
		return errors.New("mdns: Responder.Conn is nil")
	}
	r.base = trimLocal(r.Name)
	if err := checkLabel(r.base); err != nil {
		return err
	}
	addrs := r.Addrs
	discovered := len(addrs) == 0
	if discovered {
		ic, ok := r.Conn.(InterfaceConn)
		if !ok {
			return errors.New("mdns: Responder.Addrs is empty and Conn cannot tell its interface's addresses")
		}
		var err error
		if addrs, err = ic.InterfaceAddrs(); err != nil {
			return fmt.Errorf("mdns: addresses of Conn's interface: %w", err)
		}
		// IPv4 first, then in the interface's order, for the cut at 16.
		var sorted []netip.Addr
		for _, v4 := range []bool{true, false} {
			for _, a := range addrs {
				if a.Unmap().Is4() == v4 {
					sorted = append(sorted, a)
				}
			}
		}
		addrs = sorted
	}
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		switch {
		case !a.IsValid() || a.IsUnspecified() || a.IsMulticast():
			if discovered {
				continue
			}
			return fmt.Errorf("mdns: cannot announce address %v", a)
		case containsAddr(r.addrs, a):
			continue
		case len(r.addrs) == maxAddrs:
			if discovered {
				continue
			}
			return fmt.Errorf("mdns: more than %d addresses to announce", maxAddrs)
		}
		r.addrs = append(r.addrs, a)
		r.has4 = r.has4 || a.Is4()
		r.has6 = r.has6 || a.Is6()
	}
	if len(r.addrs) == 0 {
		return errors.New("mdns: no address to announce")
	}
	r.sorted = append([]netip.Addr(nil), r.addrs...)
	// RFC 6762 §8.2: records compare by class, then type (A before
	// AAAA), then rdata as unsigned bytes: the order of Addr.Compare.
	for i := 1; i < len(r.sorted); i++ {
		for j := i; j > 0 && r.sorted[j].Compare(r.sorted[j-1]) < 0; j-- {
			r.sorted[j], r.sorted[j-1] = r.sorted[j-1], r.sorted[j]
		}
	}
	r.group = r.Group
	if g, ok := r.Conn.(interface{ Group() netip.AddrPort }); ok && !r.group.IsValid() {
		r.group = g.Group()
	}
	if !r.group.IsValid() {
		r.group = IPv4Group
	}
	size := r.MaxPacket
	if size <= 0 {
		size = DefaultMaxPacket
	}
	size = min(size, maxPacket)
	r.rbuf = make([]byte, size+1) // one more, to see that a datagram was longer
	r.out = make([]byte, 0, outBufSize)
	r.attempt = 1
	r.setLabel(r.base)
	return nil
}

// trimLocal removes a ".local" or ".local." suffix, in any case.
func trimLocal(s string) string {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 6 && strings.EqualFold(s[len(s)-6:], ".local") {
		s = s[:len(s)-6]
	}
	return s
}

// checkLabel checks a host label as RFC 6762 §16 allows it: UTF-8, of
// 1 to 63 bytes; dots and control characters are refused, as no querier
// could ask for them.
func checkLabel(s string) error {
	if s == "" {
		return errors.New("mdns: Responder.Name is empty")
	}
	if len(s) > maxLabel {
		return fmt.Errorf("mdns: name %q is %d bytes long, more than a label's 63", s, len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("mdns: name %q is not UTF-8", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("mdns: name %q has %q at byte %d: want one label, without dots or control characters", s, c, i)
		}
	}
	return nil
}

// setLabel makes label the name claimed.
func (r *Responder) setLabel(label string) {
	r.label = label
	r.name = append(r.name[:0], byte(len(label)))
	r.name = append(r.name, label...)
	r.name = append(r.name, 5, 'l', 'o', 'c', 'a', 'l', 0)
	r.nsec = nsecRdata(r.nsec[:0], r.name, r.has4, r.has6)
}

// renamed returns the label for attempt n ≥ 2, base-n, with base cut
// short (at a character boundary) where the label would pass 63 bytes.
func renamed(base string, n int) string {
	suffix := "-" + strconv.Itoa(n)
	for len(base)+len(suffix) > maxLabel {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base + suffix
}

// probe starts probing for the current name after wait.
func (r *Responder) probe(now time.Time, wait time.Duration) {
	r.state = Probing
	r.sent = 0
	r.next = now.Add(wait)
	r.pending = 0
	r.lastMC = [maxAddrs + 1]time.Time{}
}

// conflict gives the name up to another host, takes the next one and
// probes for it (RFC 6762 §9). After 15 conflicts within ten seconds it
// waits five seconds before each probe (§8.1).
func (r *Responder) conflict(rename bool) {
	r.stats.Conflicts++
	r.conflicts[r.nconf%conflictBurst] = r.now
	r.nconf++
	if rename {
		r.attempt++
		r.setLabel(renamed(r.base, r.attempt))
	}
	wait := r.randomDelay()
	if oldest := r.conflicts[r.nconf%conflictBurst]; r.nconf >= conflictBurst && r.now.Sub(oldest) < conflictWindow {
		wait = conflictPause
	}
	r.probe(r.now, wait)
}

// randomDelay is the wait before a first probe: uniform over 0 to 250 ms
// (§8.1), so that hosts that start together do not probe together.
func (r *Responder) randomDelay() time.Duration {
	return time.Duration(r.random() % uint64(probeDelayMax+1))
}

// random is xorshift64*: enough to spread probes, seeded by seed.
func (r *Responder) random() uint64 {
	r.rng ^= r.rng >> 12
	r.rng ^= r.rng << 25
	r.rng ^= r.rng >> 27
	return r.rng * 2685821657736338717
}

// seed mixes the start time, the name and the addresses (FNV-1a), so
// that two hosts starting at once still draw apart.
func seed(now time.Time, name string, addrs []netip.Addr) uint64 {
	h := uint64(14695981039346656037)
	mix := func(b byte) { h = (h ^ uint64(b)) * 1099511628211 }
	for t, i := uint64(now.UnixNano()), 0; i < 8; i++ {
		mix(byte(t >> (8 * i)))
	}
	for i := 0; i < len(name); i++ {
		mix(name[i])
	}
	for _, a := range addrs {
		for _, b := range a.As16() {
			mix(b)
		}
	}
	if h == 0 {
		h = 1
	}
	return h
}

func containsAddr(addrs []netip.Addr, a netip.Addr) bool {
	for _, b := range addrs {
		if a == b {
			return true
		}
	}
	return false
}

// timers sends what is due: a probe, an announcement, delayed answers.
func (r *Responder) timers() {
	for range 2 { // the last probe's wait may end in the first announcement
		if r.state != Probing && r.state != Announcing || r.now.Before(r.next) {
			break
		}
		if r.state == Probing {
			if r.sent == probeCount {
				// No conflict in the 250 ms after the third probe: the
				// name is ours (§8.1).
				r.state, r.sent = Announcing, 0
				continue
			}
			r.send(r.appendProbe(r.out[:0]), r.group)
			r.stats.Probes++
			r.sent++
			r.next = r.now.Add(probeInterval)
			break
		}
		r.send(r.appendAnnouncement(r.out[:0], hostTTL), r.group)
		r.stats.Announces++
		for i := range r.addrs {
			r.lastMC[i] = r.now
		}
		r.sent++
		// §8.3: one second apart, and at least double the last gap.
		r.next = r.now.Add(announceFirst << (r.sent - 1))
		if r.sent == announceCount {
			r.state = Announced
		}
		break
	}
	if r.pending != 0 && !r.now.Before(r.pendingAt) && r.state != Probing {
		r.multicast(r.pending, 0)
		r.pending = 0
	}
}

// send writes p to addr, counting a failure.
func (r *Responder) send(p []byte, addr netip.AddrPort) {
	if _, err := r.Conn.WriteTo(p, addr); err != nil {
		r.stats.SendErrors++
	}
}

// handle acts on one datagram.
func (r *Responder) handle(p []byte, from netip.AddrPort) {
	m := &r.msg
	if err := m.parse(p); err != nil {
		r.stats.Malformed++
		return
	}
	if m.isResponse() {
		// §6: a response from a port other than 5353 is ignored.
		if from.IsValid() && from.Port() != Port {
			return
		}
		r.checkResponse(m)
		return
	}
	r.stats.Queries++
	if r.state == Probing {
		r.checkProbe(m)
		return
	}
	r.answer(m, from)
}

// ours returns the index of our record that rr equals in name, type,
// class and rdata, or -1.
func (r *Responder) ours(m *message, rr *record) int {
	if rr.class&^topBit != classIN || !nameEqual(m.b, rr.name, r.name) {
		return -1
	}
	switch rr.typ {
	case typeA, typeAAAA:
		for i, a := range r.addrs {
			rdata := m.rdata(rr)
			if rr.typ == typeA && a.Is4() && len(rdata) == 4 {
				if a.As4() == [4]byte(rdata) {
					return i
				}
			} else if rr.typ == typeAAAA && a.Is6() && len(rdata) == 16 {
				if a.As16() == [16]byte(rdata) {
					return i
				}
			}
		}
	case typeNSEC:
		if bytes.Equal(m.rdata(rr), r.nsec) {
			return nsecIndex
		}
	}
	return -1
}

// checkResponse looks in another responder's answers for records that
// conflict with ours: while probing, any record of our name that is not
// one of ours (§8.1: a probe asks for type ANY, so every type answers
// it); afterwards, an address record of our name and of a type we have
// with other data (§9). Goodbyes (TTL 0) claim nothing. Our own
// messages, looped back, hold only our records.
func (r *Responder) checkResponse(m *message) {
	if r.state == Closed {
		return
	}
	for i := range m.rrs {
		rr := &m.rrs[i]
		if rr.ttl == 0 || !nameEqual(m.b, rr.name, r.name) || r.ours(m, rr) >= 0 {
			continue
		}
		if r.state == Probing {
			r.conflict(true)
			return
		}
		if rr.class&^topBit == classIN && (rr.typ == typeA && r.has4 || rr.typ == typeAAAA && r.has6) {
			// §9: probe again; if the other host defends the name, that
			// ends in a rename.
			r.conflict(false)
			return
		}
	}
}

// checkProbe applies the simultaneous probe tiebreak (§8.2) to a query
// that arrives while we probe: if it is another host's probe for our
// name, its authority section holds the records it proposes. Sorted, they
// are compared with ours, pair by pair; the host whose records come
// earlier loses, waits a second and probes again. Equal sets are no
// conflict (our own probe, looped back, is one).
func (r *Responder) checkProbe(m *message) {
	asked := false
	for _, q := range m.qs {
		if nameEqual(m.b, q.name, r.name) {
			asked = true
			break
		}
	}
	if !asked {
		return
	}
	theirs := r.theirs[:0]
	for i := range m.rrs {
		if m.rrs[i].section == sectionAuthority && nameEqual(m.b, m.rrs[i].name, r.name) {
			theirs = append(theirs, uint8(i))
			for j := len(theirs) - 1; j > 0 && compareRecords(m, &m.rrs[theirs[j]], &m.rrs[theirs[j-1]]) < 0; j-- {
				theirs[j], theirs[j-1] = theirs[j-1], theirs[j]
			}
		}
	}
	if len(theirs) == 0 {
		return // a query, not a probe
	}
	cmp := 0
	for i := 0; cmp == 0; i++ {
		switch {
		case i == len(r.sorted) && i == len(theirs):
			return // the same records: no conflict
		case i == len(r.sorted):
			cmp = -1 // §8.2: the host with more records wins
		case i == len(theirs):
			cmp = 1
		default:
			cmp = compareAddr(m, r.sorted[i], &m.rrs[theirs[i]])
		}
	}
	if cmp < 0 {
		r.stats.Conflicts++
		r.probe(r.now, deferAfterLoss)
	}
}

// compareRecords orders records as §8.2 does: by class without its top
// bit, then type, then rdata as unsigned bytes.
func compareRecords(m *message, a, b *record) int {
	ac, bc := a.class&^topBit, b.class&^topBit
	switch {
	case ac != bc:
		return cmpUint(ac, bc)
	case a.typ != b.typ:
		return cmpUint(a.typ, b.typ)
	}
	return bytes.Compare(m.rdata(a), m.rdata(b))
}

// compareAddr compares our address record for a with b, as
// compareRecords does.
func compareAddr(m *message, a netip.Addr, b *record) int {
	typ := uint16(typeAAAA)
	if a.Is4() {
		typ = typeA
	}
	if bc := b.class &^ topBit; bc != classIN {
		return cmpUint(classIN, bc)
	}
	if typ != b.typ {
		return cmpUint(typ, b.typ)
	}
	if a.Is4() {
		v := a.As4()
		return bytes.Compare(v[:], m.rdata(b))
	}
	v := a.As16()
	return bytes.Compare(v[:], m.rdata(b))
}

func cmpUint(a, b uint16) int {
	if a < b {
		return -1
	}
	return 1
}

// answer answers a query for our name (§6): immediately, since the
// records are unique; by unicast to a legacy querier (§6.7) or one that
// asked so (§5.4); else by multicast, at most once a second per record.
func (r *Responder) answer(m *message, from netip.AddrPort) {
	var want uint32
	var asked [maxQuestions]uint8 // questions answered, for a legacy answer
	nasked := 0
	allQU := true
	for i, q := range m.qs {
		if c := q.class &^ topBit; c != classIN && c != classANY || !nameEqual(m.b, q.name, r.name) {
			continue
		}
		set := r.recordsFor(q.typ)
		want |= set
		asked[nasked] = uint8(i)
		nasked++
		allQU = allQU && q.class&topBit != 0
	}
	if want == 0 {
		return
	}
	// §7.1: leave out what the querier listed as known with at least
	// half the TTL left.
	for i := range m.rrs {
		rr := &m.rrs[i]
		if rr.section != sectionAnswer || rr.ttl < hostTTL/2 {
			continue
		}
		if k := r.ours(m, rr); k >= 0 {
			want &^= 1 << k
		}
	}
	if want == 0 {
		r.stats.Suppressed++
		return
	}
	r.stats.Answers++
	// §6.7: a query not from port 5353 comes from a simple resolver,
	// which gets a conventional unicast answer.
	if from.IsValid() && from.Port() != Port {
		b := appendHeader(r.out[:0], m.id, flagQR|flagAA, nasked, countBits(want), 0, 0)
		for _, i := range asked[:nasked] {
			q := m.qs[i]
			b = appendQuestion(b, r.name, r.nameAt(b), q.typ, q.class&^topBit)
		}
		b = r.appendRecords(b, want, classIN, legacyTTL)
		r.send(b, from)
		return
	}
	isProbe := false // a probe carries its proposed records in the authority section
	for i := range m.rrs {
		isProbe = isProbe || m.rrs[i].section == sectionAuthority
	}
	// §5.4: a QU question is answered by unicast, unless a record has not
	// been multicast for a quarter of its TTL: then all see it. A probe
	// is answered by multicast, for every host to see the defence.
	if allQU && from.IsValid() && !isProbe && r.multicastSince(want, r.now.Add(-quMulticastAge)) {
		r.send(r.appendResponse(r.out[:0], want, r.extra(want), hostTTL), from)
		return
	}
	gap := multicastGap
	if isProbe {
		gap = probeAnswerGap
	}
	r.multicast(want, gap)
}

// recordsFor returns the set of our records that answer a question of
// type typ: the addresses of its family, or our NSEC record if we have
// none (§6.1), or every address for ANY.
func (r *Responder) recordsFor(typ uint16) uint32 {
	var set uint32
	for i, a := range r.addrs {
		if typ == typeANY || typ == typeA && a.Is4() || typ == typeAAAA && a.Is6() {
			set |= 1 << i
		}
	}
	if set == 0 {
		set = 1 << nsecIndex
	}
	return set
}

// extra returns the records to add to an answer of set (§6.2): our
// other addresses, and the NSEC record that says which types we lack.
func (r *Responder) extra(set uint32) uint32 {
	if set&(1<<nsecIndex) != 0 {
		return 0
	}
	all := uint32(1)<<len(r.addrs) - 1
	if !r.has4 || !r.has6 {
		all |= 1 << nsecIndex
	}
	return all &^ set
}

// multicastSince reports whether every record of set was multicast at
// or after t.
func (r *Responder) multicastSince(set uint32, t time.Time) bool {
	for i := range r.lastMC {
		if set&(1<<i) != 0 && r.lastMC[i].Before(t) {
			return false
		}
	}
	return true
}

// multicast sends the records of set to the group now, those not
// multicast in the last gap; the others wait until they may be (§6),
// all in one later message.
func (r *Responder) multicast(set uint32, gap time.Duration) {
	var later uint32
	var at time.Time
	for i := range r.lastMC {
		if set&(1<<i) == 0 || r.lastMC[i].IsZero() {
			continue
		}
		if t := r.lastMC[i].Add(gap); r.now.Before(t) {
			later |= 1 << i
			if t.After(at) {
				at = t
			}
		}
	}
	if now := set &^ later; now != 0 {
		r.send(r.appendResponse(r.out[:0], now, r.extra(now), hostTTL), r.group)
		for i := range r.lastMC {
			if now&(1<<i) != 0 {
				r.lastMC[i] = r.now
			}
		}
	}
	if later != 0 {
		r.stats.Delayed++
		if r.pending == 0 || at.After(r.pendingAt) {
			r.pendingAt = at
		}
		r.pending |= later
	}
}

// nameAt returns where a compression pointer to our name may point in
// the message b, once the header is written: at the first name, or 0 if
// none is written yet.
func (r *Responder) nameAt(b []byte) int {
	if len(b) > headerLen {
		return headerLen
	}
	return 0
}

// appendRecords appends our records of set, with class and ttl.
func (r *Responder) appendRecords(b []byte, set uint32, class uint16, ttl uint32) []byte {
	for i, a := range r.addrs {
		if set&(1<<i) != 0 {
			b = appendAddr(b, r.name, r.nameAt(b), a, class, ttl)
		}
	}
	if set&(1<<nsecIndex) != 0 {
		b = appendNSEC(b, r.name, r.nameAt(b), class, ttl, r.has4, r.has6)
	}
	return b
}

// appendResponse appends a multicast-style response (§18): ID zero, no
// question, answers and additional records with the cache-flush bit,
// since the name is ours alone (§10.2).
func (r *Responder) appendResponse(b []byte, answers, additional uint32, ttl uint32) []byte {
	b = appendHeader(b, 0, flagQR|flagAA, 0, countBits(answers), 0, countBits(additional))
	b = r.appendRecords(b, answers, classIN|topBit, ttl)
	return r.appendRecords(b, additional, classIN|topBit, ttl)
}

// appendAnnouncement appends an unsolicited response with every address
// record (§8.3), or with ttl 0 a goodbye (§10.1).
func (r *Responder) appendAnnouncement(b []byte, ttl uint32) []byte {
	all := uint32(1)<<len(r.addrs) - 1
	if ttl == 0 {
		b = appendHeader(b, 0, flagQR|flagAA, 0, len(r.addrs), 0, 0)
		return r.appendRecords(b, all, classIN, 0)
	}
	return r.appendResponse(b, all, r.extra(all), ttl)
}

// appendProbe appends a probe (§8.1): a question for our name of type ANY
// with the QU bit, and the records we propose in the authority section,
// for the tiebreak of §8.2.
func (r *Responder) appendProbe(b []byte) []byte {
	b = appendHeader(b, 0, 0, 1, 0, len(r.addrs), 0)
	b = appendQuestion(b, r.name, 0, typeANY, classIN|topBit)
	return r.appendRecords(b, uint32(1)<<len(r.addrs)-1, classIN, hostTTL)
}

func countBits(set uint32) int {
	n := 0
	for ; set != 0; set &= set - 1 {
		n++
	}
	return n
}
