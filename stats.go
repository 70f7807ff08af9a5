package biplane

// refusedStatuses are the statuses the server answers on its own, as
// opposed to statuses a handler returns.
var refusedStatuses = [...]int{400, 408, 413, 414, 417, 431, 501, 503, 505}

// Stats counts what a [Server] has done since it started. Read it with
// [Server.Stats] from the loop's goroutine: the counters are plain fields,
// updated by the loop, so reading them needs no lock.
type Stats struct {
	Open     int    // connections open now, including those being answered 503
	Accepted uint64 // connections accepted
	Closed   uint64 // connections closed, for whatever reason
	Requests uint64 // requests answered by the handler
	Panics   uint64 // handler panics, each answered 500

	RequestTimeouts uint64 // requests not complete in time, answered 408
	IdleTimeouts    uint64 // connections closed for sending nothing in time
	WriteTimeouts   uint64 // connections closed for not reading their responses

	refused [len(refusedStatuses)]uint64
}

// Refused returns how many requests or connections the server refused on
// its own with status (400, 408, 413, 414, 417, 431, 501, 503 or 505).
func (st *Stats) Refused(status int) uint64 {
	for i, s := range refusedStatuses {
		if s == status {
			return st.refused[i]
		}
	}
	return 0
}

// countRefused adds one refusal with status.
func (st *Stats) countRefused(status int) {
	for i, s := range refusedStatuses {
		if s == status {
			st.refused[i]++
			return
		}
	}
}

// Stats returns a copy of the server's counters.
func (s *Server) Stats() Stats {
	st := s.stats
	st.Open = len(s.conns)
	return st
}
