package biplane

import (
	"io"
	"strconv"
)

// Connection states (RFC 9112 §9). Every transition is made in this file;
// the table of them is doc.go's ("Connection states"), and TestStateTable
// checks that it lists every state below. Writing is not a state: queued
// output is written before anything else happens, so responses leave in
// request order and pipelined responses leave together; closeAfter closes
// (lingering or not) once it has left.
const (
	stateHead     uint8 = iota // reading a request head
	stateBody                  // reading a body into the read buffer
	stateHandler               // the handler is running
	stateReceive               // handing a body to a Receiver as it arrives
	stateDrain                 // discarding the body of a request refused on its head
	stateReply                 // the body was received; waiting for the Receiver's response
	stateSend                  // sending a streamed response (Response.Stream)
	stateUpgraded              // after 101: bytes both ways (Response.Upgrade)
	stateLinger                // lingering close: output sent, input discarded
	stateClosed                // closed; the conn is forgotten
)

// stateNames names the states as doc.go's table does.
var stateNames = [...]string{
	stateHead:     "head",
	stateBody:     "body",
	stateHandler:  "handler",
	stateReceive:  "receive",
	stateDrain:    "drain",
	stateReply:    "reply",
	stateSend:     "send",
	stateUpgraded: "upgraded",
	stateLinger:   "linger",
	stateClosed:   "closed",
}

// Deadline kinds, so that an expiring deadline knows what it was for.
const (
	timeRequest uint8 = iota // a request or its body is due (408), or a new connection's first one
	timeIdle                 // waiting between requests, or for the program
	timeWrite                // the peer must accept output
	timeLinger               // lingering close
)

// Lingering close (RFC 9112 §9.6): after sending FIN, discard at most this
// much for at most this long before closing, so the peer reads our final
// response rather than a reset caused by its unread request bytes.
const (
	lingerBytes = 256 << 10
	lingerTime  = 2e9 // 2 s, in ns
)

// A conn is one connection and its state machine. It stays small: the
// buffers live in an exchange, attached only while a request or response
// is in flight.
type conn struct {
	s        *Server
	nc       Conn
	ex       *exchange
	st       *stream // a streamed response or upgraded protocol, while it lasts
	deadline int64   // ns since Server.base
	heapKey  int64   // deadline when last placed in the heap; <= deadline
	heapIdx  int32   // -1 when not in the heap
	idx      int32   // in Server.conns
	lingered int32
	requests uint32 // request heads parsed; the current one's Wakeups carry it
	state    uint8
	timeKind uint8
	queued   bool
	// closeAfter: close once the queued output is written. linger: do a
	// lingering close then, rather than closing at once.
	closeAfter, linger bool
	rejected           bool // over MaxConns; answered 503
	held               bool // the program holds the connection back until a Wake
	tagged             bool // nc is a Tagger holding idx, and not in Server.byNC
}

// An exchange is the buffers and parse state of one connection while it is
// busy. Idle connections give theirs back to the server's pool.
type exchange struct {
	rbuf     []byte // input; bytes [r, w) are unconsumed
	r, w     int
	wbuf     []byte // queued output; bytes [wpos, len) are unwritten
	wpos     int
	out      []byte // a body queued after wbuf, written without a copy
	iov      [2][]byte
	p        Parser
	head     int   // length of the parsed head of the current request
	reqStart int64 // when the current request's first byte arrived
	body     body
	rc       Receiver // the current body's receiver, until it is ended
	rcHeader []Field  // fields of the response that accepted the body, for the final one
	line     logLine  // the request's line, for Server.OnResponse
	lineKept bool     // line holds the current request's
	ownError bool     // the response being queued is the server's own 500
}

// compact moves the unconsumed input to the front of the read buffer once
// less than a quarter of it is left free behind it.
func (ex *exchange) compact() {
	if free := len(ex.rbuf) - ex.w; ex.r > 0 && free < len(ex.rbuf)/4 {
		ex.w = copy(ex.rbuf, ex.rbuf[ex.r:ex.w])
		ex.r = 0
	}
}

// pending reports whether output is queued.
func (ex *exchange) pending() bool { return ex.wpos < len(ex.wbuf) || len(ex.out) > 0 }

// advance moves c forward as far as it can without blocking, within a
// bound of rounds. A connection that still has work goes back in the queue.
func (c *conn) advance() {
	s := c.s
	for range s.rounds() {
		if c.state == stateClosed {
			return
		}
		if ex := c.ex; ex != nil && (ex.pending() || c.fileQueued()) {
			progress, err := c.flush()
			s.busy = s.busy || progress
			if err == ErrWouldBlock {
				if progress || c.timeKind != timeWrite {
					// Each byte the peer accepts restarts its clock.
					s.setDeadline(c, s.now+int64(s.lim.WriteTimeout), timeWrite)
				}
				s.park(c)
				return
			}
			if err != nil {
				c.close(err)
				return
			}
		}
		if c.closeAfter {
			c.finish()
			continue
		}
		var more bool
		switch c.state {
		case stateHead, stateBody:
			more = c.process() || c.input()
		case stateReceive, stateDrain:
			more = c.receive()
		case stateReply:
			more = c.awaitReply()
		case stateSend, stateUpgraded:
			more = c.pump()
		case stateLinger:
			more = c.discard()
		}
		if !more {
			return
		}
	}
	s.enqueue(c)
}

// flush writes queued output until it is all written or the peer's window
// is full, and ends a file stream once its last byte is written. It
// reports whether any byte was written.
func (c *conn) flush() (progress bool, err error) {
	ex := c.ex
	for ex.pending() || c.fileQueued() {
		var n int
		var vw VectorWriter
		if ex.wpos < len(ex.wbuf) && len(ex.out) > 0 {
			// Both at once, where the transport can: asked only then, as
			// most responses fit in the write buffer.
			vw, _ = c.nc.(VectorWriter)
		}
		switch {
		case c.fileQueued():
			n, err = c.sendFile() // the write buffer's bytes, then the file's
		case vw != nil:
			ex.iov[0], ex.iov[1] = ex.wbuf[ex.wpos:], ex.out
			n, err = vw.Writev(ex.iov[:])
			ex.iov[0], ex.iov[1] = nil, nil
			if w := min(n, len(ex.wbuf)-ex.wpos); w > 0 {
				ex.wpos += w
				n -= w
			}
			ex.out = ex.out[n:]
		case ex.wpos < len(ex.wbuf):
			n, err = c.nc.Write(ex.wbuf[ex.wpos:])
			ex.wpos += n
		default:
			n, err = c.nc.Write(ex.out)
			ex.out = ex.out[n:]
		}
		if ex.wpos == len(ex.wbuf) {
			ex.wbuf, ex.wpos = ex.wbuf[:0], 0
		}
		if len(ex.out) == 0 {
			ex.out = nil
		}
		progress = progress || n > 0
		if err == nil && n == 0 {
			err = ErrWouldBlock // a transport that neither writes nor says why
		}
		if err != nil {
			return progress, err
		}
	}
	return progress, nil
}

// input reads more input for the head, body or receive states, and acts
// on what the read says. It reports whether to keep going.
func (c *conn) input() bool {
	n, err := c.read()
	switch {
	case n > 0:
		c.s.busy = true
		if c.state != stateHead {
			c.ex.body.lastAt = c.s.now
		}
		return true
	case err == ErrWouldBlock:
		c.rest()
		c.s.park(c)
		return false
	}
	if pe, ok := err.(*ProtocolError); ok {
		c.refuse(pe)
		return true
	}
	// EOF or a broken connection. Complete requests were answered before
	// this read, so nothing is owed; a body that is cut short is told.
	if err == io.EOF && c.state != stateHead {
		err = io.ErrUnexpectedEOF
	}
	c.close(err)
	return false
}

// read reads into the connection's buffer, growing it when the current
// request needs the room.
func (c *conn) read() (int, error) {
	s := c.s
	if c.ex == nil {
		s.acquire(c)
	}
	ex := c.ex
	if ex.r == ex.w && c.state == stateHead {
		ex.r, ex.w = 0, 0
	}
	// Nothing refers to the old positions: spans are relative to the
	// request's start, and no body is queued for writing while we read.
	ex.compact()
	if ex.w == len(ex.rbuf) {
		limit := c.maxBuffer()
		if len(ex.rbuf) >= limit {
			// The parser refuses input past the limits before this; this
			// is a second line of defence, never a way to buffer more.
			return 0, protoErr(431, "request too large", nil)
		}
		// Grow by doubling as bytes actually arrive, never by what
		// Content-Length claims.
		nb := make([]byte, min(2*len(ex.rbuf), limit))
		copy(nb, ex.rbuf[ex.r:ex.w])
		ex.rbuf, ex.w, ex.r = nb, ex.w-ex.r, 0
	}
	fresh := ex.r == ex.w && c.state == stateHead
	n, err := c.nc.Read(ex.rbuf[ex.w:])
	if n > 0 {
		ex.w += n
		if fresh {
			ex.reqStart = s.now
		}
	}
	return n, err
}

// maxBuffer is the most input the current state may need buffered.
func (c *conn) maxBuffer() int {
	ex, lim := c.ex, &c.s.lim
	switch {
	case c.state == stateHead:
		// One leading CRLF, the line and the header section, plus one byte
		// so the parser can see that a limit was passed.
		return 2 + lim.MaxRequestLine + lim.MaxHeaderBytes + 1
	case ex.body.chunked && c.state == stateBody:
		return ex.head + int(ex.body.max) + maxChunkLine + lim.MaxHeaderBytes + 2
	case c.state == stateBody:
		return ex.head + int(ex.body.total)
	case ex.body.chunked:
		// Streamed: room for the longest framing line or trailer section.
		return max(len(ex.rbuf), maxChunkLine+lim.MaxHeaderBytes+2)
	}
	return len(ex.rbuf) // streamed by Content-Length: what is there
}

// process handles the complete requests buffered on c in the head and body
// states, queueing their responses, until one needs more input or the
// output should leave first. It reports whether it made progress; false
// means it needs more input.
func (c *conn) process() bool {
	ex := c.ex
	if ex == nil {
		return false
	}
	progress := false
	for !c.closeAfter && len(ex.out) == 0 {
		switch c.state {
		case stateHead:
			if ex.r == ex.w || !c.parseHead() {
				return progress
			}
		case stateBody:
			if !c.bufferBody() {
				return progress
			}
		default:
			return true // the handler moved on to another state
		}
		progress = true
		if c.state == stateClosed {
			return false
		}
		if ex.pending() && len(ex.wbuf) > cap(ex.wbuf)/2 {
			return true // flush first, so the next response has room
		}
	}
	return progress
}

// parseHead parses the head at the front of the input. Once it is
// complete, the request is answered (no body), offered to the handler on
// its head (a HeadHandler), or its body buffered. It reports whether it
// made progress.
func (c *conn) parseHead() bool {
	s, ex := c.s, c.ex
	n, err := ex.p.Parse(ex.rbuf[ex.r:ex.w])
	if err != nil {
		c.refuse(err)
		return true
	}
	if n == 0 {
		return false
	}
	ex.head = n
	c.requests++
	req := &ex.p.req
	if s.OnResponse != nil {
		ex.line.keep(req, ex.reqStart)
		ex.lineKept = true
	}
	if req.flags&flagChunked == 0 && req.contentLength == 0 {
		c.respond(0)
		return true
	}
	ex.body.start(req, &s.lim, ex.reqStart, s.now)
	if hh, ok := s.Handler.(HeadHandler); ok {
		var resp Response
		answered := c.call(c.request(-1), hh, &resp)
		switch {
		case c.state == stateClosed:
		case answered:
			c.answerHead(req, &resp)
		default:
			c.bodyNext()
		}
		return true
	}
	c.bodyNext()
	return true
}

// bodyNext goes on to buffer the current request's body.
func (c *conn) bodyNext() {
	ex := c.ex
	req := &ex.p.req
	if ex.body.tooLarge() {
		// RFC 9110 §15.5.14: refuse before reading the body.
		c.refuse(protoErr(413, "request body too large", nil))
		return
	}
	c.state = stateBody
	c.s.setDeadline(c, ex.body.deadline(), timeRequest)
	if ex.w-ex.r-ex.head < int(ex.body.total) || ex.body.chunked {
		c.invite(req)
	}
}

// invite sends 100 Continue if the client waits for it: the body will be
// read (RFC 9110 §10.1.1).
func (c *conn) invite(req *Request) {
	if req.flags&flagExpectContinue != 0 && req.minor == 1 {
		c.ex.wbuf = append(c.ex.wbuf, "HTTP/1.1 100 Continue\r\n\r\n"...)
	}
}

// bufferBody decodes the buffered body as far as it has arrived, and calls
// the handler once it is complete. It reports whether it made progress.
func (c *conn) bufferBody() bool {
	ex := c.ex
	b := &ex.body
	start := ex.r + ex.head
	if !b.chunked {
		if ex.w-start < int(b.total) {
			b.received = int64(ex.w - start)
			c.s.setDeadline(c, b.deadline(), timeRequest)
			return false
		}
		b.left, b.received = 0, b.total
		c.respond(int(b.total))
		return true
	}
	if !b.decoded() {
		held := start + int(b.received)
		n, used, err := b.decode(ex.rbuf[held:ex.w], &c.s.lim)
		if err != nil {
			c.refuse(err)
			return true
		}
		b.received += int64(n)
		ex.w = held + used
		if !b.decoded() {
			c.s.setDeadline(c, b.deadline(), timeRequest)
			return false
		}
	}
	ex.p.req.contentLength = b.received
	c.respond(int(b.received))
	return true
}

// respond runs the handler for the current request, whose body (size
// bytes, decoded) is complete in the buffer, and queues its response.
func (c *conn) respond(size int) {
	ex := c.ex
	req := c.request(size)
	start := ex.r + ex.head
	var resp Response
	c.call(req, nil, &resp)
	if c.state == stateClosed {
		return
	}
	if resp.Receive != nil {
		// The body goes to the receiver after all, from the buffer.
		if size == 0 {
			ex.body.start(req, &c.s.lim, ex.reqStart, c.s.now) // none was read
		}
		ex.r = start
		ex.body.asLength(size)
		ex.body.received = 0
		c.receiveNext(resp.Receive, resp.Header)
		return
	}
	ex.r = start + size
	c.answer(&resp)
}

// request fills in the current request for its handler, the one place
// that does: its bytes, with size bytes of decoded body behind the head (or
// none read yet, if size < 0), and the connection's part.
func (c *conn) request(size int) *Request {
	ex := c.ex
	req := &ex.p.req
	start := ex.r + ex.head
	req.buf = ex.rbuf[ex.r : start+max(size, 0)]
	if size >= 0 {
		req.body = ex.rbuf[start : start+size : start+size]
	}
	req.srv, req.conn = c.s, c
	return req
}

// call runs the handler on req, into *resp: hh's RespondHead if hh is not
// nil, else Respond. A panic becomes a 500. For RespondHead, answered
// reports whether resp is the answer.
func (c *conn) call(req *Request, hh HeadHandler, resp *Response) (answered bool) {
	s := c.s
	c.state = stateHandler
	answered, ok := s.call(req, hh, resp)
	if c.state == stateClosed {
		return answered // the handler closed the server
	}
	c.state = stateHead
	if !ok {
		closeResponse(resp)
		*resp, answered = s.errorResponse(500), true
		c.ex.ownError = true
	}
	if answered || hh == nil {
		s.stats.Requests++
	}
	return answered
}

// answerHead acts on a response to a request's head: a Receiver takes the
// body, or the refusal goes out and the body is discarded or the
// connection closed.
func (c *conn) answerHead(req *Request, resp *Response) {
	ex := c.ex
	if resp.Receive != nil {
		if ex.body.tooLarge() {
			err := protoErr(413, "request body too large", nil)
			c.abortReceiver(resp.Receive, err)
			c.refuse(err)
			return
		}
		ex.r += ex.head
		c.receiveNext(resp.Receive, resp.Header)
		c.invite(req)
		return
	}
	// The body is not wanted. Discard a small one and keep the connection;
	// otherwise close after the response (RFC 9110 §10.1.1): a client that
	// waits for 100 Continue is not going to send it.
	drain := !ex.body.chunked && ex.body.total <= DrainBytes &&
		req.flags&flagExpectContinue == 0 && resp.Stream == nil && resp.Upgrade == nil
	if !drain {
		resp.Upgrade = nil // never switch protocols under an unread body
		if resp.Status == 101 {
			resp.Status = 500
		}
		c.queue(req, resp, closeUnread)
		ex.r = ex.w // framing is in doubt: nothing more is parsed
		c.closeAfter, c.linger = true, true
		return
	}
	if !c.queue(req, resp, "") {
		return
	}
	ex.r += ex.head
	c.receiveNext(nil, nil)
}

// receiveNext hands the current body, whose first byte is at ex.r, to rc
// as it arrives, or discards it if rc is nil. header holds the fields of
// the response that accepted the body (middleware's, say), which the final
// response gets too.
func (c *conn) receiveNext(rc Receiver, header []Field) {
	ex := c.ex
	ex.rc, ex.rcHeader = rc, header
	c.state = stateReceive
	if rc == nil {
		c.state = stateDrain
	}
	ex.body.restart(c.s.now)
	c.s.setDeadline(c, ex.body.deadline(), timeRequest)
}

// receive hands decoded pieces of the body to the receiver (or discards
// them) until it is complete, the receiver holds back, or more input is
// needed. It reports whether to keep going.
func (c *conn) receive() bool {
	s, ex := c.s, c.ex
	if c.held {
		return false // until a Wake
	}
	b := &ex.body
	if b.pend == 0 && !b.decoded() && ex.r < ex.w {
		n, used, err := b.decode(ex.rbuf[ex.r:ex.w], &s.lim)
		if err != nil {
			c.fail(err)
			return true
		}
		b.pend = n
		ex.w = ex.r + used
	}
	if b.pend > 0 {
		n, err := b.pend, error(nil)
		if ex.rc != nil {
			n, err = c.write(ex.rbuf[ex.r : ex.r+b.pend])
			if c.state == stateClosed {
				return false
			}
		}
		ex.r += n
		b.pend -= n
		b.received += int64(n)
		if n > 0 {
			s.busy = true
			s.setDeadline(c, b.deadline(), timeRequest)
		}
		switch {
		case err == ErrWouldBlock:
			// The program holds the body back: stop reading, so that TCP
			// flow control holds the client back, until a Wake. The
			// program has the idle timeout to resume.
			c.held = true
			s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
			return false
		case err != nil:
			c.fail(err)
			return true
		}
	}
	if b.pend == 0 && b.decoded() {
		if c.state == stateDrain {
			ex.p.Reset()
			ex.lineKept = false
			c.state = stateHead
			c.awaitRequest()
			return true
		}
		c.state = stateReply
		return c.awaitReply()
	}
	if b.pend > 0 || (ex.r < ex.w && !b.chunked) {
		return true
	}
	return c.input()
}

// write gives p to the receiver, turning a panic into an error.
func (c *conn) write(p []byte) (n int, err error) {
	n, err = c.callWrite(p)
	n = max(0, min(n, len(p)))
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	return n, err
}

var errPanic = protoErr(500, "handler panicked", nil)

// callWrite calls the receiver's Write. A panic is recovered by a deferred
// method rather than a closure (which TinyGo allocates on every call), and
// leaves the results at their zero values, which write turns into errPanic.
func (c *conn) callWrite(p []byte) (n int, err error) {
	err = errPanic
	defer c.s.recoverHandler()
	return c.ex.rc.Write(p)
}

// awaitReply asks the receiver, whose body has arrived whole, for its
// final response, and queues it. It reports whether to keep going.
func (c *conn) awaitReply() bool {
	ex := c.ex
	if c.held {
		return false
	}
	resp, err := c.done()
	if c.state == stateClosed {
		return false
	}
	switch {
	case err == ErrWouldBlock:
		c.held = true
		c.s.setDeadline(c, c.s.now+int64(c.s.lim.IdleTimeout), timeIdle)
		return false
	case err != nil:
		c.fail(err)
		return true
	}
	ex.rc = nil // ended
	if n := len(ex.rcHeader); n > 0 {
		resp.Header = append(ex.rcHeader[:n:n], resp.Header...)
		ex.rcHeader = nil
	}
	c.answer(&resp)
	return true
}

// pump moves a streamed response's or an upgraded protocol's bytes. It
// reports whether to keep going.
func (c *conn) pump() bool {
	if c.move() {
		if c.st != nil {
			// Each byte moved restarts a stream's idle clock.
			c.s.setDeadline(c, c.s.now+int64(c.s.lim.IdleTimeout), timeIdle)
		}
		c.s.busy = true
		return true
	}
	if c.state != stateClosed {
		c.streamRest()
		c.s.park(c)
	}
	return false
}

// done asks the receiver for its final response, turning a panic into an
// error.
func (c *conn) done() (resp Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.s.panicked(v)
			resp, err = Response{}, errPanic
		}
	}()
	return c.ex.rc.Done()
}

// answer queues the final response to the current request, whose body has
// been consumed, and goes on: to the next request, the response's stream,
// its upgrade, or a close.
func (c *conn) answer(resp *Response) {
	ex := c.ex
	req := &ex.p.req
	if !c.queue(req, resp, "") {
		return
	}
	ex.p.Reset()
	ex.lineKept = false
	if c.state == stateClosed {
		return
	}
	if c.st == nil {
		c.state = stateHead
		if !c.closeAfter {
			c.awaitRequest()
		}
		return
	}
	if c.st.mode == modeUpgrade {
		c.state = stateUpgraded
	} else {
		c.state = stateSend
		// Fill what room the head left, so that a small body leaves in
		// the same write; it may end the stream at once.
		c.fill()
	}
	if c.state == stateSend || c.state == stateUpgraded {
		// No request is parsed until the stream ends, so no request clock
		// runs; a stream that moves nothing for the idle timeout closes.
		c.s.setDeadline(c, c.s.now+int64(c.s.lim.IdleTimeout), timeIdle)
	}
}

// queue queues resp as the answer to req: its head, and its body or the
// stream that produces it (c.st). A response the handler got wrong is
// replaced by a 500. why, if not empty, closes the connection after it in
// any case, and says why. It reports false if the connection was closed
// instead.
func (c *conn) queue(req *Request, resp *Response, why string) bool {
	s, ex := c.s, c.ex
	switch {
	case why != "":
	case req.flags&flagClose != 0:
		why = closeClient
	case s.draining:
		why = closeDraining
	}
	h, ok := checkResponse(req, resp, why != "")
	if !ok {
		closeResponse(resp)
		*resp = s.errorResponse(500)
		ex.ownError = true
		h, _ = checkResponse(req, resp, why != "")
	}
	switch {
	case !h.closing || why != "":
	case h.stream == modeUntilClose:
		why = closeStreamed
	default:
		why = closeHandler
	}
	before := len(ex.wbuf)
	w := appendHead(ex.wbuf, resp, &h, s.dateValue())
	body := resp.Body
	if h.noBody {
		body = nil
	}
	if len(body) <= cap(w)-len(w) {
		w = append(w, body...)
	} else {
		ex.out = body
	}
	ex.wbuf = w
	// A client that asked to close sends nothing more; lingering is for
	// peers whose further bytes we are refusing to read.
	linger := ex.r+ex.head+len(req.body) < ex.w
	switch {
	case h.upgrade:
		c.st = &stream{r: resp.Upgrade, in: resp.Upgrade, mode: modeUpgrade}
	case h.stream != 0:
		c.st = &stream{r: resp.Stream, left: resp.Length, mode: h.stream, close: h.closing, linger: linger, why: why}
		if h.stream == modeLength {
			c.st.sendFrom(c.nc, resp.Stream)
		}
	case h.closing:
		c.closeAfter, c.linger = true, linger
	}
	if s.OnResponse != nil {
		bytes := int64(len(w) - before + len(ex.out))
		if c.st == nil {
			s.report(c, &ex.line, h.status, bytes, ex.ownError, why)
		} else {
			c.st.status, c.st.sent = h.status, bytes
			c.st.line.keep(req, ex.line.start)
		}
	}
	ex.ownError = false
	return true
}

// refuse answers a request the server will not serve with err's status,
// and closes the connection after it, lingering: framing is in doubt, so
// no further byte is parsed. A receiver still taking the body is aborted
// with err.
func (c *conn) refuse(err error) {
	pe, ok := err.(*ProtocolError)
	if !ok {
		pe = &ProtocolError{Status: 400, Reason: err.Error()}
	}
	c.endReceiver(pe)
	c.queueError(pe.Status, pe.Reason, "")
}

// fail ends the body being received with err (the receiver's own, or the
// body's framing): the receiver is aborted and the client answered with
// err's status, then the connection closes.
func (c *conn) fail(err error) {
	if pe, ok := err.(*ProtocolError); ok {
		c.refuse(pe)
		return
	}
	c.endReceiver(err)
	status := errorStatus(err)
	// Not err's text: it may hold details meant for the server's log.
	c.queueError(status, strconv.Itoa(status)+" "+StatusText(status), "")
}

// endReceiver aborts the current body's receiver with err, if it has not
// been ended.
func (c *conn) endReceiver(err error) {
	if ex := c.ex; ex != nil && ex.rc != nil {
		rc := ex.rc
		ex.rc = nil
		c.held = false
		c.abortReceiver(rc, err)
	}
}

// abortReceiver calls rc.Abort(err), turning a panic into a count.
func (c *conn) abortReceiver(rc Receiver, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.s.panicked(v)
		}
	}()
	rc.Abort(err)
}

// queueError queues a plain-text error response with Connection: close,
// and extra, if not empty, as further header lines, and closes the
// connection after it, lingering.
func (c *conn) queueError(status int, reason, extra string) {
	s, ex := c.s, c.ex
	s.stats.countRefused(status)
	before := len(ex.wbuf)
	ct, body := s.refusal(status, reason)
	ex.wbuf = appendError(ex.wbuf, status, ct, body, extra, s.dateValue())
	ex.out = nil
	if s.OnResponse != nil {
		l := &ex.line
		if !ex.lineKept {
			// A head refused before it was complete: its line as far as
			// the parser has it.
			req := &ex.p.req
			l.buf, l.method, l.proto, l.start = l.buf[:0], 0, "", ex.reqStart
			if ex.p.state != parseLine {
				l.keep(req, ex.reqStart)
			}
			if c.requests == 0 && ex.r == ex.w && ex.reqStart == 0 {
				l.start = s.now // refused before any byte: 503
			}
		}
		s.report(c, l, status, int64(len(ex.wbuf)-before), true, closeRefused)
	}
	ex.lineKept = false
	if c.st != nil {
		c.endStream(closeLost)
	}
	c.closeAfter, c.linger = true, true
	if c.state != stateLinger {
		c.state = stateHead
	}
	ex.r = ex.w
}

// awaitRequest sets c's deadline once a response is queued and the next
// request may be parsed: a request timeout if the next pipelined request
// has begun, whose clock starts now, else the idle timeout (usually later
// than the deadline in the heap: O(1)).
func (c *conn) awaitRequest() {
	s := c.s
	if ex := c.ex; ex != nil && ex.r < ex.w {
		ex.reqStart = s.now
		s.setDeadline(c, s.now+int64(s.lim.RequestTimeout), timeRequest)
		return
	}
	s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
}

// rest sets c's deadline for waiting on input, and returns its buffers to
// the pool if it is between requests.
func (c *conn) rest() {
	s, ex := c.s, c.ex
	switch {
	case ex != nil && c.state != stateHead:
		s.setDeadline(c, ex.body.deadline(), timeRequest)
		return
	case ex != nil && ex.r < ex.w:
		s.setDeadline(c, ex.reqStart+int64(s.lim.RequestTimeout), timeRequest)
		return
	case ex != nil:
		s.release(c)
	}
	if s.draining {
		c.close(nil) // between requests: nothing is lost
		return
	}
	if c.requests == 0 {
		if c.timeKind != timeRequest {
			s.setDeadline(c, s.now+int64(s.lim.RequestTimeout), timeRequest)
		}
		return
	}
	if c.timeKind != timeIdle {
		s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
	}
}

// wake resumes c after the program's Wake: a receiver or a reply it held
// back, or a stream.
func (c *conn) wake() {
	if c.held {
		c.held = false
		if c.state == stateReceive {
			c.ex.body.restart(c.s.now)
			c.s.setDeadline(c, c.ex.body.deadline(), timeRequest)
		}
	}
	c.s.enqueue(c)
}

// finish closes c after its last response: at once if the peer will send
// nothing more, else with a lingering close.
func (c *conn) finish() {
	s := c.s
	c.closeAfter = false
	cw, ok := c.nc.(CloseWriter)
	if !c.linger || !ok || cw.CloseWrite() != nil {
		c.close(nil)
		return
	}
	c.state = stateLinger
	if c.ex != nil {
		s.release(c)
	}
	s.setDeadline(c, s.now+lingerTime, timeLinger)
}

// discard discards input during a lingering close. It reports whether to
// keep going.
func (c *conn) discard() bool {
	s := c.s
	if s.scratch == nil {
		s.scratch = make([]byte, 4096)
	}
	n, err := c.nc.Read(s.scratch)
	c.lingered += int32(n)
	switch {
	case err == ErrWouldBlock:
		s.park(c)
		return false
	case err != nil || c.lingered > lingerBytes:
		c.close(nil)
		return false
	}
	return true
}

// timeout acts on c's expired deadline.
func (c *conn) timeout() {
	s, ex := c.s, c.ex
	switch c.timeKind {
	case timeRequest:
		if c.state == stateReceive && ex != nil && ex.body.pend > 0 && !c.held {
			// The body is here, decoded, waiting for its receiver: the
			// lateness is the loop's, not the client's (a step that came
			// late). Hand it on rather than blame the client.
			ex.body.restart(s.now)
			s.setDeadline(c, ex.body.deadline(), timeRequest)
			s.enqueue(c)
			return
		}
		waiting := ex != nil && !ex.pending() &&
			(c.state == stateBody || c.state == stateReceive || (c.state == stateHead && ex.r < ex.w))
		if waiting {
			// RFC 9110 §15.5.9: the request did not arrive in time.
			s.stats.RequestTimeouts++
			c.refuse(errRequestTimeout)
			s.enqueue(c)
			s.setDeadline(c, s.now+int64(s.lim.WriteTimeout), timeWrite)
			return
		}
		s.stats.IdleTimeouts++
	case timeIdle:
		if c.held && ex != nil && ex.rc != nil && !ex.pending() {
			// The program did not resume its receiver in time.
			s.stats.IdleTimeouts++
			c.fail(errHeld)
			s.enqueue(c)
			s.setDeadline(c, s.now+int64(s.lim.WriteTimeout), timeWrite)
			return
		}
		s.stats.IdleTimeouts++
	case timeWrite:
		s.stats.WriteTimeouts++
	}
	c.close(errRequestTimeout)
}

var (
	errRequestTimeout = protoErr(408, "request timeout", nil)
	errHeld           = protoErr(503, "the program held the body back past the idle timeout", nil)
)

// close closes c and forgets it. A receiver that has not been ended is
// aborted with err (io.ErrUnexpectedEOF if nil), and a stream is closed.
func (c *conn) close(err error) {
	if c.state == stateClosed {
		return
	}
	why := closeLost
	if err == nil && c.st != nil && c.st.mode == modeUpgrade {
		why = closeUpgraded // the protocol ended
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	c.endReceiver(err)
	c.state = stateClosed
	c.held = false
	c.s.forget(c)
	if c.st != nil {
		c.endStream(why)
	}
	if c.ex != nil {
		c.s.release(c)
	}
}
