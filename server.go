package biplane

import (
	"errors"
	"iter"
	"sync/atomic"
	"time"
)

// Per-step bounds: what one call of Step may do at most, so that a step's
// cost does not grow with the number of connections. Server.StepConns
// lowers the first three (Server.budget).
const (
	stepAccepts  = 32 // connections accepted
	stepConns    = 64 // connections advanced
	stepTimers   = 64 // deadlines expired
	connRounds   = 8  // read/process/write rounds for one connection, fewer with StepConns
	maxRejecting = 64 // connections being answered 503 at once
	acceptPause  = 10 * time.Millisecond
)

// A Server serves HTTP/1.1 on the connections of a [Listener], one bounded
// step at a time, in the caller's goroutine. Set its fields, then drive it
// with [Server.Step], [Server.Steps] or [Server.Serve]. Its methods must be
// called from one goroutine; none of them starts another.
type Server struct {
	// Listener is where connections come from. Required.
	Listener Listener

	// Handler answers requests. If nil, every request is answered 404.
	Handler Handler

	// Limits bounds what clients may make the server hold or wait for.
	Limits Limits

	// OnPanic, if not nil, is called with the value of a handler's panic.
	// It runs in the deferred recover, so runtime/debug.Stack reports
	// where the panic happened. The client is answered 500; nobody else
	// notices.
	OnPanic func(v any)

	// OnResponse, if not nil, is called on the loop for every response the
	// server sends: a handler's when it is queued, a streamed or upgraded
	// one when it ends, and the server's own refusals and timeouts (400,
	// 408, 413, 414, 417, 431, 501, 503, 505) as it queues them. The
	// ResponseInfo and its byte slices are valid only during the call;
	// copy what you keep. With a callback that does not allocate, the
	// report allocates nothing; unset, it costs nothing. It must not
	// block: log to a buffer, a channel or a ring, not to a slow file.
	OnResponse func(ri *ResponseInfo)

	// Refusal, if not nil, gives the content of the server's own answers
	// (400, 408, 413, 414, 417, 431, 500, 501, 503, 505) in place of a
	// line of plain text: a JSON API answers them in JSON. It is given the
	// status and what was wrong, and returns the Content-Type and body.
	// The server keeps the status line, Content-Length, Connection: close
	// and the rest of the framing, and never reads the refused request's
	// body for it. A content type that is not a valid field value is
	// replaced by text/plain.
	Refusal func(status int, reason string) (contentType string, body []byte)

	// Clock, if not nil, is where the server reads the time, instead of
	// the system's clocks: for tests and simulations that move time by
	// hand, so that every deadline fires when they say. It is read once
	// per step.
	Clock func() time.Time

	// NoDate omits the Date field, for devices without a real-time clock
	// (RFC 9110 §6.6.1 forbids it to them).
	NoDate bool

	// StepConns bounds the connections one [Server.Step] advances, and
	// also the connections it accepts and the deadlines it acts on (32 and
	// 64 at most), and so how long a step can keep the caller's own work
	// waiting: each costs a few microseconds on a server-class core, an
	// accept or a close by timeout the most. Each connection advanced gets
	// up to 8 rounds of reading, answering and writing (a pipelining
	// client's requests, a large body's pieces), fewer when StepConns is
	// below 64: one round a connection at 8 or fewer. Fewer per step means
	// more steps, each with its own readiness check, for the same work. A
	// loop whose timer must fire within tens of microseconds under load
	// sets it low (4, say). If zero, 64 is used.
	StepConns int

	lim     Limits
	started bool
	done    bool // Step returns false
	stopped bool // Close has run
	err     error
	waiter  Waiter
	base    time.Time
	now     int64 // ns since base, read once per step

	conns      []*conn
	byNC       map[Conn]*conn // connections that are not Taggers
	active     int            // open connections, not counting those refused with 503
	rejecting  int
	ready      []*conn // the ready queue, a ring: nready from index first
	first      int
	nready     int
	timers     []*conn
	expireCut  bool // the last expire stopped at its bound, deadlines perhaps still due
	free       []*exchange
	made       int // exchanges made: in the pool or held by connections
	events     []Conn
	acceptable bool // the waiter says Accept may succeed
	polled     bool // Wait already collected readiness for the next step
	busy       bool // the last step moved bytes or accepted
	acceptAt   int64
	scratch    []byte // lingering closes discard into it
	date       [29]byte
	dateAt     int64 // now at which Date must be renewed
	stats      Stats
	info       ResponseInfo // OnResponse's, reused
	onShutdown []func()

	// Graceful shutdown: stopReq holds the requested timeout + 1, set from
	// any goroutine; the loop then drains until drainUntil.
	stopReq    atomic.Int64
	draining   bool
	drainUntil int64
}

// start prepares the server on its first step.
func (s *Server) start() bool {
	if s.started {
		return !s.done
	}
	s.started = true
	if s.Listener == nil {
		s.err = errors.New("biplane: Server.Listener is nil")
		s.done = true
		return false
	}
	s.lim = s.Limits.withDefaults()
	s.waiter, _ = s.Listener.(Waiter)
	s.byNC = make(map[Conn]*conn)
	if s.Clock == nil {
		s.base = time.Now()
	} else {
		s.base = s.Clock()
	}
	s.dateAt = -1
	s.tick()
	return true
}

// tick reads the clock once, and renews the Date value once a second.
// The monotonic clock alone gives now (time.Since reads nothing else); the
// wall clock is read only when a new second is due for Date.
func (s *Server) tick() {
	var t time.Time
	if s.Clock == nil {
		s.now = int64(time.Since(s.base))
	} else {
		t = s.Clock()
		s.now = int64(t.Sub(s.base))
	}
	if s.now < s.dateAt || s.NoDate {
		return
	}
	if s.Clock == nil {
		t = time.Now()
	}
	// RFC 9110 §5.6.7 IMF-fixdate, always 29 bytes.
	t.UTC().AppendFormat(s.date[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	s.dateAt = s.now + int64(time.Second) - int64(t.Nanosecond())
}

// dateValue returns the Date field's value for a response, or nil with
// NoDate.
func (s *Server) dateValue() []byte {
	if s.NoDate {
		return nil
	}
	return s.date[:]
}

// Step does one bounded round of work and returns without blocking: it
// collects readiness, accepts up to a few dozen connections, advances up to
// a few dozen ready ones and expires due deadlines. Like bufio.Scanner's
// Scan, it returns false once the server has stopped, after [Server.Close]
// or a listener failure; [Server.Err] then tells which.
func (s *Server) Step() bool {
	if !s.start() {
		return false
	}
	s.tick()
	if !s.draining && s.stopReq.Load() != 0 {
		s.beginShutdown(time.Duration(s.stopReq.Load() - 1))
	}
	if s.waiter != nil && !s.polled {
		s.poll(0)
	}
	s.polled, s.busy = false, false
	s.accept()
	// Each connection queued now is advanced at most once in this step;
	// those that requeue themselves wait for the next.
	for n := min(s.nready, s.budget(stepConns)); n > 0 && !s.done; n-- {
		s.dequeue().advance()
	}
	s.expire()
	if s.draining && (len(s.conns) == 0 || s.now >= s.drainUntil) {
		s.Close() // drained, or out of time: close what is left
	}
	return !s.done
}

// Steps returns a single-use iterator that calls [Server.Step] until it
// returns false, yielding the number of steps taken so far between steps.
// It is the loop of Biplane's "for _ in server.start()":
//
//	for range srv.Steps() {
//		led.Toggle() // your own work, between bounded steps
//	}
//	if err := srv.Err(); err != nil { … }
func (s *Server) Steps() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; s.Step(); i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// Wait blocks until the server has work for [Server.Step], its next
// deadline passes, or timeout passes, whichever is first. It returns at
// once if work is already pending or timeout is zero or negative, so the
// time until the caller's next tick can be passed as it is:
//
//	srv.Wait(time.Until(next))
//
// With a [Waiter] listener it sleeps in the kernel, so an idle server uses
// no CPU; without one it sleeps at most a millisecond.
func (s *Server) Wait(timeout time.Duration) {
	if timeout <= 0 {
		timeout = 0
	}
	s.wait(timeout)
}

// wait is Wait, where a negative timeout means no limit of the caller's.
func (s *Server) wait(timeout time.Duration) {
	if !s.start() {
		return
	}
	if s.waiter == nil {
		// Nothing reports readiness: every connection stays queued and is
		// polled in turn. Sleep a little only after a step that found
		// nothing to do, so an idle server does not spin.
		if !s.busy && timeout != 0 {
			if timeout < 0 || timeout > time.Millisecond {
				timeout = time.Millisecond
			}
			time.Sleep(timeout)
		}
		return
	}
	if s.nready > 0 || (s.acceptable && s.acceptAt <= s.now) {
		return
	}
	s.tick()
	if len(s.timers) > 0 {
		if d := time.Duration(max(s.timers[0].heapKey-s.now, 0)); timeout < 0 || d < timeout {
			timeout = d
		}
	}
	if s.acceptable {
		if d := time.Duration(max(s.acceptAt-s.now, 0)); timeout < 0 || d < timeout {
			timeout = d
		}
	}
	s.poll(timeout)
	s.polled = true
}

// Serve steps the server until it stops, waiting for readiness between
// steps. It returns nil after [Server.Close] or [Server.Shutdown], else the
// listener's error.
func (s *Server) Serve() error {
	// Without a Waker nothing can cut a wait short, so wait in slices
	// short enough for Shutdown to be noticed.
	limit := time.Duration(-1)
	if _, ok := s.Listener.(Waker); !ok {
		limit = 50 * time.Millisecond
	}
	for s.Step() {
		s.wait(limit)
	}
	return s.Err()
}

// Err returns the error that stopped the server, or nil if it is running
// or was stopped by [Server.Close] or [Server.Shutdown].
func (s *Server) Err() error { return s.err }

// Conns returns the number of open connections, including any being
// answered 503.
func (s *Server) Conns() int { return len(s.conns) }

// Close closes the listener and every connection at once, and stops the
// server: Step returns false from then on. It returns the listener's Close
// error.
func (s *Server) Close() error {
	if s.stopped {
		return nil
	}
	s.stopped, s.started, s.done = true, true, true
	for len(s.conns) > 0 {
		s.conns[len(s.conns)-1].close(ErrServerClosed)
	}
	if s.Listener == nil {
		return nil
	}
	return s.Listener.Close()
}

// Shutdown asks the server to stop gracefully, and returns at once. From
// the next step on, the server accepts no more connections (with an
// [AcceptCloser] listener, the listening socket is closed so that new
// connections are refused), closes connections idle between requests,
// and lets requests in flight finish, answering them with
// "Connection: close". Once every connection has closed, or timeout has
// passed, it closes whatever is left and Step returns false; Err is nil.
//
// Unlike the other methods, Shutdown may be called from any goroutine, a
// signal handler's say: with a [Waker] listener it wakes the loop from
// Wait. Calls after the first have no effect.
func (s *Server) Shutdown(timeout time.Duration) {
	if s.stopReq.CompareAndSwap(0, int64(max(timeout, 0))+1) {
		if w, ok := s.Listener.(Waker); ok {
			w.Wake()
		}
	}
}

// OnShutdown registers f to be called on the loop when a [Server.Shutdown]
// begins, before idle connections close: to end event streams
// (sse.Broker.Close) or say goodbye to WebSocket peers (websocket.Hub),
// whose connections would otherwise hold the drain until its timeout.
// Hooks run in the order registered. Call it from the loop's goroutine,
// or before serving.
func (s *Server) OnShutdown(f func()) {
	s.onShutdown = append(s.onShutdown, f)
}

// beginShutdown starts draining, on the loop.
func (s *Server) beginShutdown(timeout time.Duration) {
	s.draining = true
	s.drainUntil = s.now + int64(timeout)
	for _, f := range s.onShutdown {
		f()
	}
	if ac, ok := s.Listener.(AcceptCloser); ok {
		ac.CloseAccept()
	}
	// Advance every connection once: idle ones close, busy ones finish.
	for _, c := range s.conns {
		s.enqueue(c)
	}
}

// fail stops the server with err.
func (s *Server) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.Close()
}

// poll collects readiness from the waiter.
func (s *Server) poll(timeout time.Duration) {
	evs, acceptable, err := s.waiter.Wait(s.events[:0], timeout)
	if err != nil {
		s.fail(err)
		return
	}
	s.acceptable = s.acceptable || acceptable
	for i, nc := range evs {
		if c := s.lookup(nc); c != nil {
			s.enqueue(c)
		}
		evs[i] = nil
	}
	s.events = evs[:0]
}

// lookup finds nc's connection: among a few by searching them in turn,
// else by its tag if it is a Tagger, else in the map. (A map keyed by an
// interface hashes the key through reflection under TinyGo, and allocates
// on every lookup.)
func (s *Server) lookup(nc Conn) *conn {
	if len(s.conns) <= 8 {
		for _, c := range s.conns {
			if c.nc == nc {
				return c
			}
		}
		return nil
	}
	if t, ok := nc.(Tagger); ok {
		// A report of a connection closed since finds another, or none.
		if i := int(t.Tag()); i < len(s.conns) && s.conns[i].nc == nc {
			return s.conns[i]
		}
		return nil
	}
	return s.byNC[nc]
}

// budget returns a step's bound for one kind of work: def, or StepConns
// if that is lower. A loop that asks for short steps gets them whatever
// the work: a burst of new connections or a wave of idle timeouts is
// spread over steps as its requests are.
func (s *Server) budget(def int) int {
	if s.StepConns > 0 {
		return min(def, s.StepConns)
	}
	return def
}

// rounds returns the rounds of reading, answering and writing one
// connection gets in a step: connRounds, or with StepConns below
// stepConns, a share of them as small as StepConns is of stepConns (one
// at least), so that StepConns 4 makes a step of at most 4 rounds in all.
func (s *Server) rounds() int {
	if s.StepConns > 0 && s.StepConns < stepConns {
		return max(1, connRounds*s.StepConns/stepConns)
	}
	return connRounds
}

// accept takes up to stepAccepts new connections (fewer with StepConns).
func (s *Server) accept() {
	if s.draining || (s.waiter != nil && !s.acceptable) || s.now < s.acceptAt {
		return
	}
	for range s.budget(stepAccepts) {
		nc, err := s.Listener.Accept()
		if err == ErrWouldBlock {
			s.acceptable = false
			return
		}
		if err != nil {
			var t interface{ Temporary() bool }
			if errors.As(err, &t) && t.Temporary() {
				// Out of descriptors, say: try again soon rather than spin.
				s.acceptAt = s.now + int64(acceptPause)
				return
			}
			s.fail(err)
			return
		}
		s.busy = true
		s.stats.Accepted++
		s.open(nc)
	}
}

// open starts serving nc, or refuses it with 503 when over MaxConns.
func (s *Server) open(nc Conn) {
	rejected := s.active >= s.lim.MaxConns
	if rejected && s.rejecting >= maxRejecting {
		nc.Close() // even the 503s are over their bound: close at once
		return
	}
	c := &conn{s: s, nc: nc, heapIdx: -1, idx: int32(len(s.conns)), rejected: rejected}
	s.conns = append(s.conns, c)
	if t, ok := nc.(Tagger); ok {
		c.tagged = true
		t.SetTag(uint32(c.idx))
	} else {
		s.byNC[nc] = c
	}
	if rejected {
		s.rejecting++
		s.acquire(c)
		// RFC 9110 §15.6.4: overloaded, try later.
		c.queueError(503, "too many connections", "Retry-After: 1\r\n")
	} else {
		s.active++
	}
	s.setDeadline(c, s.now+int64(s.lim.RequestTimeout), timeRequest)
	s.enqueue(c)
}

// forget removes c, which is closing, from the server.
func (s *Server) forget(c *conn) {
	s.stats.Closed++
	c.nc.Close()
	if c.heapIdx >= 0 {
		s.heapRemove(c)
	}
	last := s.conns[len(s.conns)-1]
	s.conns[c.idx], last.idx = last, c.idx
	if last.tagged {
		last.nc.(Tagger).SetTag(uint32(last.idx))
	}
	s.conns[len(s.conns)-1] = nil
	s.conns = s.conns[:len(s.conns)-1]
	if !c.tagged {
		delete(s.byNC, c.nc)
	}
	if c.rejected {
		s.rejecting--
	} else {
		s.active--
	}
}

// park leaves c to wait for readiness. Without a Waiter nothing reports
// readiness, so c stays in the queue and is polled in turn.
func (s *Server) park(c *conn) {
	if s.waiter == nil {
		s.enqueue(c)
	}
}

// call runs the handler on req, into *resp: hh's RespondHead if hh is not
// nil, else Respond. ok is false if it panicked. answered is RespondHead's.
func (s *Server) call(req *Request, hh HeadHandler, resp *Response) (answered, ok bool) {
	// A method, not a closure: TinyGo allocates a closure that captures
	// on every call. After a panic ok keeps its zero value, false.
	defer s.recoverHandler()
	switch {
	case hh != nil:
		*resp, answered = hh.RespondHead(req)
	case s.Handler == nil:
		*resp = Response{Status: 404, ContentType: "text/plain; charset=utf-8", Body: notFoundBody}
	default:
		if m, ok := s.Handler.(*Mux); ok {
			m.respondTo(req, resp)
			break
		}
		*resp = s.Handler.Respond(req)
	}
	return answered, true
}

// errorResponse is the server's own answer with status, as a Response.
func (s *Server) errorResponse(status int) Response {
	ct, body := s.refusal(status, StatusText(status))
	return Response{Status: status, ContentType: ct, Body: body}
}

var internalError = []byte("500 internal server error\n")

// refusal returns the content of the server's own answer with status: the
// program's, from Refusal, or reason as plain text.
func (s *Server) refusal(status int, reason string) (ct string, body []byte) {
	if s.Refusal != nil {
		if ct, body, ok := s.callRefusal(status, reason); ok {
			return ct, body
		}
	}
	if status == 500 {
		return "text/plain; charset=utf-8", internalError
	}
	return "text/plain; charset=utf-8", []byte(reason + "\n")
}

// callRefusal calls Refusal, turning a panic or an invalid content type
// into ok == false.
func (s *Server) callRefusal(status int, reason string) (ct string, body []byte, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			s.panicked(v)
			ok = false
		}
	}()
	ct, body = s.Refusal(status, reason)
	return ct, body, ct != "" && ValidField("Content-Type", ct)
}

// recoverHandler recovers a panic of the program's code; call and
// conn.write defer it.
func (s *Server) recoverHandler() {
	if v := recover(); v != nil {
		s.panicked(v)
	}
}

// panicked reports a recovered panic of the program's code.
func (s *Server) panicked(v any) {
	s.stats.Panics++
	if s.OnPanic != nil {
		s.OnPanic(v)
	}
}

// acquire gives c buffers from the pool.
func (s *Server) acquire(c *conn) {
	var ex *exchange
	if n := len(s.free); n > 0 {
		ex, s.free = s.free[n-1], s.free[:n-1]
	} else {
		ex = &exchange{p: Parser{Limits: s.lim}}
		s.made++
	}
	if ex.rbuf == nil {
		ex.rbuf = make([]byte, s.lim.ReadBufferSize)
	}
	if ex.wbuf == nil {
		ex.wbuf = make([]byte, 0, s.lim.WriteBufferSize)
	}
	c.ex = ex
}

// release returns c's buffers to the pool. Buffers grown for a large
// request are dropped rather than pooled, so the pool stays small.
func (s *Server) release(c *conn) {
	ex := c.ex
	c.ex = nil
	ex.r, ex.w, ex.wpos, ex.out, ex.head = 0, 0, 0, nil, 0
	ex.wbuf = ex.wbuf[:0]
	if len(ex.rbuf) != s.lim.ReadBufferSize {
		ex.rbuf = nil
	}
	if cap(ex.wbuf) != s.lim.WriteBufferSize {
		ex.wbuf = nil
	}
	ex.p.Reset()
	ex.rc, ex.rcHeader, ex.lineKept = nil, nil, false
	s.free = append(s.free, ex)
}

// enqueue appends c to the ready queue unless it is there already. The
// queue is a ring, its length a power of two, that grows by doubling to
// the most connections ever ready at once, so that an idle connection
// pays nothing for it.
func (s *Server) enqueue(c *conn) {
	if c.queued || c.state == stateClosed {
		return
	}
	c.queued = true
	if s.nready == len(s.ready) {
		ring := make([]*conn, max(2*len(s.ready), 16))
		n := copy(ring, s.ready[s.first:])
		copy(ring[n:], s.ready[:s.first])
		s.ready, s.first = ring, 0
	}
	s.ready[(s.first+s.nready)&(len(s.ready)-1)] = c
	s.nready++
}

// dequeue removes the first connection from the ready queue.
func (s *Server) dequeue() *conn {
	c := s.ready[s.first]
	s.ready[s.first] = nil
	s.first = (s.first + 1) & (len(s.ready) - 1)
	s.nready--
	c.queued = false
	return c
}

// expire acts on up to stepTimers due deadlines (fewer with StepConns),
// and repositions up to stepTimers whose deadline has moved later: that
// costs a heap sift, not a timeout's system calls.
func (s *Server) expire() {
	acts, moves := s.budget(stepTimers), stepTimers
	s.expireCut = false
	for acts > 0 && moves > 0 {
		if len(s.timers) == 0 || s.done {
			return
		}
		c := s.timers[0]
		if c.heapKey > s.now {
			return
		}
		if c.deadline > s.now {
			// The deadline moved later since it was placed: reposition.
			c.heapKey = c.deadline
			s.siftDown(0)
			moves--
			continue
		}
		s.heapRemove(c)
		c.timeout()
		acts--
	}
	s.expireCut = true
}
