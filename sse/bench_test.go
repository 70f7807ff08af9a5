package sse

import (
	"strconv"
	"testing"
)

// publishRound publishes one event to every subscriber of b and reads it
// out of each, as the server does, so that the buffers stay in their
// steady state.
func publishRound(tb testing.TB, b *Broker, subs []*Subscriber, ev Event, p []byte) {
	if err := b.Publish(ev); err != nil {
		tb.Fatal(err)
	}
	for _, s := range subs {
		for {
			if n, _ := s.Read(p); n == 0 {
				break
			}
		}
	}
}

// TestPublishAllocs: publishing allocates nothing per event or per
// subscriber once the buffers have grown, whether the subscribers keep
// up or are full and drop their oldest events.
func TestPublishAllocs(t *testing.T) {
	ev := Event{Type: "reading", ID: "12345", Data: "21.5\n22.0"}
	p := make([]byte, 4096)

	b := &Broker{}
	subs := make([]*Subscriber, 10)
	for i := range subs {
		subs[i] = subscribe(t, b, true)
	}
	publishRound(t, b, subs, ev, p)
	if n := testing.AllocsPerRun(100, func() { publishRound(t, b, subs, ev, p) }); n != 0 {
		t.Errorf("keeping up: %v allocations per event, want 0", n)
	}

	full := &Broker{BufferSize: 1024}
	slow := make([]*Subscriber, 10)
	for i := range slow {
		slow[i] = subscribe(t, full, true)
	}
	for range 100 { // fill the buffers, reading a little to leave an event part-way
		full.Publish(ev)
	}
	for _, s := range slow {
		s.Read(p[:7])
	}
	if n := testing.AllocsPerRun(100, func() { full.Publish(ev); full.Heartbeat() }); n != 0 {
		t.Errorf("dropping: %v allocations per event, want 0", n)
	}
	if full.Stats().Dropped == 0 {
		t.Error("nothing dropped: the test did not test dropping")
	}
}

// BenchmarkPublish publishes a small event to n subscribers that keep up,
// and reads it out of each; bytes are those copied into the buffers.
func BenchmarkPublish(b *testing.B) {
	ev := Event{Type: "reading", ID: "12345", Data: "21.5"}
	enc, _ := AppendEvent(nil, ev)
	p := make([]byte, 4096)
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run("subscribers="+strconv.Itoa(n), func(b *testing.B) {
			br := &Broker{}
			subs := make([]*Subscriber, n)
			for i := range subs {
				subs[i] = subscribe(b, br, true)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(enc) * n))
			for b.Loop() {
				publishRound(b, br, subs, ev, p)
			}
		})
	}
}

// BenchmarkPublishDropOldest publishes to n subscribers whose buffers are
// full, each event dropping the oldest.
func BenchmarkPublishDropOldest(b *testing.B) {
	ev := Event{Type: "reading", ID: "12345", Data: "21.5"}
	for _, n := range []int{1, 100} {
		b.Run("subscribers="+strconv.Itoa(n), func(b *testing.B) {
			br := &Broker{BufferSize: 4096}
			for range n {
				subscribe(b, br, true)
			}
			for range 200 {
				br.Publish(ev)
			}
			b.ReportAllocs()
			for b.Loop() {
				br.Publish(ev)
			}
		})
	}
}
