package biplane

import (
	"io"
	"strconv"

	"github.com/biplane-go/biplane/internal/ascii"
)

// Connection states (RFC 9112 §9): a connection alternates between reading
// a request head and its body; after its last response it lingers.
//
//	state        on                         next
//	stateHead    head complete              stateBody
//	stateHead    malformed / over a limit   error response, then stateLinger
//	stateBody    body complete              handler, response queued, stateHead
//	stateBody    body over the limit        413, then stateLinger
//	any          request timeout            408, then stateLinger
//	stateLinger  peer's EOF, or time        closed
//
// Writing is not a state: queued output is flushed before anything else
// happens, so responses leave in request order and pipelined responses
// leave together.
const (
	stateHead uint8 = iota
	stateBody
	stateLinger
)

// Deadline kinds, so that an expiring deadline knows what it was for.
const (
	timeRequest uint8 = iota // a request is due (408), or a new connection's first one
	timeIdle                 // waiting between requests
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

// A conn is the server's state for one connection. It stays small: the
// buffers live in an exchange, attached only while a request or response
// is in flight.
type conn struct {
	nc       Conn
	ex       *exchange
	next     *conn // in the ready queue
	deadline int64 // ns since Server.base
	heapKey  int64 // deadline when last placed in the heap; <= deadline
	heapIdx  int32 // -1 when not in the heap
	idx      int32 // in Server.conns
	lingered int32
	requests uint32
	state    uint8
	timeKind uint8
	queued   bool
	closed   bool
	// closeAfter: close once the queued output is written. linger: do a
	// lingering close then, rather than closing at once.
	closeAfter, linger bool
	rejected           bool    // over MaxConns; answered 503
	st                 *stream // a streamed body or upgraded protocol, while it lasts
}

// An exchange is the buffers and parse state of one connection while it is
// busy. Idle connections give theirs back to the server's pool.
type exchange struct {
	rbuf        []byte // input; bytes [r, w) are unconsumed
	r, w        int
	wbuf        []byte // queued output; bytes [wpos, len) are unwritten
	wpos        int
	out         []byte // a body queued after wbuf, written without a copy
	iov         [2][]byte
	p           Parser
	head        int   // length of the parsed head of the current request
	reqDeadline int64 // when the current request must be complete
	chunk       chunkedDecoder
	continued   bool // 100 Continue sent for the current request
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

// A vectorWriter can write several buffers in one system call.
type vectorWriter interface {
	Writev(bufs [][]byte) (int, error)
}

// flush writes queued output until it is all written or the peer's window
// is full. It reports whether any byte was written.
func (s *Server) flush(c *conn) (progress bool, err error) {
	ex := c.ex
	for ex.pending() {
		var n int
		switch vw, ok := c.nc.(vectorWriter); {
		case ex.wpos < len(ex.wbuf) && len(ex.out) > 0 && ok:
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

// read reads into the connection's buffer, growing it when the current
// request needs the room.
func (s *Server) read(c *conn) (int, error) {
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
		limit := s.maxBuffer(c)
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
			ex.reqDeadline = s.now + int64(s.lim.RequestTimeout)
		}
	}
	return n, err
}

// maxBuffer is the most input the current request may need buffered.
func (s *Server) maxBuffer(c *conn) int {
	ex := c.ex
	switch {
	case c.state == stateHead:
		// One leading CRLF, the line and the header section, plus one byte
		// so the parser can see that a limit was passed.
		return 2 + s.lim.MaxRequestLine + s.lim.MaxHeaderBytes + 1
	case ex.p.req.flags&flagChunked != 0:
		return ex.head + s.lim.MaxBodyBytes + maxChunkLine + s.lim.MaxHeaderBytes + 2
	default:
		return ex.head + int(ex.p.req.contentLength)
	}
}

// process handles the complete requests buffered on c, queueing their
// responses. It reports whether it made progress; false means it needs
// more input.
func (s *Server) process(c *conn) bool {
	ex := c.ex
	progress := false
	for !c.closeAfter && !c.closed && len(ex.out) == 0 && c.st == nil {
		switch c.state {
		case stateHead:
			if ex.r == ex.w {
				return progress
			}
			n, err := ex.p.Parse(ex.rbuf[ex.r:ex.w])
			if err != nil {
				s.refuse(c, err)
				return true
			}
			if n == 0 {
				return progress
			}
			ex.head = n
			req := &ex.p.req
			if req.flags&flagChunked == 0 && req.contentLength > int64(s.lim.MaxBodyBytes) {
				// RFC 9110 §15.5.14: refuse before reading the body.
				s.refuse(c, protoErr(413, "request body too large", nil))
				return true
			}
			c.state = stateBody
			ex.chunk = chunkedDecoder{}
			ex.continued = false
			progress = true
		case stateBody:
			req := &ex.p.req
			size, done, err := s.body(c)
			if err != nil {
				s.refuse(c, err)
				return true
			}
			if !done {
				if req.flags&flagExpectContinue != 0 && req.minor == 1 && !ex.continued {
					// RFC 9110 §10.1.1: the body will be read, so invite it.
					ex.continued = true
					ex.wbuf = append(ex.wbuf, "HTTP/1.1 100 Continue\r\n\r\n"...)
					return true
				}
				return progress
			}
			if ex.pending() && len(ex.wbuf) > cap(ex.wbuf)/2 {
				return true // flush first, so the response has room
			}
			s.respond(c, size)
			progress = true
		}
	}
	return progress
}

// body reports whether the current request's body is complete, and its
// size. Chunked bodies are decoded in place as they arrive.
func (s *Server) body(c *conn) (size int, done bool, err error) {
	ex := c.ex
	start := ex.r + ex.head
	req := &ex.p.req
	if req.flags&flagChunked == 0 {
		size = int(req.contentLength)
		return size, ex.w-start >= size, nil
	}
	if ex.chunk.state != chunkDone {
		used, done, err := ex.chunk.decode(ex.rbuf[start:ex.w], &s.lim)
		if err != nil {
			return 0, false, err
		}
		ex.w = start + used
		if !done {
			return 0, false, nil
		}
		req.contentLength = int64(ex.chunk.out)
	}
	return ex.chunk.out, true, nil
}

// respond runs the handler for the complete current request and queues
// its response.
func (s *Server) respond(c *conn, size int) {
	ex := c.ex
	req := &ex.p.req
	start := ex.r + ex.head
	req.buf = ex.rbuf[ex.r : start+size]
	req.body = ex.rbuf[start : start+size : start+size]
	req.remote = c.nc.RemoteAddr()
	req.srv, req.conn = s, c
	resp, ok := s.call(req)
	if c.closed {
		return // the handler closed the server
	}
	s.stats.Requests++
	if !ok {
		s.stats.Panics++
		resp = Response{Status: 500, ContentType: "text/plain; charset=utf-8", Body: internalError}
	}
	closing := req.flags&flagClose != 0 || s.draining
	if !s.writeResponse(c, req, &resp, closing) {
		closeResponse(&resp)
		resp = Response{Status: 500, ContentType: "text/plain; charset=utf-8", Body: internalError}
		s.writeResponse(c, req, &resp, closing)
	}
	c.requests++
	ex.r = start + size
	ex.p.Reset()
	c.state = stateHead
	if c.st != nil && c.st.mode != modeUpgrade {
		// Fill what room the head left, so that a small body leaves in
		// the same write; it may end the stream at once.
		s.fill(c)
	}
	switch {
	case c.closed:
	case c.st != nil:
		// Streaming: no request is parsed until the stream ends, so no
		// request clock runs; a stream that moves nothing for the idle
		// timeout is closed.
		s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
	default:
		s.awaitRequest(c)
	}
}

// awaitRequest sets c's deadline once a response is queued and the next
// request may be parsed: a request timeout if the next pipelined request
// has begun, whose clock starts now, else the idle timeout (usually later
// than the deadline in the heap: O(1)).
func (s *Server) awaitRequest(c *conn) {
	if ex := c.ex; ex != nil && ex.r < ex.w {
		ex.reqDeadline = s.now + int64(s.lim.RequestTimeout)
		s.setDeadline(c, ex.reqDeadline, timeRequest)
		return
	}
	s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
}

// closeResponse closes the Stream or Upgrade of a response that will not
// be sent, if it is an io.Closer.
func closeResponse(resp *Response) {
	var r any = resp.Stream
	if resp.Upgrade != nil {
		r = resp.Upgrade
	}
	if cl, ok := r.(io.Closer); ok {
		cl.Close()
	}
}

var internalError = []byte("500 internal server error\n")

// call runs the handler, turning a panic into ok == false.
func (s *Server) call(req *Request) (resp Response, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if s.OnPanic != nil {
				s.OnPanic(v)
			}
		}
	}()
	if s.Handler == nil {
		return Response{Status: 404, ContentType: "text/plain; charset=utf-8", Body: notFoundBody}, true
	}
	return s.Handler.Respond(req), true
}

// writeResponse queues resp's head, and its body or the stream that
// produces it. It reports false, queueing nothing, if the handler's
// response is invalid.
func (s *Server) writeResponse(c *conn, req *Request, resp *Response, closing bool) bool {
	status := resp.Status
	if status == 0 {
		status = 200
	}
	upgrade := status == 101
	switch {
	case upgrade:
		// RFC 9110 §7.8: a server that receives Upgrade in an HTTP/1.0
		// request must ignore it, so it never switches such a one.
		if resp.Upgrade == nil || req.minor == 0 {
			return false
		}
	case status < 200 || status > 999 || resp.Upgrade != nil:
		return false
	}
	for _, f := range resp.Header {
		if !ValidField(f.Name, f.Value) {
			return false
		}
		switch {
		case ascii.EqualFoldBoth(f.Name, "Content-Length"),
			ascii.EqualFoldBoth(f.Name, "Transfer-Encoding"),
			ascii.EqualFoldBoth(f.Name, "Date"):
			return false
		case ascii.EqualFoldBoth(f.Name, "Connection") && !upgrade:
			for e := range ascii.Elements(f.Value) {
				closing = closing || ascii.EqualFold(e, "close")
			}
		}
	}
	head := string(req.method.of(req.buf)) == "HEAD"
	var st *stream
	if resp.Stream != nil && !bodyless(status) && !head {
		st = &stream{r: resp.Stream, left: resp.Length, mode: modeLength}
		switch {
		case resp.Length > 0:
		case req.minor == 0:
			st.mode = modeUntilClose // RFC 9112 §6.3: no chunked for HTTP/1.0
			closing = true
		default:
			st.mode = modeChunked
		}
	} else if resp.Stream != nil {
		closeResponse(resp) // never read: no content for HEAD, 1xx, 204, 304
	}
	ex := c.ex
	w := AppendStatusLine(ex.wbuf, status)
	if !s.NoDate {
		w = append(w, "Date: "...)
		w = append(w, s.date[:]...)
		w = append(w, "\r\n"...)
	}
	if resp.ContentType != "" {
		w = AppendField(w, "Content-Type", resp.ContentType)
	}
	body := resp.Body
	switch {
	case bodyless(status):
		body = nil
	case resp.Stream == nil:
		w = appendContentLength(w, int64(len(body)))
	case resp.Length > 0:
		// Also for HEAD: the length the GET would have (RFC 9110 §9.3.2).
		w = appendContentLength(w, resp.Length)
	case st != nil && st.mode == modeChunked:
		w = append(w, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case upgrade:
		// The handler's Connection field names the upgrade (RFC 9110 §7.6.1).
	case closing:
		w = append(w, "Connection: close\r\n"...)
	case req.minor == 0:
		w = append(w, "Connection: keep-alive\r\n"...)
	}
	for _, f := range resp.Header {
		if upgrade || !ascii.EqualFoldBoth(f.Name, "Connection") {
			w = AppendField(w, f.Name, f.Value)
		}
	}
	w = append(w, "\r\n"...)
	if head || st != nil {
		body = nil // RFC 9110 §9.3.2: the same head, no content
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
	case upgrade:
		c.st = &stream{gen: c.requests, r: resp.Upgrade, in: resp.Upgrade, mode: modeUpgrade}
	case st != nil:
		st.gen, st.close, st.linger = c.requests, closing, linger
		c.st = st
	case closing:
		c.closeAfter, c.linger = true, linger
	}
	return true
}

// appendContentLength appends the Content-Length field for n bytes.
func appendContentLength(w []byte, n int64) []byte {
	w = append(w, "Content-Length: "...)
	w = strconv.AppendInt(w, n, 10)
	return append(w, "\r\n"...)
}

// refuse queues the error response for err and closes the connection
// after it, lingering: framing is in doubt, so no further byte is parsed.
func (s *Server) refuse(c *conn, err error) {
	pe, ok := err.(*ProtocolError)
	if !ok {
		pe = &ProtocolError{Status: 400, Reason: err.Error()}
	}
	s.queueError(c, pe.Status, pe.Reason, "")
}

// queueError queues a plain-text error response with Connection: close,
// and extra, if not empty, as further header lines.
func (s *Server) queueError(c *conn, status int, reason, extra string) {
	s.stats.countRefused(status)
	ex := c.ex
	w := AppendStatusLine(ex.wbuf, status)
	if !s.NoDate {
		w = append(w, "Date: "...)
		w = append(w, s.date[:]...)
		w = append(w, "\r\n"...)
	}
	w = append(w, extra...)
	w = append(w, "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: "...)
	w = strconv.AppendInt(w, int64(len(reason)+1), 10)
	w = append(w, "\r\n\r\n"...)
	w = append(w, reason...)
	ex.wbuf = append(w, '\n')
	c.closeAfter, c.linger = true, true
}
