package biplane

import (
	"fmt"
	"time"
)

// This file exports the server's internals to the package's external
// tests, the simulation above all: they run the server as a program does
// and check, after every step, what no program could see.

// CheckInvariants returns what is wrong with the server's state, or nil:
// every open connection indexed and in the timer heap once; no deadline
// left unexpired; no idle connection holding buffers; every exchange
// either pooled or held by a connection; no read buffer past what the
// limits allow; the connection counts right.
func (s *Server) CheckInvariants() error {
	if !s.started || s.done {
		return nil
	}
	untagged := 0
	for _, c := range s.conns {
		if !c.tagged {
			untagged++
		}
	}
	if len(s.byNC) != untagged || len(s.timers) != len(s.conns) {
		return fmt.Errorf("%d conns (%d untagged), %d in the map, %d in the timer heap", len(s.conns), untagged, len(s.byNC), len(s.timers))
	}
	held, active, rejecting, due := 0, 0, 0, 0
	lim := s.lim
	maxRead := 2 + lim.MaxRequestLine + lim.MaxHeaderBytes + 1 + max(lim.MaxBodyBytes, 1<<20) + maxChunkLine + lim.MaxHeaderBytes + 2
	for i, c := range s.conns {
		switch {
		case c.idx != int32(i):
			return fmt.Errorf("conn %d has index %d", i, c.idx)
		case !c.tagged && s.byNC[c.nc] != c:
			return fmt.Errorf("conn %d is not in the map under its Conn", i)
		case c.tagged && c.nc.(Tagger).Tag() != uint32(i):
			return fmt.Errorf("conn %d is tagged %d", i, c.nc.(Tagger).Tag())
		case c.state == stateClosed:
			return fmt.Errorf("conn %d is closed but kept", i)
		case c.heapIdx < 0 || int(c.heapIdx) >= len(s.timers) || s.timers[c.heapIdx] != c:
			return fmt.Errorf("conn %d (%s) is not in the timer heap", i, stateNames[c.state])
		case c.heapKey > c.deadline:
			return fmt.Errorf("conn %d's heap key %d is after its deadline %d", i, c.heapKey, c.deadline)
		}
		if c.deadline <= s.now {
			due++
		}
		if c.rejected {
			rejecting++
		} else {
			active++
		}
		ex := c.ex
		if ex == nil {
			continue
		}
		held++
		if c.state == stateHead && !c.queued && !c.closeAfter && c.st == nil && ex.r == ex.w && !ex.pending() {
			return fmt.Errorf("conn %d is idle between requests but holds buffers", i)
		}
		if len(ex.rbuf) > maxRead {
			return fmt.Errorf("conn %d's read buffer grew to %d, past %d", i, len(ex.rbuf), maxRead)
		}
		if ex.rc != nil && c.state != stateReceive && c.state != stateReply {
			return fmt.Errorf("conn %d holds a receiver in state %s", i, stateNames[c.state])
		}
	}
	if due > 0 && !s.expireCut {
		return fmt.Errorf("%d deadlines passed without being acted on, and the step's expire was within its bound", due)
	}
	if s.made != held+len(s.free) {
		return fmt.Errorf("%d exchanges made, %d held and %d pooled", s.made, held, len(s.free))
	}
	if active != s.active || rejecting != s.rejecting {
		return fmt.Errorf("counted %d active and %d rejecting, the server %d and %d", active, rejecting, s.active, s.rejecting)
	}
	return nil
}

// NextDeadline returns the earliest deadline of the server's
// connections, and false if it has none.
func (s *Server) NextDeadline() (time.Time, bool) {
	if len(s.timers) == 0 {
		return time.Time{}, false
	}
	return s.base.Add(time.Duration(s.timers[0].heapKey)), true
}

// Draining reports whether a Shutdown has begun.
func (s *Server) Draining() bool { return s.draining }
