package transporttest

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// The suite's own test: broken transports must fail it. Each is memsock
// behind a wrapper that breaks one rule, the way real transports have
// broken it; the same wrapper, unbroken, must pass. The suite runs through
// a testing.TB of the test's own (shim), so that its failures are counted
// here instead of failing this test.

// patience is the suite's Patience in the runs of broken transports:
// short, since they fail by running out of it. The unbroken one runs with
// the default, as every case of it runs at once on a loaded machine.
const patience = time.Second

// A shim is a testing.TB that records failures instead of reporting them.
// It embeds the real test only to be a testing.TB (whose methods are
// private to package testing); every method the suite uses is its own.
type shim struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	log      []string
	cleanups []func()
}

func (s *shim) record(failed bool, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = s.failed || failed
	s.log = append(s.log, msg)
}

func (s *shim) Helper()                         {}
func (s *shim) Log(args ...any)                 { s.record(false, fmt.Sprint(args...)) }
func (s *shim) Logf(format string, args ...any) { s.record(false, fmt.Sprintf(format, args...)) }
func (s *shim) Error(args ...any)               { s.record(true, fmt.Sprint(args...)) }
func (s *shim) Errorf(format string, args ...any) {
	s.record(true, fmt.Sprintf(format, args...))
}
func (s *shim) Fail()    { s.record(true, "Fail") }
func (s *shim) FailNow() { s.Fail(); runtime.Goexit() }
func (s *shim) Fatal(args ...any) {
	s.Error(args...)
	runtime.Goexit()
}
func (s *shim) Fatalf(format string, args ...any) {
	s.Errorf(format, args...)
	runtime.Goexit()
}
func (s *shim) SkipNow() {
	s.mu.Lock()
	s.skipped = true
	s.mu.Unlock()
	runtime.Goexit()
}
func (s *shim) Skip(args ...any)                 { s.Log(args...); s.SkipNow() }
func (s *shim) Skipf(format string, args ...any) { s.Logf(format, args...); s.SkipNow() }
func (s *shim) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}
func (s *shim) Skipped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}
func (s *shim) Cleanup(f func()) {
	s.mu.Lock()
	s.cleanups = append(s.cleanups, f)
	s.mu.Unlock()
}

// runCleanups runs what Cleanup registered, last first, including what
// cleanups register.
func (s *shim) runCleanups() {
	for {
		s.mu.Lock()
		n := len(s.cleanups)
		if n == 0 {
			s.mu.Unlock()
			return
		}
		f := s.cleanups[n-1]
		s.cleanups = s.cleanups[:n-1]
		s.mu.Unlock()
		f()
	}
}

// runSuite runs every case against tr through shims, all at once, and
// returns the names of those that failed, with their logs. WaitAllocs is
// left out: it counts the allocations of the whole process, so it cannot
// run beside anything else.
func runSuite(t *testing.T, tr Transport) (failed []string, logs map[string][]string) {
	shims := make([]*shim, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		s := &shim{TB: t}
		shims[i] = s
		if c.name == "WaitAllocs" {
			continue
		}
		wg.Go(func() {
			done := make(chan struct{})
			go func() {
				defer close(done)
				c.run(newEnv(s, tr))
			}()
			<-done
			s.runCleanups()
		})
	}
	wg.Wait()
	logs = map[string][]string{}
	for i, s := range shims {
		if s.Failed() {
			failed = append(failed, cases[i].name)
		}
		logs[cases[i].name] = s.log
	}
	return failed, logs
}

// TestBrokenTransports runs the suite against memsock broken in one way
// at a time, and expects each to fail the cases that check what it broke;
// the same wrapper unbroken passes them all.
func TestBrokenTransports(t *testing.T) {
	tests := []struct {
		name string
		// breaking is how the wrapper breaks the transport; nothing
		// unbroken.
		breaking breakage
		// mustFail are cases that must fail; any other may fail too.
		mustFail []string
		// saying is what the first of them must say.
		saying string
	}{
		{"unbroken", breakage{}, nil, ""},
		{"EOF reported as would-block", breakage{eofWouldBlock: true}, []string{"PeerEOF", "HalfClose", "NoLostEdge"}, "an edge was lost"},
		{"wake dropped between flag and drain", breakage{lossyWake: true}, []string{"WakeRaced"}, "a wake was lost"},
		{"one report per connection", breakage{oneEdge: true}, []string{"WouldBlock", "NoLostEdge"}, "an edge was lost"},
		{"Wait reports the inner connection", breakage{innerConn: true}, []string{"WouldBlock", "ReadSizes"}, "an edge was lost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := Transport{
				Listen: func(t testing.TB) (biplane.Listener, Dialer) {
					return broken(t, tc.breaking)
				},
				NoReset: true,
			}
			if tc.mustFail != nil {
				tr.Patience = patience
			}
			failed, logs := runSuite(t, tr)
			if tc.mustFail == nil {
				for _, name := range failed {
					t.Errorf("the unbroken wrapper failed %s:\n\t%s", name, strings.Join(logs[name], "\n\t"))
				}
				return
			}
			for _, name := range tc.mustFail {
				if !slices.Contains(failed, name) {
					t.Errorf("the suite's %s passed a transport with %s", name, tc.name)
				}
			}
			if log := strings.Join(logs[tc.mustFail[0]], "\n"); !strings.Contains(log, tc.saying) {
				t.Errorf("%s failed, but not saying %q:\n%s", tc.mustFail[0], tc.saying, log)
			}
			for _, name := range failed {
				t.Logf("%s failed, as it should: %s", name, strings.Join(logs[name], " / "))
			}
		})
	}
}

// A breakage says how a wrapper breaks memsock.
type breakage struct {
	// eofWouldBlock makes Read report the end of the stream as
	// ErrWouldBlock, so that the server never sees it.
	eofWouldBlock bool
	// lossyWake makes Wake skip its signal while a flag says a wake is
	// pending, and Wait clear that flag before draining the signal: a
	// Wake in between is drained with the flag set, and every later Wake
	// is skipped (unixsock's bug once).
	lossyWake bool
	// oneEdge makes Wait report each connection once only.
	oneEdge bool
	// innerConn makes Wait report the connection memsock made rather than
	// the value Accept returned for it.
	innerConn bool
}

// brokenListener is a memsock.Listener behind a wrapper that breaks it.
type brokenListener struct {
	*memsock.Listener
	b breakage

	mu       sync.Mutex
	wrappers map[biplane.Conn]*brokenConn // memsock's connection → what Accept returned
	reported map[biplane.Conn]bool        // for oneEdge

	pending atomic.Bool // for lossyWake
}

type brokenConn struct {
	biplane.Conn
	b breakage
}

func broken(t testing.TB, b breakage) (biplane.Listener, Dialer) {
	l := memsock.NewListener()
	t.Cleanup(func() { l.Close() })
	bl := &brokenListener{Listener: l, b: b, wrappers: map[biplane.Conn]*brokenConn{}, reported: map[biplane.Conn]bool{}}
	return bl, func() (Peer, error) {
		c, err := l.Dial()
		if err != nil {
			return nil, err
		}
		return memPeer{c}, nil
	}
}

type memPeer struct{ *memsock.Client }

func (p memPeer) Reset() error { return p.Close() }

func (l *brokenListener) Accept() (biplane.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &brokenConn{Conn: c, b: l.b}
	l.mu.Lock()
	l.wrappers[c] = w
	l.mu.Unlock()
	return w, nil
}

func (l *brokenListener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	start := len(ready)
	ready, acceptable, err := l.Listener.Wait(ready, timeout)
	if l.b.lossyWake {
		// Clear the flag, then drain: a Wake in between sets the flag
		// and its signal is drained here. (The sleep widens the window.)
		l.pending.Store(false)
		time.Sleep(20 * time.Microsecond)
		ready, _, _ = l.Listener.Wait(ready, 0)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := ready[:start]
	for _, c := range ready[start:] {
		if l.b.oneEdge {
			if l.reported[c] {
				continue
			}
			l.reported[c] = true
		}
		if l.b.innerConn {
			out = append(out, c)
		} else {
			out = append(out, l.wrappers[c])
		}
	}
	return out, acceptable, err
}

func (l *brokenListener) Wake() error {
	if !l.b.lossyWake {
		return l.Listener.Wake()
	}
	if l.pending.Swap(true) {
		return nil // "a wake is pending already"
	}
	err := l.Listener.Wake()
	if err != nil {
		l.pending.Store(false)
	}
	return err
}

func (c *brokenConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF && c.b.eofWouldBlock {
		return 0, biplane.ErrWouldBlock
	}
	return n, err
}

func (c *brokenConn) CloseWrite() error { return c.Conn.(biplane.CloseWriter).CloseWrite() }
