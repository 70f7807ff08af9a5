// Package readiness is the readiness report of the transports that have no
// kernel to ask and so emulate one: memsock, whose peers are goroutines of
// the program, and netsock's fallback, whose connections are served by
// goroutines doing blocking I/O. Whatever changes a connection, in any
// goroutine, marks its [Entry]; the loop's [Queue.Wait] sleeps until
// something is marked, collects the marks and reports each connection once
// however many changes it saw. That is the edge-triggered report that
// [biplane.Waiter] asks for, and [Queue.Wake] is [biplane.Waker]'s.
//
// It uses no goroutines and makes its timer only on the first Wait with a
// positive timeout, so that it builds with TinyGo's -scheduler=none, which
// has no timers, for a loop that only polls.
package readiness

import (
	"sync"
	"time"

	"github.com/biplane-go/biplane"
)

// A Queue collects the marks of a transport's connections and of its
// listener for [Queue.Wait]. The zero Queue is ready to use. All methods
// may be called from any goroutine, except that Wait must not run
// concurrently with itself. A Queue must not be copied after first use.
type Queue struct {
	// mu guards the fields below it and every Entry's. It is never held
	// while the Queue blocks or calls out, so a transport may call Mark
	// with its own locks held.
	mu         sync.Mutex
	closed     bool
	acceptable bool     // MarkAcceptable since the last report
	woken      bool     // Wake since the last report
	marked     []*Entry // to report in the next Wait, oldest first

	// wake holds at most one token: every change sends one without
	// blocking, so that a Wait about to sleep finds it and never misses
	// the change. It is made under mu by the first call that needs it and
	// never changed after, so Wait may receive from it without the lock.
	wake chan struct{}
	// timer is reused by every Wait, so that waiting does not allocate.
	timer *time.Timer

	// BlockHook, if not nil, runs each time Wait is about to block, so
	// that a test can act while Wait is blocked without sleeping. Set it
	// before the first Wait.
	BlockHook func()
}

// An Entry is one connection as its Queue knows it: what to report and
// whether it is due. Embed it in the connection and set Conn before the
// first [Queue.Mark]. Its other fields are the Queue's.
type Entry struct {
	// Conn is what Wait reports for this entry: the connection itself,
	// or the value that Accept returned for it.
	Conn biplane.Conn

	queued bool // in marked
	gone   bool // Forget was called: never report it again
}

// channel returns the wake channel, making it on first use. The caller
// holds q.mu.
func (q *Queue) channel() chan struct{} {
	if q.wake == nil {
		q.wake = make(chan struct{}, 1)
	}
	return q.wake
}

// signal wakes Wait without blocking. The caller holds q.mu.
func (q *Queue) signal() {
	select {
	case q.channel() <- struct{}{}:
	default: // a token is waiting already: Wait will look again
	}
}

// Mark queues e for the next Wait report and wakes Wait. Marks of an entry
// already queued collapse into one report; an entry forgotten, or a
// closed Queue, ignores them.
func (q *Queue) Mark(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.queued || e.gone || q.closed {
		return
	}
	e.queued = true
	q.marked = append(q.marked, e)
	q.signal()
}

// MarkAcceptable makes the next Wait report that Accept may succeed.
func (q *Queue) MarkAcceptable() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.acceptable = true
	q.signal()
}

// ClearAcceptable withdraws a MarkAcceptable not yet reported, for a
// listener that stops accepting.
func (q *Queue) ClearAcceptable() {
	q.mu.Lock()
	q.acceptable = false
	q.mu.Unlock()
}

// Forget makes Wait never report e again, also if it is marked already:
// its connection is closed.
func (q *Queue) Forget(e *Entry) {
	q.mu.Lock()
	e.gone = true
	q.mu.Unlock()
}

// Wake makes a Wait in progress, or else the next Wait, return soon with
// nothing to report for the wake itself. Wakes before a Wait collapse into
// one early return. It never blocks, and reports false, doing nothing,
// once the Queue is closed.
func (q *Queue) Wake() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.woken = true
	q.signal()
	return true
}

// Close makes every Wait from now on, and one blocked in another
// goroutine, return with ok false, and drops the marks not yet reported.
// Mark, MarkAcceptable and Wake do nothing after it. Closing a closed
// Queue does nothing.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for i, e := range q.marked {
		e.queued = false
		q.marked[i] = nil
	}
	q.marked = nil
	q.signal()
}

// Wait blocks until something is marked, Wake is called or timeout has
// passed: a negative timeout means no limit, zero means do not block. It
// appends the Conn of each marked entry to ready, once however often it
// was marked, and reports whether MarkAcceptable was called since the last
// report, as [biplane.Waiter] describes. Once the Queue is closed it
// returns ok false. Wait does not allocate once ready and the Queue's own
// list have room for the entries it reports.
func (q *Queue) Wait(ready []biplane.Conn, timeout time.Duration) (_ []biplane.Conn, acceptable, ok bool) {
	q.mu.Lock()
	wake := q.channel()
	q.mu.Unlock()
	timing := false
	for {
		// Drop a token left by a change that the collection below takes
		// anyway. The order matters: a change after the collection sends
		// a fresh token, which the select below finds; draining after
		// collecting would lose such a change until the next one.
		select {
		case <-wake:
		default:
		}
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			if timing {
				q.stopTimer()
			}
			return ready, false, false
		}
		start := len(ready)
		for i, e := range q.marked {
			e.queued = false
			if !e.gone {
				ready = append(ready, e.Conn)
			}
			q.marked[i] = nil
		}
		q.marked = q.marked[:0]
		acceptable = q.acceptable
		woken := q.woken
		q.acceptable, q.woken = false, false
		q.mu.Unlock()

		if len(ready) > start || acceptable || woken || timeout == 0 {
			if timing {
				q.stopTimer()
			}
			return ready, acceptable, true
		}
		var expired <-chan time.Time
		if timeout > 0 {
			if !timing {
				if q.timer == nil {
					q.timer = time.NewTimer(timeout)
				} else {
					q.timer.Reset(timeout)
				}
				timing = true
			}
			expired = q.timer.C
		}
		if q.BlockHook != nil {
			q.BlockHook()
		}
		select {
		case <-wake: // something changed: look again
		case <-expired:
			return ready, false, true
		}
	}
}

// stopTimer stops the Wait timer. The drain matters only under the
// pre-Go 1.23 timer semantics (GODEBUG asynctimerchan=1), where a stale
// tick would otherwise end the next Wait early.
func (q *Queue) stopTimer() {
	if !q.timer.Stop() {
		select {
		case <-q.timer.C:
		default:
		}
	}
}
