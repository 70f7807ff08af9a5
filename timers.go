package biplane

// Deadlines live in a binary min-heap keyed by heapKey. Moving a deadline
// later, which every request does, only stores it: the heap entry keeps its
// earlier key and is repositioned when it comes due. Moving it earlier sifts
// it up. So the request path costs O(1) and idle connections cost nothing
// per step, however many there are.

// setDeadline sets c's deadline to d, for the reason kind.
func (s *Server) setDeadline(c *conn, d int64, kind uint8) {
	c.deadline, c.timeKind = d, kind
	switch {
	case c.heapIdx < 0:
		c.heapKey = d
		c.heapIdx = int32(len(s.timers))
		s.timers = append(s.timers, c)
		s.siftUp(int(c.heapIdx))
	case d < c.heapKey:
		c.heapKey = d
		s.siftUp(int(c.heapIdx))
	}
}

func (s *Server) heapRemove(c *conn) {
	i := int(c.heapIdx)
	last := len(s.timers) - 1
	s.swap(i, last)
	s.timers[last] = nil
	s.timers = s.timers[:last]
	c.heapIdx = -1
	if i < last {
		s.siftDown(i)
		s.siftUp(i)
	}
}

func (s *Server) swap(i, j int) {
	t := s.timers
	t[i], t[j] = t[j], t[i]
	t[i].heapIdx, t[j].heapIdx = int32(i), int32(j)
}

func (s *Server) siftUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.timers[p].heapKey <= s.timers[i].heapKey {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *Server) siftDown(i int) {
	n := len(s.timers)
	for {
		m := i
		if l := 2*i + 1; l < n && s.timers[l].heapKey < s.timers[m].heapKey {
			m = l
		}
		if r := 2*i + 2; r < n && s.timers[r].heapKey < s.timers[m].heapKey {
			m = r
		}
		if m == i {
			return
		}
		s.swap(i, m)
		i = m
	}
}
