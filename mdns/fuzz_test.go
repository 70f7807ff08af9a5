package mdns

import (
	"net/netip"
	"testing"
	"time"
)

// A recordConn is a sinkConn that keeps what is written, for the fuzz
// target's checks.
type recordConn struct {
	sinkConn
	out [][]byte
}

func (c *recordConn) WriteTo(p []byte, to netip.AddrPort) (int, error) {
	c.out = append(c.out, append([]byte(nil), p...))
	return len(p), nil
}

// fuzzResponder returns a started responder for app.local in state st,
// with addresses of both families, as if it had probed and announced.
func fuzzResponder(st State) (*Responder, *recordConn) {
	c := &recordConn{}
	r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1"),
	}}
	r.Step(t0)
	if st != Probing {
		r.state, r.sent, r.next = st, 1, t0.Add(10*time.Hour) // no timer due
		for i := range r.addrs {
			r.lastMC[i] = t0
		}
	}
	c.out = nil
	return r, c
}

// FuzzPacket feeds a datagram to the parser and to responders in each
// state, from a querier on port 5353 and from a legacy one. Invariants:
// no panic; the parse, when it succeeds, stays inside the datagram; the
// responder keeps its buffers (no growth), its state and name stay valid,
// and what it sends parses and is at most one message per datagram.
// Seeds are in testdata/fuzz/FuzzPacket; the parser and answer tables
// are added too.
func FuzzPacket(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, tt := range answerTests {
		f.Add(tt.msg)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m message
		if m.parse(data) == nil {
			for _, q := range m.qs {
				if _, err := skipName(data, int(q.name)); err != nil {
					t.Fatalf("question name at %d: %v after a successful parse", q.name, err)
				}
			}
			for _, rr := range m.rrs {
				if _, err := skipName(data, int(rr.name)); err != nil {
					t.Fatalf("record name at %d: %v after a successful parse", rr.name, err)
				}
				if int(rr.rdOff)+int(rr.rdLen) > len(data) {
					t.Fatalf("rdata at %d of %d bytes in a datagram of %d", rr.rdOff, rr.rdLen, len(data))
				}
			}
		}
		for _, st := range []State{Probing, Announcing, Announced} {
			for _, from := range []string{"10.0.0.9:5353", "10.0.0.9:40000", "[fe80::9%2]:5353", ""} {
				r, c := fuzzResponder(st)
				c.in = data
				if from != "" {
					c.from = netip.MustParseAddrPort(from)
				}
				rbuf, outCap := &r.rbuf[0], cap(r.out)
				now := t0.Add(2 * time.Hour)
				if !r.Step(now) {
					t.Fatalf("Step stopped: %v", r.Err())
				}
				if &r.rbuf[0] != rbuf || cap(r.out) != outCap {
					t.Fatalf("buffers changed: read buffer moved %v, output capacity %d → %d", &r.rbuf[0] != rbuf, outCap, cap(r.out))
				}
				if r.State() > Announced {
					t.Fatalf("state %v", r.State())
				}
				if len(r.label) == 0 || len(r.label) > maxLabel || r.label != r.Hostname()[:len(r.Hostname())-6] {
					t.Fatalf("label %q, hostname %q", r.label, r.Hostname())
				}
				if r.pending&^(uint32(1)<<len(r.addrs)-1|1<<nsecIndex) != 0 {
					t.Fatalf("pending records %b beyond ours", r.pending)
				}
				if d := r.Deadline(); d.Before(now) || d.After(now.Add(time.Minute)) {
					t.Fatalf("Deadline %v from now", d.Sub(now))
				}
				if len(c.out) > 1 {
					t.Fatalf("sent %d messages for one datagram", len(c.out))
				}
				for _, p := range c.out {
					var sent message
					if err := sent.parse(p); err != nil || len(p) > DefaultMaxPacket {
						t.Fatalf("sent a message of %d bytes that parses with error %v: %x", len(p), err, p)
					}
				}
			}
		}
	})
}
