package readiness

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// guard bounds every wait here; it only turns a hang into a failure.
const guard = 5 * time.Second

// conn is a connection that only has an Entry.
type conn struct {
	id    int
	entry Entry
}

func (*conn) Read([]byte) (int, error)   { return 0, biplane.ErrWouldBlock }
func (*conn) Write([]byte) (int, error)  { return 0, biplane.ErrWouldBlock }
func (*conn) Close() error               { return nil }
func (*conn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }

func newConn(id int) *conn {
	c := &conn{id: id}
	c.entry.Conn = c
	return c
}

// ids returns the ids of the reported connections, in order.
func ids(ready []biplane.Conn) (out []int) {
	for _, c := range ready {
		out = append(out, c.(*conn).id)
	}
	return out
}

func equal(a, b []int) bool {
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

func TestMarks(t *testing.T) {
	tests := []struct {
		name       string
		act        func(q *Queue, c []*conn)
		want       []int // ids reported, in order
		acceptable bool
	}{
		{"nothing", func(q *Queue, c []*conn) {}, nil, false},
		{"one", func(q *Queue, c []*conn) { q.Mark(&c[1].entry) }, []int{1}, false},
		{"marks collapse", func(q *Queue, c []*conn) {
			q.Mark(&c[2].entry)
			q.Mark(&c[1].entry)
			q.Mark(&c[2].entry)
		}, []int{2, 1}, false},
		{"forgotten before its mark", func(q *Queue, c []*conn) {
			q.Forget(&c[1].entry)
			q.Mark(&c[1].entry)
			q.Mark(&c[0].entry)
		}, []int{0}, false},
		{"forgotten after its mark", func(q *Queue, c []*conn) {
			q.Mark(&c[1].entry)
			q.Forget(&c[1].entry)
		}, nil, false},
		{"acceptable", func(q *Queue, c []*conn) { q.MarkAcceptable(); q.MarkAcceptable() }, nil, true},
		{"acceptable withdrawn", func(q *Queue, c []*conn) { q.MarkAcceptable(); q.ClearAcceptable() }, nil, false},
		{"wake reports nothing", func(q *Queue, c []*conn) { q.Wake(); q.Wake() }, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var q Queue
			c := []*conn{newConn(0), newConn(1), newConn(2)}
			tc.act(&q, c)
			ready, acceptable, ok := q.Wait(nil, 0)
			if !ok || !equal(ids(ready), tc.want) || acceptable != tc.acceptable {
				t.Fatalf("Wait = %v, %v, %v; want %v, %v, true", ids(ready), acceptable, ok, tc.want, tc.acceptable)
			}
			// Reported once: the next Wait has nothing.
			if ready, acceptable, ok := q.Wait(nil, 0); len(ready) != 0 || acceptable || !ok {
				t.Fatalf("second Wait = %v, %v, %v; want nothing", ids(ready), acceptable, ok)
			}
			// A report does not stop the next mark.
			q.Mark(&c[0].entry)
			if ready, _, _ := q.Wait(nil, 0); !equal(ids(ready), []int{0}) {
				t.Fatalf("Wait after a new mark = %v, want [0]", ids(ready))
			}
		})
	}
}

// TestBlockedWait checks what ends a Wait blocked in another goroutine.
func TestBlockedWait(t *testing.T) {
	tests := []struct {
		name       string
		act        func(q *Queue, c *conn)
		want       []int
		acceptable bool
		ok         bool
	}{
		{"mark", func(q *Queue, c *conn) { q.Mark(&c.entry) }, []int{1}, false, true},
		{"acceptable", func(q *Queue, c *conn) { q.MarkAcceptable() }, nil, true, true},
		{"wake", func(q *Queue, c *conn) { q.Wake() }, nil, false, true},
		{"close", func(q *Queue, c *conn) { q.Close() }, nil, false, false},
	}
	type result struct {
		ready      []biplane.Conn
		acceptable bool
		ok         bool
	}
	for _, tc := range tests {
		for _, timeout := range []time.Duration{-1, guard} {
			t.Run(tc.name+"/"+timeout.String(), func(t *testing.T) {
				q := &Queue{}
				blocked := make(chan struct{}, 1)
				q.BlockHook = func() {
					select {
					case blocked <- struct{}{}:
					default:
					}
				}
				c := newConn(1)
				done := make(chan result, 1)
				go func() {
					r, a, ok := q.Wait(nil, timeout)
					done <- result{r, a, ok}
				}()
				select {
				case <-blocked:
				case <-time.After(guard):
					t.Fatal("Wait did not block")
				}
				tc.act(q, c)
				var res result
				select {
				case res = <-done:
				case <-time.After(guard):
					q.Close() // let the goroutine end
					t.Fatalf("Wait not ended by %s within %v", tc.name, guard)
				}
				if !equal(ids(res.ready), tc.want) || res.acceptable != tc.acceptable || res.ok != tc.ok {
					t.Fatalf("Wait = %v, %v, %v; want %v, %v, %v", ids(res.ready), res.acceptable, res.ok, tc.want, tc.acceptable, tc.ok)
				}
			})
		}
	}
}

func TestTimeout(t *testing.T) {
	var q Queue
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond} {
		start := time.Now()
		ready, acceptable, ok := q.Wait(nil, d)
		if len(ready) != 0 || acceptable || !ok {
			t.Fatalf("Wait(%v) = %v, %v, %v; want nothing", d, ids(ready), acceptable, ok)
		}
		if elapsed := time.Since(start); elapsed < d {
			t.Fatalf("Wait(%v) returned after %v", d, elapsed)
		}
	}
	// The timer of an earlier Wait does not end a later one early.
	c := newConn(1)
	q.Mark(&c.entry)
	q.Wait(nil, time.Hour)
	start := time.Now()
	if ready, _, _ := q.Wait(nil, 2*time.Millisecond); len(ready) != 0 {
		t.Fatalf("Wait = %v, want nothing", ids(ready))
	}
	if elapsed := time.Since(start); elapsed < 2*time.Millisecond {
		t.Fatalf("Wait(2ms) returned after %v", elapsed)
	}
}

func TestClose(t *testing.T) {
	var q Queue
	c := newConn(1)
	q.Mark(&c.entry)
	q.MarkAcceptable()
	q.Close()
	q.Close()
	if ready, acceptable, ok := q.Wait(nil, -1); len(ready) != 0 || acceptable || ok {
		t.Fatalf("Wait after Close = %v, %v, %v; want nothing and not ok", ids(ready), acceptable, ok)
	}
	if q.Wake() {
		t.Fatal("Wake after Close reported true")
	}
	q.Mark(&c.entry)
	q.MarkAcceptable()
	if ready, acceptable, ok := q.Wait(nil, 0); len(ready) != 0 || acceptable || ok {
		t.Fatalf("Wait after marks after Close = %v, %v, %v", ids(ready), acceptable, ok)
	}
}

// TestNoLostMark marks connections from several goroutines while the
// test's goroutine waits without a time limit and collects: every mark
// made is reported by a later Wait, however the marks and the collections
// interleave. Run it with -race.
func TestNoLostMark(t *testing.T) {
	const markers, rounds = 4, 2000
	var q Queue
	conns := make([]*conn, markers)
	for i := range conns {
		conns[i] = newConn(i)
	}
	// Each marker marks its conn, then waits until the loop has seen it
	// before the next round: a lost mark stalls the marker for good.
	seen := make([]chan struct{}, markers)
	for i := range seen {
		seen[i] = make(chan struct{}, 1)
	}
	var wg sync.WaitGroup
	for i := range markers {
		wg.Go(func() {
			for range rounds {
				q.Mark(&conns[i].entry)
				select {
				case <-seen[i]:
				case <-time.After(guard):
					t.Errorf("marker %d: mark not reported within %v", i, guard)
					q.Close()
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
		q.Wake()
	}()
	var ready []biplane.Conn
	for {
		var ok bool
		ready, _, ok = q.Wait(ready[:0], -1)
		if !ok {
			break
		}
		for _, c := range ready {
			seen[c.(*conn).id] <- struct{}{}
		}
		select {
		case <-done:
		default:
			continue
		}
		break
	}
}

func TestWaitAllocs(t *testing.T) {
	var q Queue
	c := []*conn{newConn(0), newConn(1)}
	ready := make([]biplane.Conn, 0, 4)
	q.Wait(nil, time.Microsecond) // make the timer
	cycle := func() {
		q.Mark(&c[0].entry)
		q.Mark(&c[1].entry)
		q.MarkAcceptable()
		ready, _, _ = q.Wait(ready[:0], 0)
		q.Wake()
		ready, _, _ = q.Wait(ready[:0], time.Hour)
		ready, _, _ = q.Wait(ready[:0], time.Microsecond)
	}
	cycle()
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Fatalf("Mark, Wake and Wait allocate %v times, want 0", n)
	}
}
