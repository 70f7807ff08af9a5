package mdns

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// TestProbeAnnounce follows one responder alone on a link through its
// timeline: three probes 250 ms apart after a random wait of at most
// 250 ms, then two announcements a second apart (RFC 6762 §8.1, §8.3).
func TestProbeAnnounce(t *testing.T) {
	var link fakeLink
	c := link.join("10.0.0.1:5353")
	r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
	if d := r.Deadline(); !d.IsZero() {
		t.Fatalf("Deadline before the first Step: got %v, want the zero Time", d)
	}
	var times []time.Duration
	var states []State
	last := State(99)
	for now := t0; now.Before(t0.Add(5 * time.Second)); now = now.Add(time.Millisecond) {
		sent := len(c.sent)
		if !r.Step(now) {
			t.Fatalf("Step: false, err %v", r.Err())
		}
		for range c.sent[sent:] {
			times = append(times, now.Sub(t0))
		}
		if r.State() != last {
			last = r.State()
			states = append(states, last)
		}
		if d := r.Deadline(); d.Before(now) || d.After(now.Add(time.Minute)) {
			t.Fatalf("at %v: Deadline %v is not within a minute from now", now.Sub(t0), d.Sub(t0))
		}
	}
	if got, want := states, []State{Probing, Announcing, Announced}; !equalStates(got, want) {
		t.Errorf("states: got %v, want %v", got, want)
	}
	if len(c.sent) != 5 {
		t.Fatalf("sent %d datagrams, want 3 probes and 2 announcements:\n%v", len(c.sent), c.sent)
	}
	first := times[0]
	if first > probeDelayMax {
		t.Errorf("first probe at %v, want within 250 ms", first)
	}
	want := []time.Duration{first, first + 250*time.Millisecond, first + 500*time.Millisecond,
		first + 750*time.Millisecond, first + 1750*time.Millisecond}
	for i := range want {
		if times[i] != want[i] {
			t.Errorf("datagram %d at %v, want %v", i, times[i], want[i])
		}
	}
	for i, d := range c.sent {
		if d.to != IPv4Group {
			t.Errorf("datagram %d to %v, want the group", i, d.to)
		}
	}
	if got, want := describe(c.sent[0].data), "query id=0\nq app.local ANY qu\nns app.local A ttl=120 10.0.0.1"; got != want {
		t.Errorf("probe:\n%s\nwant\n%s", got, want)
	}
	if got, want := describe(c.sent[3].data), "response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"; got != want {
		t.Errorf("announcement:\n%s\nwant\n%s", got, want)
	}
	if st := r.Stats(); st.Probes != 3 || st.Announces != 2 || st.Received != 5 || st.Conflicts != 0 {
		t.Errorf("stats: %+v, want 3 probes, 2 announcements, 5 received (our own), no conflict", st)
	}
	if r.Hostname() != "app.local" {
		t.Errorf("Hostname: %q, want app.local", r.Hostname())
	}
	if err := r.Close(); err != nil || !c.closed || r.Step(t0.Add(6*time.Second)) || r.Err() != nil {
		t.Errorf("Close: %v; conn closed %v, err %v; want nil, true, nil and Step false", err, c.closed, r.Err())
	}
	if got, want := describe(c.sent[len(c.sent)-1].data), "response id=0 aa\nan app.local A ttl=0 10.0.0.1"; got != want {
		t.Errorf("goodbye:\n%s\nwant\n%s", got, want)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func equalStates(a, b []State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTwoClaimants puts two responders that claim the same name on one
// link, starting at once and one after the other: one keeps the name, the
// other ends as NAME-2, and each answers for its own.
func TestTwoClaimants(t *testing.T) {
	for _, tt := range []struct {
		name  string
		delay time.Duration // second responder's start after the first's
	}{
		{"together", 0},
		{"100ms apart", 100 * time.Millisecond},
		{"after announcing", 1500 * time.Millisecond},
		{"long after", 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var link fakeLink
			a := &Responder{Conn: link.join("10.0.0.1:5353"), Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
			b := &Responder{Conn: link.join("10.0.0.2:5353"), Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.2")}}
			q := link.join("10.0.0.9:5353")
			end := t0.Add(tt.delay + 10*time.Second)
			for now := t0; now.Before(end); now = now.Add(time.Millisecond) {
				a.Step(now)
				if !now.Before(t0.Add(tt.delay)) {
					b.Step(now)
				}
			}
			if a.State() != Announced || b.State() != Announced {
				t.Fatalf("states %v and %v, want both announced", a.State(), b.State())
			}
			names := map[string]bool{a.Hostname(): true, b.Hostname(): true}
			if !names["app.local"] || !names["app-2.local"] {
				t.Fatalf("names %q and %q, want app.local and app-2.local", a.Hostname(), b.Hostname())
			}
			if tt.delay > time.Second && a.Hostname() != "app.local" {
				t.Errorf("the first, announced before the second started, lost its name")
			}
			// Each name resolves to its owner's address alone.
			for _, r := range []*Responder{a, b} {
				q.take()
				q.WriteTo(query(r.Hostname(), typeA, classIN), IPv4Group)
				a.Step(end)
				b.Step(end)
				var answers []string
				for _, d := range q.take() {
					if s := describe(d.data); strings.HasPrefix(s, "response") {
						answers = append(answers, s)
					}
				}
				want := "response id=0 aa\nan " + r.Hostname() + " A ttl=120 " + r.addrs[0].String() + " flush"
				if len(answers) != 1 || !strings.HasPrefix(answers[0], want) {
					t.Errorf("query for %s: got answers %q, want one starting %q", r.Hostname(), answers, want)
				}
				end = end.Add(2 * time.Second)
			}
		})
	}
}

// TestTiebreak checks the simultaneous probe tiebreak (§8.2) on a
// probing responder: a probe whose records sort later makes it wait a
// second and probe again; an earlier one, or the same records, do not.
func TestTiebreak(t *testing.T) {
	tests := []struct {
		name   string
		theirs []testRR
		defers bool
	}{
		{"later address", []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.9")}}, true},
		{"earlier address", []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.1")}}, false},
		{"same records", []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.5")}}, false},
		{"same, case differs", []testRR{{"APP.local", typeA, classIN, 120, ip("10.0.0.5")}}, false},
		{"more records", []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.9")},
			{"app.local", typeA, classIN, 120, ip("10.0.0.5")}}, true},
		{"more records, first earlier", []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.5")},
			{"app.local", typeA, classIN, 120, ip("10.0.0.1")}}, false},
		{"AAAA sorts after A", []testRR{{"app.local", typeAAAA, classIN, 120, ip("::1")}}, true},
		{"class 2 sorts after IN", []testRR{{"app.local", typeA, 2, 120, ip("10.0.0.1")}}, true},
		{"other name", []testRR{{"other.local", typeA, classIN, 120, ip("10.0.0.9")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var link fakeLink
			c := link.join("10.0.0.5:5353")
			r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.5")}}
			r.Step(t0)
			now := t0.Add(300 * time.Millisecond) // after the first probe
			r.Step(now)
			sent := r.sent
			c.queue = append(c.queue, datagram{
				data: build(0, 0, []testQ{{"app.local", typeANY, classIN | topBit}}, nil, tt.theirs, nil),
				from: netip.MustParseAddrPort("10.0.0.7:5353"),
			})
			r.Step(now)
			deferred := r.sent == 0 && r.next.Equal(now.Add(time.Second))
			if deferred != tt.defers || r.State() != Probing || r.Hostname() != "app.local" {
				t.Errorf("got deferred %v (sent %d → %d, next in %v), state %v, name %s; want deferred %v, probing app.local",
					deferred, sent, r.sent, r.next.Sub(now), r.State(), r.Hostname(), tt.defers)
			}
		})
	}
}

// answerTests are queries to a responder that owns app.local with
// 10.0.0.1, announced at t0+~2s, and what it answers, where.
var answerTests = []struct {
	name  string
	after time.Duration // from the end of announcing
	from  string
	msg   []byte
	to    string // "" for no answer, "group" or an address
	want  string
}{
	{"A", 0, "10.0.0.9:5353", query("app.local", typeA, classIN), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"name in other case", 0, "10.0.0.9:5353", query("APP.LOCAL", typeA, classIN), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"ANY", 0, "10.0.0.9:5353", query("app.local", typeANY, classANY), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"AAAA: NSEC", 0, "10.0.0.9:5353", query("app.local", typeAAAA, classIN), "group",
		"response id=0 aa\nan app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"TXT: NSEC", 0, "10.0.0.9:5353", query("app.local", 16, classIN), "group",
		"response id=0 aa\nan app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"QU, recently multicast", 0, "10.0.0.9:5353", query("app.local", typeA, classIN|topBit), "10.0.0.9:5353",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"QU, not multicast for 31 s", 31 * time.Second, "10.0.0.9:5353", query("app.local", typeA, classIN|topBit), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"legacy", 0, "10.0.0.9:40000", build(0x1234, 0, []testQ{{"app.local", typeA, classIN}}, nil, nil, nil), "10.0.0.9:40000",
		"response id=4660 aa\nq app.local A\nan app.local A ttl=10 10.0.0.1"},
	{"legacy, two questions", 0, "10.0.0.9:40000",
		build(7, 0, []testQ{{"other.local", typeA, classIN}, {"app.local", typeA, classIN}, {"app.local", typeAAAA, classIN}}, nil, nil, nil),
		"10.0.0.9:40000",
		"response id=7 aa\nq app.local A\nq app.local AAAA\nan app.local A ttl=10 10.0.0.1\nan app.local NSEC ttl=10 03617070056c6f63616c00000140"},
	{"known answer, full TTL", 0, "10.0.0.9:5353",
		build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.1")}}, nil, nil), "", ""},
	{"known answer, half TTL", 0, "10.0.0.9:5353",
		build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 60, ip("10.0.0.1")}}, nil, nil), "", ""},
	{"known answer, under half TTL", 0, "10.0.0.9:5353",
		build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 59, ip("10.0.0.1")}}, nil, nil), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"known answer, other address", 0, "10.0.0.9:5353",
		build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.2")}}, nil, nil), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
	{"other name", 0, "10.0.0.9:5353", query("other.local", typeA, classIN), "", ""},
	{"longer name", 0, "10.0.0.9:5353", query("app.local.x", typeA, classIN), "", ""},
	{"class CH", 0, "10.0.0.9:5353", query("app.local", typeA, 3), "", ""},
	{"response is no query", 0, "10.0.0.9:5353", build(0, flagQR, []testQ{{"app.local", typeA, classIN}}, nil, nil, nil), "", ""},
	{"sender unknown", 0, "", query("app.local", typeA, classIN|topBit), "group",
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nar app.local NSEC ttl=120 03617070056c6f63616c00000140 flush"},
}

func TestAnswers(t *testing.T) {
	for _, tt := range answerTests {
		t.Run(tt.name, func(t *testing.T) {
			var link fakeLink
			r, c, now := announced(t, &link, "app", "10.0.0.1")
			now = now.Add(tt.after)
			r.Step(now)
			c.sent = nil
			var from netip.AddrPort
			if tt.from != "" {
				from = netip.MustParseAddrPort(tt.from)
			}
			c.queue = append(c.queue, datagram{data: tt.msg, from: from})
			before := r.Stats()
			r.Step(now)
			if tt.to == "" {
				if len(c.sent) != 0 {
					t.Fatalf("answered %s", describe(c.sent[0].data))
				}
				return
			}
			if len(c.sent) != 1 {
				t.Fatalf("sent %d datagrams, want 1", len(c.sent))
			}
			to := IPv4Group
			if tt.to != "group" {
				to = netip.MustParseAddrPort(tt.to)
			}
			if c.sent[0].to != to {
				t.Errorf("answered to %v, want %v", c.sent[0].to, to)
			}
			if got := describe(c.sent[0].data); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if got := r.Stats().Answers - before.Answers; got != 1 {
				t.Errorf("Stats.Answers grew by %d, want 1", got)
			}
		})
	}
}

// TestAnswerTwoFamilies checks answers of a responder with addresses of
// both families: each question gets its family, with the other as
// additional records, and no NSEC.
func TestAnswerTwoFamilies(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1", "fe80::1", "10.0.0.2")
	for _, tt := range []struct {
		typ  uint16
		want string
	}{
		{typeA, "response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nan app.local A ttl=120 10.0.0.2 flush\nar app.local AAAA ttl=120 fe80::1 flush"},
		{typeAAAA, "response id=0 aa\nan app.local AAAA ttl=120 fe80::1 flush\nar app.local A ttl=120 10.0.0.1 flush\nar app.local A ttl=120 10.0.0.2 flush"},
		{typeANY, "response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nan app.local AAAA ttl=120 fe80::1 flush\nan app.local A ttl=120 10.0.0.2 flush"},
	} {
		now = now.Add(2 * time.Second) // beyond the rate limit
		c.sent = nil
		c.queue = append(c.queue, datagram{data: query("app.local", tt.typ, classIN), from: netip.MustParseAddrPort("10.0.0.9:5353")})
		r.Step(now)
		if len(c.sent) != 1 {
			t.Fatalf("%s: sent %d, want 1", typeName(tt.typ), len(c.sent))
		}
		if got := describe(c.sent[0].data); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", typeName(tt.typ), got, tt.want)
		}
	}
}

// TestRateLimit checks §6: a record is multicast at most once a second;
// an answer it owes waits, and goes out when the second is up, once, with
// the others that wait; an answer to a probe waits only 250 ms.
func TestRateLimit(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1", "fe80::1")
	now = now.Add(5 * time.Second)
	ask := func(at time.Duration, msg []byte) {
		c.queue = append(c.queue, datagram{data: msg, from: netip.MustParseAddrPort("10.0.0.9:5353")})
		r.Step(now.Add(at))
	}
	c.sent = nil
	ask(0, query("app.local", typeA, classIN)) // answered at once
	if len(c.sent) != 1 {
		t.Fatalf("first query: sent %d, want 1", len(c.sent))
	}
	ask(200*time.Millisecond, query("app.local", typeA, classIN))    // A waits until 1 s
	ask(300*time.Millisecond, query("app.local", typeAAAA, classIN)) // AAAA not multicast lately: at once
	ask(400*time.Millisecond, query("app.local", typeANY, classIN))  // both wait
	if len(c.sent) != 2 {
		t.Fatalf("after the repeats: sent %d, want 2 (the first, and AAAA)", len(c.sent))
	}
	if got, want := describe(c.sent[1].data), "response id=0 aa\nan app.local AAAA ttl=120 fe80::1 flush\nar app.local A ttl=120 10.0.0.1 flush"; got != want {
		t.Errorf("AAAA answer:\n%s\nwant\n%s", got, want)
	}
	if d := r.Deadline(); !d.Equal(now.Add(1300 * time.Millisecond)) {
		t.Errorf("Deadline: %v after the first answer, want 1.3 s (AAAA's second)", d.Sub(now))
	}
	for at := 500 * time.Millisecond; at < 3*time.Second; at += 10 * time.Millisecond {
		r.Step(now.Add(at))
	}
	if len(c.sent) != 3 {
		t.Fatalf("after the wait: sent %d, want 3", len(c.sent))
	}
	if got, want := describe(c.sent[2].data), "response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush\nan app.local AAAA ttl=120 fe80::1 flush"; got != want {
		t.Errorf("delayed answer:\n%s\nwant\n%s", got, want)
	}
	if st := r.Stats(); st.Delayed != 2 || st.Answers != 4 {
		t.Errorf("stats: %d delayed, %d answers; want 2 and 4", st.Delayed, st.Answers)
	}

	// A probe for the name is answered again after 250 ms.
	now = now.Add(10 * time.Second)
	c.sent = nil
	probe := build(0, 0, []testQ{{"app.local", typeANY, classIN | topBit}}, nil,
		[]testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.7")}}, nil)
	ask(0, probe)
	ask(100*time.Millisecond, probe)
	for at := 110 * time.Millisecond; at < 400*time.Millisecond; at += 10 * time.Millisecond {
		r.Step(now.Add(at))
	}
	if len(c.sent) != 2 {
		t.Fatalf("two probes 100 ms apart: sent %d answers, want 2", len(c.sent))
	}
	for i, d := range c.sent {
		if d.to != IPv4Group {
			t.Errorf("answer %d to a probe went to %v, want the group", i, d.to)
		}
	}
}

// TestConflictAfterAnnouncing checks §9: a response with another address
// for our name sends the responder back to probing, under the same name;
// if the other host then defends it, the responder renames itself.
func TestConflictAfterAnnouncing(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1")
	other := netip.MustParseAddrPort("10.0.0.7:5353")
	claim := build(0, flagQR|flagAA, nil, []testRR{{"app.local", typeA, classIN | topBit, 120, ip("10.0.0.7")}}, nil, nil)
	for _, harmless := range [][]byte{
		build(0, flagQR|flagAA, nil, []testRR{{"app.local", typeA, classIN | topBit, 0, ip("10.0.0.7")}}, nil, nil),     // a goodbye
		build(0, flagQR|flagAA, nil, []testRR{{"app.local", typeA, classIN | topBit, 120, ip("10.0.0.1")}}, nil, nil),   // our record
		build(0, flagQR|flagAA, nil, []testRR{{"app.local", typeAAAA, classIN | topBit, 120, ip("::7")}}, nil, nil),     // a type we lack
		build(0, flagQR|flagAA, nil, []testRR{{"other.local", typeA, classIN | topBit, 120, ip("10.0.0.7")}}, nil, nil), // another name
		build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.7")}}, nil, nil),
	} {
		c.queue = append(c.queue, datagram{data: harmless, from: other})
	}
	// A claim from a port other than 5353 is ignored (§6).
	c.queue = append(c.queue, datagram{data: claim, from: netip.MustParseAddrPort("10.0.0.7:5354")})
	r.Step(now)
	if r.State() != Announced || r.Stats().Conflicts != 0 {
		t.Fatalf("after harmless messages: state %v, %d conflicts; want announced, 0", r.State(), r.Stats().Conflicts)
	}
	c.queue = append(c.queue, datagram{data: claim, from: other})
	r.Step(now)
	if r.State() != Probing || r.Hostname() != "app.local" {
		t.Fatalf("after a claim: state %v, name %s; want probing app.local", r.State(), r.Hostname())
	}
	c.queue = append(c.queue, datagram{data: claim, from: other}) // the defence
	r.Step(now)
	if r.State() != Probing || r.Hostname() != "app-2.local" || r.Stats().Conflicts != 2 {
		t.Errorf("after a defence: state %v, name %s, %d conflicts; want probing app-2.local, 2", r.State(), r.Hostname(), r.Stats().Conflicts)
	}
}

// TestConflictStorm checks §8.1's brake: after 15 conflicts within ten
// seconds, the next probe waits five seconds.
func TestConflictStorm(t *testing.T) {
	var link fakeLink
	c := link.join("10.0.0.1:5353")
	r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
	now := t0
	r.Step(now)
	for i := 1; i <= 16; i++ {
		now = now.Add(100 * time.Millisecond)
		claim := build(0, flagQR, nil, []testRR{{r.Hostname(), typeA, classIN | topBit, 120, ip("10.0.0.7")}}, nil, nil)
		c.queue = append(c.queue, datagram{data: claim, from: netip.MustParseAddrPort("10.0.0.7:5353")})
		r.Step(now)
		wait := r.next.Sub(now)
		if i < conflictBurst && wait > probeDelayMax || i >= conflictBurst && wait != conflictPause {
			t.Errorf("conflict %d: next probe in %v", i, wait)
		}
	}
	if r.Hostname() != "app-17.local" {
		t.Errorf("after 16 conflicts: %s, want app-17.local", r.Hostname())
	}
}

func TestRenamed(t *testing.T) {
	long := strings.Repeat("a", 62) + "é" // 64 bytes: too long already, but renamed cuts it
	tests := []struct {
		base string
		n    int
		want string
	}{
		{"app", 2, "app-2"},
		{"app-2", 2, "app-2-2"},
		{strings.Repeat("a", 63), 2, strings.Repeat("a", 61) + "-2"},
		{strings.Repeat("a", 63), 10, strings.Repeat("a", 60) + "-10"},
		{long[:63], 2, strings.Repeat("a", 61) + "-2"}, // the é's first byte alone is dropped
		{strings.Repeat("é", 31), 2, strings.Repeat("é", 30) + "-2"},
	}
	for _, tt := range tests {
		if got := renamed(tt.base, tt.n); got != tt.want || len(got) > maxLabel {
			t.Errorf("renamed(%q, %d) = %q, want %q", tt.base, tt.n, got, tt.want)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	var link fakeLink
	a := []netip.Addr{netip.MustParseAddr("10.0.0.1")}
	many := make([]netip.Addr, 17)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
	}
	tests := []struct {
		name string
		r    Responder
		err  string
	}{
		{"no conn", Responder{Name: "app", Addrs: a}, "mdns: Responder.Conn is nil"},
		{"no name", Responder{Conn: link.join("10.0.0.1:5353"), Addrs: a}, "mdns: Responder.Name is empty"},
		{"dot", Responder{Conn: link.join("10.0.0.1:5353"), Name: "a.b", Addrs: a}, `mdns: name "a.b" has '.' at byte 1: want one label, without dots or control characters`},
		{"control", Responder{Conn: link.join("10.0.0.1:5353"), Name: "a\nb", Addrs: a}, `mdns: name "a\nb" has '\n' at byte 1: want one label, without dots or control characters`},
		{"long", Responder{Conn: link.join("10.0.0.1:5353"), Name: strings.Repeat("a", 64), Addrs: a}, "mdns: name \"" + strings.Repeat("a", 64) + "\" is 64 bytes long, more than a label's 63"},
		{"not UTF-8", Responder{Conn: link.join("10.0.0.1:5353"), Name: "\xff", Addrs: a}, `mdns: name "\xff" is not UTF-8`},
		{"no addresses", Responder{Conn: link.join("10.0.0.1:5353"), Name: "app"}, "mdns: Responder.Addrs is empty and Conn cannot tell its interface's addresses"},
		{"unspecified", Responder{Conn: link.join("10.0.0.1:5353"), Name: "app", Addrs: []netip.Addr{netip.IPv4Unspecified()}}, "mdns: cannot announce address 0.0.0.0"},
		{"multicast", Responder{Conn: link.join("10.0.0.1:5353"), Name: "app", Addrs: []netip.Addr{IPv4Group.Addr()}}, "mdns: cannot announce address 224.0.0.251"},
		{"too many", Responder{Conn: link.join("10.0.0.1:5353"), Name: "app", Addrs: many}, "mdns: more than 16 addresses to announce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.r.Step(t0) {
				t.Fatalf("Step: true, want false")
			}
			if err := tt.r.Err(); err == nil || err.Error() != tt.err {
				t.Errorf("Err: %v, want %s", err, tt.err)
			}
			if tt.r.Step(t0) || tt.r.State() != Closed {
				t.Errorf("second Step: true or state %v, want false and closed", tt.r.State())
			}
		})
	}
}

// addrConn is a fakeConn that can tell its interface's addresses.
type addrConn struct {
	*fakeConn
	addrs []netip.Addr
	err   error
}

func (c addrConn) InterfaceAddrs() ([]netip.Addr, error) { return c.addrs, c.err }

// groupConn is an addrConn that tells its group, as unixsock's does.
type groupConn struct {
	addrConn
	group netip.AddrPort
}

func (c groupConn) Group() netip.AddrPort { return c.group }

func TestInterfaceAddrs(t *testing.T) {
	var link fakeLink
	c := addrConn{link.join("10.0.0.1:5353"), []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("::ffff:10.0.0.1"),
	}, nil}
	r := &Responder{Conn: c, Name: "app.local."}
	if !r.Step(t0) {
		t.Fatalf("Step: %v", r.Err())
	}
	if got := r.addrs; len(got) != 2 || got[0] != netip.MustParseAddr("10.0.0.1") || got[1] != netip.MustParseAddr("fe80::1") {
		t.Errorf("addresses %v, want 10.0.0.1 and fe80::1, without zone or duplicate", got)
	}
	if r.Hostname() != "app.local" {
		t.Errorf("Hostname %q, want app.local", r.Hostname())
	}
	// Discovered, the first 16 are taken, IPv4 first, and unusable ones
	// skipped; given, more than 16 fail (TestSetupErrors).
	c.addrs = []netip.Addr{netip.IPv6Unspecified()}
	for i := range 20 {
		c.addrs = append(c.addrs, netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: byte(i + 1)}))
	}
	c.addrs = append(c.addrs, netip.MustParseAddr("10.0.0.1"))
	r = &Responder{Conn: c, Name: "app"}
	if !r.Step(t0) {
		t.Fatalf("Step with 21 addresses discovered: %v", r.Err())
	}
	if len(r.addrs) != maxAddrs || r.addrs[0] != netip.MustParseAddr("10.0.0.1") || r.addrs[1] != netip.MustParseAddr("fe80::1") {
		t.Errorf("addresses %v, want 10.0.0.1 and the first 15 IPv6 ones", r.addrs)
	}
	if r.group != IPv4Group {
		t.Errorf("group %v, want the IPv4 group", r.group)
	}
	g := groupConn{c, netip.MustParseAddrPort("[ff02::fb]:5353")}
	if r = (&Responder{Conn: g, Name: "app"}); !r.Step(t0) || r.group != g.group {
		t.Errorf("Conn with a group: Step error %v, group %v; want %v", r.Err(), r.group, g.group)
	}
	c.err = errors.New("netlink: no")
	r = &Responder{Conn: c, Name: "app"}
	if r.Step(t0) || r.Err() == nil || r.Err().Error() != "mdns: addresses of Conn's interface: netlink: no" {
		t.Errorf("failing InterfaceAddrs: Step error %v", r.Err())
	}
}

// TestStepBounded checks that a Step reads at most 16 datagrams, and
// that Deadline then asks for the next at once.
func TestStepBounded(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1")
	for range 20 {
		c.queue = append(c.queue, datagram{data: []byte("junk"), from: netip.MustParseAddrPort("10.0.0.9:5353")})
	}
	before := r.Stats().Received
	r.Step(now)
	if got := r.Stats().Received - before; got != stepPackets {
		t.Errorf("first Step read %d, want %d", got, stepPackets)
	}
	if d := r.Deadline(); !d.Equal(now) {
		t.Errorf("Deadline with datagrams left: %v after now, want now", d.Sub(now))
	}
	r.Step(now)
	if got := r.Stats().Received - before; got != 20 || len(c.queue) != 0 {
		t.Errorf("second Step: %d read in all, %d left; want 20, 0", got, len(c.queue))
	}
	if d := r.Deadline(); !d.Equal(now.Add(time.Minute)) {
		t.Errorf("Deadline with nothing due: %v after now, want a minute", d.Sub(now))
	}
	if st := r.Stats(); st.Malformed != 20 {
		t.Errorf("Malformed: %d, want 20", st.Malformed)
	}
}

// TestOversize checks that a datagram longer than MaxPacket is dropped.
func TestOversize(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1")
	q := query("app.local", typeA, classIN)
	r2 := &Responder{Conn: c, Name: "app", Addrs: r.Addrs, MaxPacket: len(q) - 1}
	r2.Step(now)
	c.queue = append(c.queue, datagram{data: q, from: netip.MustParseAddrPort("10.0.0.9:5353")})
	r2.Step(now)
	if st := r2.Stats(); st.Malformed != 1 || st.Queries != 0 {
		t.Errorf("a query one byte over MaxPacket: %d malformed, %d queries; want 1, 0", st.Malformed, st.Queries)
	}
}

// TestReadErrors checks that a temporary read error ends the step's
// reading and any other stops the responder.
func TestReadErrors(t *testing.T) {
	var link fakeLink
	r, c, now := announced(t, &link, "app", "10.0.0.1")
	c.err = tempError{}
	if !r.Step(now) || r.Err() != nil {
		t.Fatalf("temporary error: Step false, err %v", r.Err())
	}
	c.err = errors.New("socket gone")
	if r.Step(now) || r.Err() == nil || r.Err().Error() != "mdns: read: socket gone" {
		t.Errorf("read error: Err %v, want mdns: read: socket gone", r.Err())
	}
	if err := r.Close(); err != nil || !c.closed {
		t.Errorf("Close after an error: %v, conn closed %v", err, c.closed)
	}
}

type tempError struct{}

func (tempError) Error() string   { return "temporary" }
func (tempError) Temporary() bool { return true }

// A sinkConn reads one datagram at most, set by the test, and counts what
// is written without keeping it, so that it allocates nothing itself.
type sinkConn struct {
	in    []byte
	from  netip.AddrPort
	wrote int
	werr  error // WriteTo's error, if set
}

func (c *sinkConn) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	if c.in == nil {
		return 0, netip.AddrPort{}, biplane.ErrWouldBlock
	}
	n := copy(p, c.in)
	c.in = nil
	return n, c.from, nil
}

func (c *sinkConn) WriteTo(p []byte, to netip.AddrPort) (int, error) {
	if c.werr != nil {
		return 0, c.werr
	}
	c.wrote++
	return len(p), nil
}

// TestSendErrors checks that datagrams the Conn does not send are
// counted, and that the responder goes on as UDP would: lost probes and
// announcements still count as sent.
func TestSendErrors(t *testing.T) {
	c := &sinkConn{werr: biplane.ErrWouldBlock}
	r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
	run(t0, t0.Add(3*time.Second), 10*time.Millisecond, r)
	if st := r.Stats(); r.State() != Announced || st.SendErrors != 5 || r.Err() != nil {
		t.Errorf("state %v, %d send errors, err %v; want announced, 5 (3 probes, 2 announcements), nil", r.State(), st.SendErrors, r.Err())
	}
}

func (c *sinkConn) Close() error { return nil }

// TestAllocs checks that answering, rate limiting, suppressing and
// dropping allocate nothing once the responder has started.
func TestAllocs(t *testing.T) {
	c := &sinkConn{from: netip.MustParseAddrPort("10.0.0.9:5353")}
	r := &Responder{Conn: c, Name: "app", Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1")}}
	now := run(t0, t0.Add(3*time.Second), 10*time.Millisecond, r)
	if r.State() != Announced {
		t.Fatalf("state %v, want announced", r.State())
	}
	msgs := []struct {
		msg     []byte
		answers bool
	}{
		{query("app.local", typeA, classIN), true},
		{query("app.local", typeAAAA, classIN|topBit), true},
		{build(9, 0, []testQ{{"app.local", typeA, classIN}}, nil, nil, nil), true},
		{build(0, 0, []testQ{{"app.local", typeA, classIN}}, []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.1")}}, nil, nil), false},
		{build(0, 0, []testQ{{"app.local", typeANY, classIN | topBit}}, nil, []testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.7")}}, nil), true},
		{chainMsg(17), false},
		{[]byte("junk"), false},
	}
	for _, tt := range msgs {
		m := tt.msg
		wrote := c.wrote
		allocs := testing.AllocsPerRun(100, func() {
			now = now.Add(300 * time.Millisecond)
			c.in = m
			r.Step(now)
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations a Step, want 0", m, allocs)
		}
		if r.State() != Announced {
			t.Fatalf("%q: state %v, want announced", m, r.State())
		}
		if answered := c.wrote > wrote; answered != tt.answers {
			t.Errorf("%q: answered %v, want %v", m, answered, tt.answers)
		}
	}
}

// TestLongestResponse builds the longest messages a responder sends: a
// 63-byte label, 16 IPv6 addresses (so an NSEC record too), and a legacy
// query with 16 questions, all of which are echoed. They must fit the
// output buffer without growing it.
func TestLongestResponse(t *testing.T) {
	label := strings.Repeat("a", maxLabel)
	c := &recordConn{}
	r := &Responder{Conn: c, Name: label}
	for i := range maxAddrs {
		r.Addrs = append(r.Addrs, netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: byte(i + 1)}))
	}
	run(t0, t0.Add(3*time.Second), 10*time.Millisecond, r)
	var qs []testQ
	for i := range maxQuestions {
		qs = append(qs, testQ{label + ".local", []uint16{typeA, typeAAAA, typeANY, 16}[i%4], classIN})
	}
	c.in = build(1, 0, qs, nil, nil, nil)
	c.from = netip.MustParseAddrPort("10.0.0.9:40000")
	r.Step(t0.Add(4 * time.Second))
	longest := 0
	for _, p := range c.out {
		longest = max(longest, len(p))
	}
	if r.Stats().Answers != 1 || cap(r.out) != outBufSize || longest != 714 {
		t.Errorf("%d answers; longest message %d bytes, want 714; output buffer %d bytes, want %d",
			r.Stats().Answers, longest, cap(r.out), outBufSize)
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Probing: "probing", Announcing: "announcing", Announced: "announced", Closed: "closed", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}
