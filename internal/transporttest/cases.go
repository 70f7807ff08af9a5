package transporttest

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// cases are the suite, in the order Run runs them.
var cases = []testCase{
	{"Accept", testAccept},
	{"Refuse", testRefuse},
	{"WouldBlock", testWouldBlock},
	{"ReadSizes", testReadSizes},
	{"WriteSizes", testWriteSizes},
	{"FullWindow", testFullWindow},
	{"PeerEOF", testPeerEOF},
	{"PeerReset", testPeerReset},
	{"HalfClose", testHalfClose},
	{"Timeouts", testTimeouts},
	{"Wake", testWake},
	{"WakeRaced", testWakeRaced},
	{"WaitAllocs", testWaitAllocs},
	{"CloseDuringRead", testCloseDuringRead},
	{"ListenerClose", testListenerClose},
	{"ManyConns", testManyConns},
	{"NoLostEdge", testNoLostEdge},
}

// testAccept: Accept returns ErrWouldBlock with nothing pending, one
// connection per dial, each joined to its own peer (and with its own tag,
// if a Tagger), and ErrWouldBlock again once all are taken; a dial after
// that is reported.
func testAccept(e *env) {
	if c, err := e.accept1(); c != nil || err != biplane.ErrWouldBlock {
		e.t.Fatalf("Accept with nothing dialed = %v, %v; want nil, ErrWouldBlock", c, err)
	}
	const n = 3
	peers := make([]Peer, n)
	for i := range peers {
		peers[i] = e.dialPeer()
	}
	conns := make([]biplane.Conn, n)
	for i := range conns {
		conns[i] = e.accept()
		conns[i].RemoteAddr()
		for _, c := range conns[:i] {
			if c == conns[i] {
				e.t.Fatalf("Accept returned the same connection twice")
			}
		}
	}
	// Each peer names itself; each connection must hear exactly one.
	for i, p := range peers {
		e.peerSend(p, string(rune('a'+i)))
	}
	owner := map[byte]biplane.Conn{}
	for _, c := range conns {
		b := e.readN(c, 1, 1, "Read of a peer's first byte")[0]
		if b < 'a' || b >= 'a'+n || owner[b] != nil {
			e.t.Fatalf("a connection read %q: not one byte of its own peer's", b)
		}
		owner[b] = c
	}
	for i, p := range peers {
		reply := []byte{byte('A' + i)}
		e.write(owner[byte('a'+i)], reply, 8, false, "Write of a reply")
		e.peerExpect(p, reply, "reply to its own peer")
	}
	if c, err := e.accept1(); c != nil || err != biplane.ErrWouldBlock {
		e.t.Fatalf("Accept after every dial was taken = %v, %v; want nil, ErrWouldBlock", c, err)
	}
	// A Tagger's tag starts at 0 and is each connection's own.
	for i, c := range conns {
		if t, ok := c.(biplane.Tagger); ok {
			if got := t.Tag(); got != 0 {
				e.t.Fatalf("a new connection's Tag() = %d, want 0", got)
			}
			t.SetTag(uint32(100 + i))
		}
	}
	for i, c := range conns {
		if t, ok := c.(biplane.Tagger); ok && t.Tag() != uint32(100+i) {
			e.t.Fatalf("Tag() = %d after SetTag(%d)", t.Tag(), 100+i)
		}
	}
	e.dialPeer()
	e.accept() // with a Waiter, the dial must be reported
}

// testRefuse: after CloseAccept, Accept fails for good, new connections
// are refused and those queued are ended, while the established one goes
// on in both directions and Wait never reports the listener again.
func testRefuse(e *env) {
	ac, ok := e.l.(biplane.AcceptCloser)
	if !ok {
		e.t.Skipf("%T is not a biplane.AcceptCloser", e.l)
	}
	p, c := e.pair()
	queued := e.dialPeer() // dialed, never accepted
	for i := range 2 {
		if err := ac.CloseAccept(); err != nil {
			e.t.Fatalf("CloseAccept #%d: %v", i+1, err)
		}
	}
	e.noAccept = true
	for range 2 {
		if c, err := e.accept1(); c != nil || err == nil || err == biplane.ErrWouldBlock || isTemporary(err) {
			e.t.Fatalf("Accept after CloseAccept = %v, %v; want a final error", c, err)
		}
	}
	if late, err := e.dial(); err == nil {
		late.SetDeadline(time.Now().Add(e.patience))
		n, err := late.Read(make([]byte, 1))
		late.Close()
		if n != 0 || err == nil || isTimeout(err) {
			e.t.Errorf("Dial after CloseAccept connected, and its Read = %d, %v; want it refused, or ended at once", n, err)
		}
	}
	queued.SetDeadline(time.Now().Add(e.patience))
	if n, err := queued.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		e.t.Errorf("a peer dialed before CloseAccept and never accepted: Read = %d, %v; want the end or a reset", n, err)
	}

	for _, msg := range []string{"ping", "again"} {
		if n, err := e.read1(c, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
			e.t.Fatalf("Read before %q = %d, %v; want ErrWouldBlock", msg, n, err)
		}
		e.peerSend(p, msg)
		if got := e.readN(c, len(msg), 64, "Read after CloseAccept"); string(got) != msg {
			e.t.Fatalf("read %q, want %q", got, msg)
		}
		e.write(c, []byte(msg), 64, false, "Write after CloseAccept")
		e.peerExpect(p, []byte(msg), "after CloseAccept")
	}
	if k, ok := e.l.(biplane.Waker); ok {
		e.takeReports()
		if err := k.Wake(); err != nil {
			e.t.Fatalf("Wake after CloseAccept: %v", err)
		}
		e.waitForWake(func() { p.Write([]byte("x")) })
	}
	for i := range 2 {
		if err := e.l.Close(); err != nil {
			e.t.Errorf("Close #%d after CloseAccept: %v", i+1, err)
		}
	}
	e.lClosed = true
	if err := ac.CloseAccept(); err != nil {
		e.t.Errorf("CloseAccept after Close: %v, want nil", err)
	}
}

// testWouldBlock: Read returns ErrWouldBlock until bytes come, and every
// arrival after an ErrWouldBlock is reported anew (the edge), however
// small.
func testWouldBlock(e *env) {
	p, c := e.pair()
	buf := make([]byte, 64)
	for range 2 {
		if n, err := e.read1(c, buf); n != 0 || err != biplane.ErrWouldBlock {
			e.t.Fatalf("Read with nothing sent = %d, %v; want 0, ErrWouldBlock", n, err)
		}
	}
	msgs := []string{"hello", "again"}
	for i := range 20 {
		msgs = append(msgs, string(rune('a'+i)))
	}
	for _, msg := range msgs {
		e.peerSend(p, msg)
		if got := e.readN(c, len(msg), 64, "Read after the peer wrote"); string(got) != msg {
			e.t.Fatalf("read %q, want %q", got, msg)
		}
		if n, err := e.read1(c, buf); n != 0 || err != biplane.ErrWouldBlock {
			e.t.Fatalf("Read after all that was sent = %d, %v; want 0, ErrWouldBlock", n, err)
		}
	}
}

// readSizes are the buffer sizes of testReadSizes: every small size, and
// each side of the buffers transports keep (tinysock's chunk, netsock's
// 16 KiB reader, memsock's 64 KiB rings).
var readSizes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 1435, 1436, 1437, 4095, 4096, 4097, 16383, 16384, 16385, 65535, 65536, 65537}

// testReadSizes: messages around each read size, written in one piece or
// in small pieces, arrive whole and in order, each Read returning at most
// what was asked.
func testReadSizes(e *env) {
	p, c := e.pair()
	off := 0
	for _, size := range readSizes {
		for _, m := range []int{1, size - 1, size, size + 1, 2*size + 3} {
			if m <= 0 || (m == 1 && size > 1) {
				continue
			}
			piece := m
			if m%2 == 0 {
				piece = 7 // arrivals in small pieces, which the reads cross
			}
			data := pattern(off, m)
			off += m
			sent := e.peerWrite(p, data, piece, nil)
			what := fmt.Sprintf("%d bytes in Reads of %d", m, size)
			if got := e.readN(c, m, size, what); string(got) != string(data) {
				e.t.Fatalf("%s: read %d bytes, not those written, in order", what, len(got))
			}
			if err := receive(e, sent, what); err != nil {
				e.t.Fatalf("%s: peer Write: %v", what, err)
			}
		}
	}
}

// writeSizes are the chunk sizes of testWriteSizes.
var writeSizes = []int{1, 2, 3, 7, 100, 1000, 1435, 1436, 1437, 4096, 16385, 65537, 1 << 20}

// testWriteSizes: writes of every size, partial ones included, deliver
// exactly the bytes they count, in order; Writev too, where there is one.
func testWriteSizes(e *env) {
	p, c := e.pair()
	_, vec := c.(biplane.VectorWriter)
	off := 0
	for _, chunk := range writeSizes {
		total := min(3*chunk+5, 3<<20)
		data := pattern(off, total)
		off += total
		got := e.peerRead(p, total)
		what := fmt.Sprintf("%d bytes in Writes of %d", total, chunk)
		e.write(c, data, chunk, vec, what)
		if r := receive(e, got, what); r.err != nil || string(r.data) != string(data) {
			e.t.Fatalf("%s: peer read %d bytes, %v; want the %d written, in order", what, len(r.data), r.err, total)
		}
	}
}

// testFullWindow: Write to a peer that does not read returns ErrWouldBlock
// before long, never blocking, and counts exactly what it took; once the
// peer reads, the room is reported and writing goes on.
func testFullWindow(e *env) {
	if e.tr.NoFullWindow {
		e.t.Skip("the transport cannot report a full window (Transport.NoFullWindow)")
	}
	p, c := e.pair()
	_, vec := c.(biplane.VectorWriter)
	const chunk, limit = 64 << 10, 256 << 20
	total := 0
	for i := 0; ; i++ {
		n, err := e.write1(c, pattern(total, chunk), vec && i%2 == 1)
		total += n
		if err == biplane.ErrWouldBlock {
			break
		}
		if err != nil {
			e.t.Fatalf("Write after %d bytes: %v", total, err)
		}
		if total > limit {
			e.t.Fatalf("wrote %d bytes to a peer that does not read, and Write never returned ErrWouldBlock", total)
		}
	}
	e.t.Logf("Write returned ErrWouldBlock after %d bytes", total)
	more := 3*total + 1
	got := e.peerRead(p, total+more)
	e.write(c, pattern(total, more), chunk, vec, "Write after the peer began to read")
	if r := receive(e, got, "peer reading a full window"); r.err != nil || string(r.data) != string(pattern(0, total+more)) {
		e.t.Fatalf("peer read %d bytes, %v; want the %d written, in order", len(r.data), r.err, total+more)
	}
}

// testPeerEOF: a peer that ends its sending, however and whenever, is read
// as its bytes, then io.EOF, for good.
func testPeerEOF(e *env) {
	tests := []struct {
		name   string
		early  bool // before Accept
		data   string
		finish func(p Peer) error
	}{
		{"CloseWrite after bytes", false, "request", Peer.CloseWrite},
		{"Close after bytes", false, "request", Peer.Close},
		{"Close without bytes", false, "", Peer.Close},
		{"CloseWrite without bytes", false, "", Peer.CloseWrite},
		{"bytes and CloseWrite before Accept", true, "early", Peer.CloseWrite},
		{"bytes and Close before Accept", true, "early", Peer.Close},
	}
	for _, tc := range tests {
		p := e.dialPeer()
		var c biplane.Conn
		if tc.early {
			// In a goroutine: a peer's first write may wait for the
			// server to take the connection (a TLS handshake does).
			sent := e.peerWrite(p, []byte(tc.data), len(tc.data), func() error { return tc.finish(p) })
			c = e.accept()
			if err := receive(e, sent, tc.name); err != nil {
				e.t.Fatalf("%s: peer: %v", tc.name, err)
			}
		} else {
			c = e.accept()
			if n, err := e.read1(c, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
				e.t.Fatalf("%s: Read before the peer acted = %d, %v; want ErrWouldBlock", tc.name, n, err)
			}
			if tc.data != "" {
				e.peerSend(p, tc.data)
			}
			if err := tc.finish(p); err != nil {
				e.t.Fatalf("%s: peer: %v", tc.name, err)
			}
		}
		got, err := e.readEnd(c, 3, tc.name)
		if string(got) != tc.data || err != io.EOF {
			e.t.Fatalf("%s: read %q, then %v; want %q, then io.EOF", tc.name, got, err, tc.data)
		}
		e.expectFinal(c, tc.name)
		e.close(c)
	}
}

// testPeerReset: after a peer's reset, Read ends with an error (io.EOF
// where peers cannot reset), and Write fails before long, never blocking.
func testPeerReset(e *env) {
	p, c := e.pair()
	_, vec := c.(biplane.VectorWriter)
	if n, err := e.read1(c, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
		e.t.Fatalf("Read before the reset = %d, %v; want ErrWouldBlock", n, err)
	}
	if err := p.Reset(); err != nil {
		e.t.Fatalf("peer Reset: %v", err)
	}
	got, err := e.readEnd(c, 64, "Read after the peer's reset")
	switch {
	case len(got) != 0:
		e.t.Fatalf("read %q after a reset, want nothing", got)
	case err == io.EOF && !e.tr.NoReset:
		e.t.Errorf("a reset read as io.EOF; want the error (or set Transport.NoReset)")
	}
	e.expectFinal(c, "after a reset")
	deadline := time.Now().Add(e.patience)
	total := 0
	for i := 0; ; i++ {
		n, err := e.write1(c, pattern(total, 1024), vec && i%2 == 1)
		total += n
		if err == biplane.ErrWouldBlock {
			e.await(c, deadline, "Write after the peer's reset")
			continue
		}
		if err != nil {
			e.t.Logf("Write failed after %d bytes: %v", total, err)
			return
		}
		if time.Now().After(deadline) || total > 64<<20 {
			e.t.Fatalf("Write to a reset peer still succeeds after %d bytes", total)
		}
	}
}

// testHalfClose: either side may end its sending while the other
// direction goes on.
func testHalfClose(e *env) {
	p, c := e.pair()
	e.peerSend(p, "request")
	if err := p.CloseWrite(); err != nil {
		e.t.Fatalf("peer CloseWrite: %v", err)
	}
	if got, err := e.readEnd(c, 64, "Read after the peer's CloseWrite"); string(got) != "request" || err != io.EOF {
		e.t.Fatalf("read %q, then %v; want %q, then io.EOF", got, err, "request")
	}
	e.write(c, []byte("response"), 64, false, "Write after the peer's CloseWrite")
	if cw, ok := c.(biplane.CloseWriter); ok {
		if err := cw.CloseWrite(); err != nil {
			e.t.Fatalf("CloseWrite: %v", err)
		}
	} else {
		e.close(c)
	}
	e.peerExpectEnd(p, []byte("response"), "after its CloseWrite")

	p, c = e.pair()
	cw, ok := c.(biplane.CloseWriter)
	if !ok {
		e.t.Logf("%T is not a biplane.CloseWriter: only the peer's half-close checked", c)
		return
	}
	e.write(c, []byte("response"), 64, false, "Write before CloseWrite")
	if err := cw.CloseWrite(); err != nil {
		e.t.Fatalf("CloseWrite: %v", err)
	}
	e.peerExpectEnd(p, []byte("response"), "after the server's CloseWrite")
	if n, err := e.write1(c, []byte("more"), false); n != 0 || err == nil || err == biplane.ErrWouldBlock {
		e.t.Errorf("Write after CloseWrite = %d, %v; want an error", n, err)
	}
	if n, err := e.read1(c, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
		e.t.Fatalf("Read after CloseWrite = %d, %v; want ErrWouldBlock", n, err)
	}
	e.peerSend(p, "request")
	if err := p.CloseWrite(); err != nil {
		e.t.Fatalf("peer CloseWrite: %v", err)
	}
	if got, err := e.readEnd(c, 64, "Read after CloseWrite"); string(got) != "request" || err != io.EOF {
		e.t.Fatalf("read %q, then %v; want %q, then io.EOF", got, err, "request")
	}
}

// testTimeouts: Wait returns within its timeout, at once for zero; an idle
// connection's Read returns at once. (A Conn has no deadlines of its own:
// the server keeps the time.)
func testTimeouts(e *env) {
	if e.w != nil {
		for _, d := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond, 0} {
			e.wait(d) // fails the test if it takes longer than d, and a little
		}
	}
	_, c := e.pair()
	for range 3 {
		if n, err := e.read1(c, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
			e.t.Fatalf("Read of an idle connection = %d, %v; want ErrWouldBlock", n, err)
		}
	}
}

// takeReports collects what Wait has to report now, so that a later Wait
// blocks.
func (e *env) takeReports() {
	e.t.Helper()
	for range 10 {
		e.wait(0)
		if len(e.reported) == 0 && !e.acceptable {
			return
		}
		clear(e.reported)
		e.acceptable = false
	}
}

// blockingWait calls Wait without a time limit. Its name on a goroutine's
// stack tells blockedIn that the goroutine waits there.
//
//go:noinline
func blockingWait(w biplane.Waiter) ([]biplane.Conn, bool, error) {
	return w.Wait(nil, -1)
}

// blockedIn waits until a goroutine with fn on its stack is blocked, in
// a system call, a select, a lock or a channel, and reports whether one got
// there within patience. It watches goroutine states instead of sleeping.
func blockedIn(fn string, patience time.Duration) bool {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, fn) && !strings.Contains(header, "[running") && !strings.Contains(header, "[runnable") {
				return true
			}
		}
		runtime.Gosched()
	}
	return false
}

// waitForWake calls Wait without a time limit, which only a Wake should
// end now, and fails the test unless it returns with nothing to report.
// If nothing ends it within patience, rescue makes something ready, so
// that the test fails instead of hanging.
func (e *env) waitForWake(rescue func()) {
	e.t.Helper()
	timer := time.AfterFunc(e.patience, rescue)
	ready, acceptable, err := blockingWait(e.w)
	if !timer.Stop() {
		e.t.Errorf("Wait(nil, -1) not woken within %v: the wake was lost", e.patience)
	} else if len(ready) != 0 || acceptable {
		e.t.Errorf("Wait after a Wake = %v, %v; want nothing reported for a wake", ready, acceptable)
	}
	if err != nil {
		e.t.Fatalf("Wait(nil, -1): %v", err)
	}
}

// rescueDial dials from another goroutine, which makes the listener
// acceptable, for waitForWake.
func (e *env) rescueDial() {
	if p, err := e.dial(); err == nil {
		e.t.Cleanup(func() { p.Close() })
	}
}

// testWake: Wake ends a Wait in progress in another goroutine, or the next
// one, however often it was called, round after round, with nothing
// reported for it.
func testWake(e *env) {
	k, ok := e.l.(biplane.Waker)
	if !ok {
		e.t.Skipf("%T is not a biplane.Waker", e.l)
	}
	for _, wakes := range []int{0, 1, 5} { // 0: one, from another goroutine, during the Wait
		for range 3 {
			e.takeReports()
			woke := make(chan error, 1)
			if wakes == 0 {
				go func() {
					if !blockedIn("transporttest.blockingWait(", e.patience) {
						e.t.Logf("no Wait seen blocking; waking anyway")
					}
					woke <- k.Wake()
				}()
			} else {
				for range wakes {
					if err := k.Wake(); err != nil {
						e.t.Fatalf("Wake: %v", err)
					}
				}
				woke <- nil
			}
			e.waitForWake(e.rescueDial)
			if err := receive(e, woke, "Wake"); err != nil {
				e.t.Fatalf("Wake: %v", err)
			}
		}
	}
}

// testWakeRaced: Wakes from several goroutines race a loop that waits
// without a time limit, hundreds of times, then Close; no Wait outlasts
// the Wakes (a lost wake leaves it blocked), a Wake afterwards still ends
// a Wait, and every Wake after Close fails. Run it with -race.
func testWakeRaced(e *env) {
	k, ok := e.l.(biplane.Waker)
	if !ok {
		e.t.Skipf("%T is not a biplane.Waker", e.l)
	}
	const wakers, returns = 4, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range wakers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := k.Wake(); err != nil {
					e.t.Errorf("Wake: %v", err)
					return
				}
				runtime.Gosched() // spread the Wakes over the loop's Waits
			}
		})
	}
	var rescued atomic.Bool
	rescue := time.AfterFunc(time.Hour, func() {
		rescued.Store(true)
		e.rescueDial()
	})
	defer rescue.Stop()
	for range returns {
		rescue.Reset(e.patience)
		_, _, err := blockingWait(e.w)
		rescue.Stop()
		if err != nil {
			close(stop)
			e.t.Fatalf("Wait: %v", err)
		}
		if rescued.Load() {
			close(stop)
			e.t.Fatalf("Wakes kept coming, and Wait(nil, -1) did not end within %v: a wake was lost", e.patience)
		}
	}
	close(stop)
	wg.Wait()
	// A wake lost for good, say a flag left saying one is pending, shows
	// here: each round needs a Wake of its own.
	e.takeReports()
	for range 3 {
		if err := k.Wake(); err != nil {
			e.t.Fatalf("Wake after the race: %v", err)
		}
		e.waitForWake(e.rescueDial)
	}

	closing := make(chan struct{})
	after := make(chan error, wakers)
	for range wakers {
		wg.Go(func() {
			for {
				k.Wake() // nil or an error, as Close comes
				select {
				case <-closing:
					after <- k.Wake()
					return
				default:
				}
			}
		})
	}
	if err := e.l.Close(); err != nil {
		e.t.Errorf("Close during Wakes: %v", err)
	}
	e.lClosed = true
	close(closing)
	wg.Wait()
	for range wakers {
		if err := <-after; err == nil {
			e.t.Errorf("Wake after Close = nil, want an error")
		}
	}
}

// testWaitAllocs: once ready has room, Wait, and Wake where there is one,
// allocate nothing, so that an idle server allocates nothing.
func testWaitAllocs(e *env) {
	if e.w == nil {
		e.t.Skipf("%T is not a biplane.Waiter", e.l)
	}
	k, _ := e.l.(biplane.Waker)
	e.pair()
	e.takeReports()
	ready := make([]biplane.Conn, 0, 8)
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		if k != nil && err == nil {
			err = k.Wake()
		}
		if err == nil {
			ready, _, err = e.w.Wait(ready[:0], 0)
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if allocs != 0 {
		e.t.Errorf("Wake and Wait(0) allocate %v times, want 0", allocs)
	}
}

// testCloseDuringRead: a connection closed while a read of its is pending
// (bytes on their way, a report due) is never reported again, even when
// the next connection takes its descriptor, and fails every later call.
func testCloseDuringRead(e *env) {
	p1, c1 := e.pair()
	if n, err := e.read1(c1, make([]byte, 8)); n != 0 || err != biplane.ErrWouldBlock {
		e.t.Fatalf("Read = %d, %v; want ErrWouldBlock", n, err)
	}
	e.peerSend(p1, "x") // a report for c1 is now due
	p2 := e.dialPeer()  // before the Close, so that c2 may take c1's descriptor
	e.close(c1)
	if err := c1.Close(); err != nil {
		e.t.Errorf("second Close = %v, want nil", err)
	}
	if n, err := c1.Read(make([]byte, 8)); n != 0 || err == nil || err == biplane.ErrWouldBlock || err == io.EOF {
		e.t.Errorf("Read after Close = %d, %v; want an error", n, err)
	}
	if n, err := c1.Write([]byte("z")); n != 0 || err == nil || err == biplane.ErrWouldBlock {
		e.t.Errorf("Write after Close = %d, %v; want an error", n, err)
	}
	c2 := e.accept()
	p1.Write([]byte("more")) // may fail: the server closed with bytes unread
	e.peerSend(p2, "z")
	if got := e.readN(c2, 1, 8, "Read of the next connection"); string(got) != "z" {
		e.t.Fatalf("read %q, want %q", got, "z")
	}
	if e.w != nil {
		e.wait(0) // fails the test if it reports c1
	}
	if r := receive(e, e.peerRead(p1, -1), "peer of a closed connection"); r.err == nil || isTimeout(r.err) {
		e.t.Errorf("peer of a closed connection: Read = %q, %v; want the end or a reset", r.data, r.err)
	}
}

// testListenerClose: Close ends Accept, Wait and Wake for good, while the
// connections accepted go on until they are closed themselves.
func testListenerClose(e *env) {
	p, c := e.pair()
	for i := range 2 {
		if err := e.l.Close(); err != nil {
			e.t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	e.lClosed = true
	if c, err := e.accept1(); c != nil || err == nil || err == biplane.ErrWouldBlock || isTemporary(err) {
		e.t.Errorf("Accept after Close = %v, %v; want a final error", c, err)
	}
	if e.w != nil {
		if _, _, err := e.w.Wait(nil, 0); err == nil {
			e.t.Errorf("Wait after Close succeeded")
		}
	}
	if k, ok := e.l.(biplane.Waker); ok {
		if err := k.Wake(); err == nil {
			e.t.Errorf("Wake after Close = nil, want an error")
		}
	}
	e.peerSend(p, "ping")
	if got := e.readN(c, 4, 64, "Read after the listener's Close"); string(got) != "ping" {
		e.t.Fatalf("read %q, want %q", got, "ping")
	}
	e.write(c, []byte("pong"), 64, false, "Write after the listener's Close")
	e.peerExpect(p, []byte("pong"), "after the listener's Close")
	e.close(c)
}

// testManyConns: many connections at once, each reported when its peer
// writes (more reports than one Wait may carry), each joined to its own
// peer.
func testManyConns(e *env) {
	n := e.tr.Conns
	if n <= 0 {
		n = 300
	}
	peers := make([]Peer, n)
	for i := range peers {
		peers[i] = e.dialPeer()
	}
	pending := make(map[biplane.Conn][]byte, n)
	for range n {
		c := e.accept()
		if m, err := e.read1(c, make([]byte, 4)); m != 0 || err != biplane.ErrWouldBlock {
			e.t.Fatalf("Read before the peer wrote = %d, %v; want ErrWouldBlock", m, err)
		}
		pending[c] = nil
	}
	for i, p := range peers {
		e.peerSend(p, fmt.Sprintf("%04d", i))
	}
	owner := make([]biplane.Conn, n)
	deadline := time.Now().Add(e.patience)
	buf := make([]byte, 4)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d connections never reported after their peers wrote", len(pending), n)
		}
		var todo []biplane.Conn
		if e.w != nil {
			e.waitUntil(deadline)
			for c := range e.reported {
				todo = append(todo, c)
				delete(e.reported, c)
			}
		} else {
			for c := range pending {
				todo = append(todo, c)
			}
			time.Sleep(pollPause)
		}
		for _, c := range todo {
			got, ok := pending[c]
			if !ok {
				continue
			}
			for len(got) < 4 {
				m, err := e.read1(c, buf[:4-len(got)])
				if err == biplane.ErrWouldBlock {
					break
				}
				if err != nil {
					e.t.Fatalf("Read: %v", err)
				}
				got = append(got, buf[:m]...)
			}
			pending[c] = got
			if len(got) == 4 {
				id, err := strconv.Atoi(string(got))
				if err != nil || id < 0 || id >= n || owner[id] != nil {
					e.t.Fatalf("a connection read %q: not its own peer's name", got)
				}
				owner[id] = c
				delete(pending, c)
				deadline = time.Now().Add(e.patience)
			}
		}
	}
	for id, c := range owner {
		e.write(c, fmt.Appendf(nil, "%04d", id), 8, false, "Write of a reply")
	}
	for id, p := range peers {
		e.peerExpect(p, fmt.Appendf(nil, "%04d", id), "reply to its own peer")
	}
}

// echoState is one connection of testNoLostEdge.
type echoState struct {
	c    biplane.Conn
	buf  [777]byte
	pend []byte // read, not yet written back
	eof  bool
	done bool
	n    int // calls, to alternate Write and Writev
}

// testNoLostEdge: an echo server in this goroutine and peers writing and
// reading in goroutines of their own, through reads smaller than what
// arrives, so that every connection goes through hundreds of would-blocks
// in both directions while the peers race the reports. With a Waiter, the
// server advances only what Wait reports: one edge lost, and a peer never
// finishes.
func testNoLostEdge(e *env) {
	const conns, size = 8, 128 << 10
	pieces := []int{1, 7, 100, 1000, 4096, 333}
	results := make([]<-chan result, conns)
	sent := make([]<-chan error, conns)
	for i := range conns {
		p := e.dialPeer()
		data := pattern(i*7, size)
		results[i] = e.peerRead(p, size)
		sent[i] = e.peerWrite(p, data, pieces[i%len(pieces)], p.CloseWrite)
	}
	states := make(map[biplane.Conn]*echoState, conns)
	left := conns
	for range conns {
		c := e.accept()
		st := &echoState{c: c}
		states[c] = st
		e.advance(st) // as the server does at once: a report needs a would-block first
		if st.done {
			left--
		}
	}
	deadline := time.Now().Add(e.patience)
	for left > 0 {
		var todo []*echoState
		if e.w != nil {
			e.waitUntil(deadline)
			for c := range e.reported {
				delete(e.reported, c)
				todo = append(todo, states[c])
			}
		} else {
			for _, st := range states {
				todo = append(todo, st)
			}
			time.Sleep(pollPause)
		}
		for _, st := range todo {
			if st == nil || st.done {
				continue
			}
			if e.advance(st) {
				deadline = time.Now().Add(e.patience)
			}
			if st.done {
				left--
			}
		}
		if left > 0 && time.Now().After(deadline) {
			e.t.Fatalf("%d of %d connections made no progress for %v: an edge was lost", left, conns, e.patience)
		}
	}
	for i := range conns {
		want := pattern(i*7, size)
		if r := receive(e, results[i], "echo"); r.err != nil || string(r.data) != string(want) {
			e.t.Errorf("peer %d read %d bytes, %v; want its %d bytes back, in order", i, len(r.data), r.err, size)
		}
		if err := receive(e, sent[i], "echo"); err != nil {
			e.t.Errorf("peer %d: %v", i, err)
		}
	}
}

// advance moves st's bytes until both directions would block, as the
// server does with a connection, and reports whether it moved any.
func (e *env) advance(st *echoState) (progress bool) {
	e.t.Helper()
	_, vec := st.c.(biplane.VectorWriter)
	for {
		if len(st.pend) > 0 {
			st.n++
			n, err := e.write1(st.c, st.pend, vec && st.n%2 == 0)
			st.pend = st.pend[n:]
			progress = progress || n > 0
			if err == biplane.ErrWouldBlock {
				return progress // until the room is reported
			}
			if err != nil {
				e.t.Fatalf("echo Write: %v", err)
			}
		}
		if st.eof {
			if cw, ok := st.c.(biplane.CloseWriter); ok {
				if err := cw.CloseWrite(); err != nil {
					e.t.Fatalf("echo CloseWrite: %v", err)
				}
			} else {
				e.close(st.c)
			}
			st.done = true
			return true
		}
		n, err := e.read1(st.c, st.buf[:])
		switch {
		case n > 0:
			st.pend = st.buf[:n]
			progress = true
		case err == io.EOF:
			st.eof = true
			progress = true
		case err == biplane.ErrWouldBlock:
			return progress // until bytes are reported
		default:
			e.t.Fatalf("echo Read: %v", err)
		}
	}
}
