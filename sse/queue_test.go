package sse

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// These tests drive a subscriber's queue directly, as the server would,
// without a connection: a zero Request gives a Wakeup that does nothing.

// subscribe adds a subscriber to b and returns it, with its hello comment
// read when drain is true.
func subscribe(t testing.TB, b *Broker, drain bool) *Subscriber {
	t.Helper()
	resp, s := b.Subscribe(&biplane.Request{})
	if s == nil || resp.Stream != s {
		t.Fatalf("Subscribe: %+v, %v", resp, s)
	}
	if drain {
		readN(t, s, 1<<20)
	}
	return s
}

// readN reads at most n bytes from s, in one Read.
func readN(t testing.TB, s *Subscriber, n int) string {
	t.Helper()
	p := make([]byte, n)
	k, err := s.Read(p)
	if err != nil && err != biplane.ErrWouldBlock && err != io.EOF && err != errSlow {
		t.Fatalf("Read: %v", err)
	}
	return string(p[:k])
}

// testEvent is event number i with n bytes of data that show its number.
func testEvent(i, n int) Event {
	d := strings.Repeat(strconv.Itoa(i%10), n)
	return Event{ID: strconv.Itoa(i), Data: d}
}

// TestQueueScripts runs scripts of publishes, heartbeats and reads of
// given sizes against one subscriber, and checks the bytes it hands out,
// including where DropOldest must keep a partly sent event whole.
func TestQueueScripts(t *testing.T) {
	ev := func(i int) string { // testEvent(i, 8), encoded: 22 bytes
		return "id: " + strconv.Itoa(i) + "\ndata: " + strings.Repeat(strconv.Itoa(i), 8) + "\n\n"
	}
	cases := []struct {
		name    string
		size    int
		policy  Policy
		script  string // pub N | read N | beat | drain
		want    string
		dropped uint64
		gone    bool // disconnected
	}{
		{"fits", 64, DropOldest, "pub 1 pub 2 drain", ev(1) + ev(2), 0, false},
		{"drop oldest whole", 44, DropOldest, "pub 1 pub 2 pub 3 drain", ev(2) + ev(3), 1, false},
		{"drop two for a large one", 44, DropOldest, "pub 1 pub 2 big drain",
			"data: " + strings.Repeat("x", 30) + "\n\n", 2, false},
		{"partly sent event kept", 44, DropOldest, "pub 1 read 5 pub 2 pub 3 drain", ev(1) + ev(3), 1, false},
		{"partly sent, split at its LFs", 44, DropOldest, "pub 1 read 21 pub 2 pub 3 drain", ev(1) + ev(3), 1, false},
		{"partly sent, no room: new one dropped", 40, DropOldest, "pub 1 read 1 pub 2 drain", ev(1), 1, false},
		{"partly sent across the ring's end", 44, DropOldest,
			"pub 1 pub 2 read 30 pub 3 pub 4 drain", ev(1) + ev(2) + ev(4), 1, false},
		{"heartbeat skipped when full", 44, DropOldest, "pub 1 pub 2 beat drain", ev(1) + ev(2), 0, false},
		{"heartbeat dropped uncounted", 44, DropOldest, "pub 1 beat pub 2 pub 3 drain", ev(2) + ev(3), 1, false},
		{"heartbeat", 64, DropOldest, "beat pub 1 drain", ": ping\n\n" + ev(1), 0, false},
		{"disconnect", 44, Disconnect, "pub 1 pub 2 pub 3 drain", ev(1) + ev(2), 0, true},
		{"disconnect keeps partly sent", 44, Disconnect, "pub 1 read 3 pub 2 pub 3 drain", ev(1) + ev(2), 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &Broker{BufferSize: tc.size, Slow: tc.policy}
			s := subscribe(t, b, true)
			var got strings.Builder
			f := strings.Fields(tc.script)
			for i := 0; i < len(f); i++ {
				switch f[i] {
				case "pub":
					i++
					n, _ := strconv.Atoi(f[i])
					if err := b.Publish(testEvent(n, 8)); err != nil {
						t.Fatal(err)
					}
				case "big":
					if err := b.PublishData(strings.Repeat("x", 30)); err != nil {
						t.Fatal(err)
					}
				case "beat":
					b.Heartbeat()
				case "read":
					i++
					n, _ := strconv.Atoi(f[i])
					got.WriteString(readN(t, s, n))
				case "drain":
					got.WriteString(readN(t, s, 1<<20))
				}
				if s.n > s.max || len(s.buf) > s.max {
					t.Fatalf("after %q: %d bytes queued in a buffer of %d, max %d", f[i], s.n, len(s.buf), s.max)
				}
			}
			if got.String() != tc.want {
				t.Errorf("stream %q, want %q", got.String(), tc.want)
			}
			st := b.Stats()
			if st.Dropped != tc.dropped {
				t.Errorf("Dropped = %d, want %d", st.Dropped, tc.dropped)
			}
			wantLen, wantErr := 1, error(biplane.ErrWouldBlock)
			if tc.gone {
				wantLen, wantErr = 0, errSlow
			}
			if b.Len() != wantLen || st.Disconnected != uint64(1-wantLen) {
				t.Errorf("Len = %d, Disconnected = %d; want %d, %d", b.Len(), st.Disconnected, wantLen, 1-wantLen)
			}
			if _, err := s.Read(make([]byte, 10)); err != wantErr {
				t.Errorf("Read at the end: %v, want %v", err, wantErr)
			}
		})
	}
}

// TestQueueTooLarge refuses an event larger than the buffer, and an
// invalid one, for everyone, and sends nothing.
func TestQueueTooLarge(t *testing.T) {
	b := &Broker{BufferSize: 30}
	s := subscribe(t, b, true)
	err := b.PublishData(strings.Repeat("x", 23)) // 31 bytes encoded
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "31 bytes") {
		t.Errorf("error %v, want ErrTooLarge saying 31 bytes", err)
	}
	if err := s.Send(Event{Data: strings.Repeat("x", 23)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Send: %v, want ErrTooLarge", err)
	}
	if err := b.Publish(Event{ID: "1\n2"}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("invalid event: %v, want ErrInvalidEvent", err)
	}
	if err := b.PublishData(strings.Repeat("x", 22)); err != nil {
		t.Errorf("30 bytes encoded: %v", err)
	}
	if got := readN(t, s, 100); got != "data: "+strings.Repeat("x", 22)+"\n\n" {
		t.Errorf("got %q", got)
	}
	if st := b.Stats(); st.Published != 1 || st.Dropped != 0 {
		t.Errorf("stats %+v, want 1 published, none dropped", st)
	}
}

// TestSubscriberRemoval removes subscribers in any order in O(1), keeping
// the others subscribed and served.
func TestSubscriberRemoval(t *testing.T) {
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}} {
		b := &Broker{}
		subs := make([]*Subscriber, 4)
		for i := range subs {
			subs[i] = subscribe(t, b, true)
		}
		for k, i := range order {
			subs[i].Close()
			subs[i].Close() // again: nothing
			if b.Len() != 3-k {
				t.Fatalf("order %v: Len = %d after %d closes", order, b.Len(), k+1)
			}
			if err := subs[i].Send(Event{}); err != ErrClosed {
				t.Errorf("Send after Close: %v, want ErrClosed", err)
			}
			if err := b.PublishData(strconv.Itoa(k)); err != nil {
				t.Fatal(err)
			}
			for _, j := range order[k+1:] {
				if got, want := readN(t, subs[j], 100), "data: "+strconv.Itoa(k)+"\n\n"; got != want {
					t.Fatalf("order %v, subscriber %d: %q, want %q", order, j, got, want)
				}
			}
			if _, err := subs[i].Read(make([]byte, 10)); err != io.EOF {
				t.Errorf("closed subscriber's Read: %v, want EOF", err)
			}
		}
	}
}

// TestBrokerCloseQueue ends every stream after what is queued, and then
// answers 204 and refuses to publish.
func TestBrokerCloseQueue(t *testing.T) {
	b := &Broker{}
	s1, s2 := subscribe(t, b, true), subscribe(t, b, false)
	b.PublishData("last")
	b.Close()
	if b.Len() != 0 {
		t.Errorf("Len = %d after Close", b.Len())
	}
	if got := readN(t, s1, 100); got != "data: last\n\n" {
		t.Errorf("s1: %q", got)
	}
	if got := readN(t, s2, 100); got != ": ok\n\ndata: last\n\n" {
		t.Errorf("s2: %q", got)
	}
	for _, s := range []*Subscriber{s1, s2} {
		if _, err := s.Read(make([]byte, 10)); err != io.EOF {
			t.Errorf("Read after the queue: %v, want EOF", err)
		}
	}
	if err := b.PublishData("x"); err != ErrClosed {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	resp, s := b.Subscribe(&biplane.Request{})
	if resp.Status != 204 || s != nil || resp.Stream != nil {
		t.Errorf("Subscribe after Close: %+v, %v; want 204 and no subscriber", resp, s)
	}
}

// TestTick sends a heartbeat only after HeartbeatInterval without
// anything sent, measured between Ticks.
func TestTick(t *testing.T) {
	b := &Broker{HeartbeatInterval: 10}
	s := subscribe(t, b, true)
	steps := []struct {
		do   string // "tick N" or "pub"
		want string
	}{
		{"tick 100", ""}, // the first Tick starts the clock
		{"tick 109", ""},
		{"tick 110", ": ping\n\n"},
		{"tick 115", ""},
		{"pub", "data: x\n\n"},
		{"tick 125", ""}, // something was sent since the last Tick
		{"tick 134", ""},
		{"tick 135", ": ping\n\n"},
		{"tick 200", ": ping\n\n"},
	}
	for _, st := range steps {
		if n, ok := strings.CutPrefix(st.do, "tick "); ok {
			ns, _ := strconv.ParseInt(n, 10, 64)
			b.Tick(tickTime(ns))
		} else {
			b.PublishData("x")
		}
		if got := readN(t, s, 100); got != st.want {
			t.Errorf("%s: sent %q, want %q", st.do, got, st.want)
		}
	}
	off := &Broker{HeartbeatInterval: -1}
	s = subscribe(t, off, true)
	off.Tick(tickTime(0))
	off.Tick(tickTime(1e12))
	if got := readN(t, s, 100); got != "" {
		t.Errorf("negative interval: sent %q", got)
	}
}

// TestRetryOnSubscribe sends Retry in the first block, with the comment.
func TestRetryOnSubscribe(t *testing.T) {
	b := &Broker{Retry: 2500e6}
	s := subscribe(t, b, false)
	got := readN(t, s, 100)
	if got != ": ok\nretry: 2500\n\n" {
		t.Errorf("got %q", got)
	}
	if p := parseStream(got + "data: x\n\n"); len(p.events) != 1 || p.events[0].Retry != 2500 {
		t.Errorf("parsed %+v, want one event with retry 2500", p.events)
	}
}

// FuzzQueue runs random publishes, heartbeats and reads of random sizes
// against subscribers with small buffers, under both policies, and
// checks what a client would parse: whole events, in order, each as
// published; with DropOldest the missing ones are those counted dropped;
// with Disconnect, those before the disconnection arrive, none after.
func FuzzQueue(f *testing.F) {
	f.Add([]byte{0, 0, 0, 40, 0, 40, 1, 7, 0, 90, 3})
	f.Add([]byte{1, 1, 0, 40, 0, 40, 1, 7, 0, 90, 3})
	f.Add([]byte{5, 0, 0, 200, 1, 3, 0, 10, 0, 10, 0, 10, 2, 1, 1, 0, 250, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) < 2 {
			return
		}
		size := 32 + int(ops[0])*4
		b := &Broker{BufferSize: size, Slow: Policy(ops[1] & 1)}
		s := subscribe(t, b, false)
		var out []byte
		var published []Event
		gone := -1 // how many events were published when it was disconnected
		p := make([]byte, 300)
		for i := 2; i < len(ops); i++ {
			arg := 0
			if i+1 < len(ops) {
				arg = int(ops[i+1])
			}
			switch ops[i] % 4 {
			case 0:
				i++
				ev := testEvent(len(published), arg)
				err := b.Publish(ev)
				if errors.Is(err, ErrTooLarge) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				published = append(published, ev)
				if gone < 0 && b.Len() == 0 {
					gone = len(published) - 1
				}
			case 1:
				i++
				n, _ := s.Read(p[:arg%len(p)+1])
				out = append(out, p[:n]...)
			case 2:
				b.Heartbeat()
			case 3:
				for {
					n, _ := s.Read(p)
					if n == 0 {
						break
					}
					out = append(out, p[:n]...)
				}
			}
			if s.n > s.max || len(s.buf) > s.max || s.max != size {
				t.Fatalf("%d bytes queued in a buffer of %d, max %d (BufferSize %d)", s.n, len(s.buf), s.max, size)
			}
		}
		for {
			n, err := s.Read(p)
			out = append(out, p[:n]...)
			if n == 0 {
				if gone >= 0 && err != errSlow || gone < 0 && err != biplane.ErrWouldBlock {
					t.Fatalf("Read at the end: %v (disconnected after %d)", err, gone)
				}
				break
			}
		}
		if !strings.HasSuffix(string(out), "\n\n") {
			t.Fatalf("stream %q does not end after an event", out)
		}
		ps := parseStream(string(out))
		next := 0 // the first ID not yet seen
		for _, got := range ps.events {
			id, err := strconv.Atoi(got.LastID)
			if err != nil || id < next || id >= len(published) {
				t.Fatalf("event %+v after ID %d of %d published", got, next-1, len(published))
			}
			if b.Slow == Disconnect && id != next {
				t.Fatalf("event %d after %d: Disconnect drops nothing", id, next-1)
			}
			if want := published[id].Data; got.Data != want {
				t.Fatalf("event %d: data %q, want %q", id, got.Data, want)
			}
			next = id + 1
		}
		st := b.Stats()
		switch {
		case b.Slow == DropOldest && uint64(len(published)-len(ps.events)) != st.Dropped:
			t.Fatalf("%d published, %d received, %d dropped", len(published), len(ps.events), st.Dropped)
		case b.Slow == Disconnect && gone >= 0 && next != gone:
			t.Fatalf("disconnected at event %d, received up to %d", gone, next-1)
		case b.Slow == Disconnect && gone < 0 && next != len(published):
			t.Fatalf("received %d of %d", next, len(published))
		}
	})
}

func tickTime(ns int64) time.Time { return time.Unix(1e9, ns) }
