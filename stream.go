package biplane

import "io"

// Stream modes: how a streamed body is framed, or that the connection was
// upgraded.
const (
	modeLength     uint8 = iota + 1 // Content-Length; left bytes still to send
	modeChunked                     // Transfer-Encoding: chunked (RFC 9112 §7.1)
	modeUntilClose                  // HTTP/1.0 and unknown length: the close ends it (RFC 9112 §6.3)
	modeUpgrade                     // after 101: raw bytes both ways (RFC 9110 §7.8)
)

// A stream is a connection's streamed response body, or the protocol it
// was upgraded to, for as long as it lasts. While a connection has one,
// no further request on it is parsed.
type stream struct {
	r     io.Reader
	in    io.Writer // modeUpgrade: where the peer's bytes go
	left  int64     // modeLength: bytes still to send
	mode  uint8
	close bool // close the connection once the body is sent
	eof   bool // the peer has finished sending
	// linger: the client had sent more than this request when it was
	// answered with a close; see conn.linger.
	linger bool
	why    string // why the connection closes after it, for OnResponse

	// For Server.OnResponse, reported when the stream ends.
	status int
	sent   int64
	line   logLine

	// A file's bytes sent by the connection's FileSender rather than
	// read (fs is nil for other streams): queued bytes from off are
	// written after the write buffer by flush, and left are not queued
	// yet.
	fs     FileSender
	fd     uintptr
	off    int64
	queued int64
}

// sendFileMax is the most of a file queued at once: one round of a
// connection sends no more, so that a step stays bounded, as a write of a
// large Body is by the socket's buffer. A piece of 256 KiB takes about
// 35 µs on loopback, and eight rounds about 300 µs when the peer reads as
// fast; 64 KiB pieces cost 60% more CPU per MiB sent (each sendfile call
// has a fixed cost), 1 MiB ones 15% less (measured while unixsock still
// corked the socket between pieces).
const sendFileMax = 256 << 10

// sendFrom makes st a file stream, if nc is a FileSender and r says it is
// a section of a file.
func (st *stream) sendFrom(nc Conn, r io.Reader) {
	fs, ok := nc.(FileSender)
	if !ok {
		return
	}
	if f, ok := r.(interface{ FileSection() (uintptr, int64) }); ok {
		st.fs = fs
		st.fd, st.off = f.FileSection()
	}
}

// fileQueued reports whether bytes of a file stream are queued, to be
// written after the write buffer's.
func (c *conn) fileQueued() bool { return c.st != nil && c.st.queued > 0 }

// sendFile writes the write buffer's unwritten bytes and the file's bytes
// queued after them with the FileSender, and ends the stream once the last
// of them is written. It returns the count written.
func (c *conn) sendFile() (int, error) {
	ex, st := c.ex, c.st
	head := ex.wbuf[ex.wpos:]
	n, err := st.fs.SendFile(head, st.fd, st.off, st.queued, st.left > 0)
	h := int(min(n, int64(len(head))))
	ex.wpos += h
	st.off += n - int64(h)
	st.queued -= n - int64(h)
	if st.queued == 0 && st.left == 0 {
		c.finishBody()
	}
	return int(n), err
}

// A Wakeup is a handle on one request's exchange, from [Request.Wakeup]:
// on its [Receiver] while the body arrives or the final response is
// awaited, then on its [Response.Stream] or [Upgrade]. It reaches that
// request only: once its response has ended, or the connection has
// closed, it does nothing. The zero Wakeup does nothing.
type Wakeup struct {
	s   *Server
	c   *conn
	gen uint32
}

// live reports whether w's request is still waiting on the program: a
// receiver, a deferred response, a stream or an upgrade.
func (w Wakeup) live() bool {
	if w.c == nil || w.c.requests != w.gen {
		return false
	}
	switch w.c.state {
	case stateReceive, stateReply:
		return w.c.ex != nil && w.c.ex.rc != nil
	case stateSend, stateUpgraded:
		return w.c.st != nil
	}
	return false
}

// Wake makes the server call the request's Receiver (Write, or Done once
// the body is whole), or its response's Stream or Upgrade, again on its
// next step. It costs little: call it whenever a receiver can take more,
// there is something new to send, or an Upgrade can take more input. Like
// the server's other methods, it must be called from the loop's goroutine
// (from a handler, a Receiver's or Stream's method, or between steps); a
// [Server.Wait] in progress is not cut short.
func (w Wakeup) Wake() {
	if w.live() {
		w.c.wake()
	}
}

// Close closes the request's connection at once, without sending what is
// still queued for it: for a peer that has fallen too far behind, say,
// which would otherwise hold its connection until [Limits].WriteTimeout.
// A Receiver not yet ended is aborted with [ErrConnClosed]; the Stream or
// Upgrade is closed as the connection is.
func (w Wakeup) Close() {
	if w.live() {
		w.c.close(ErrConnClosed)
	}
}

// Closed reports whether the exchange has ended: the response sent whole,
// abandoned, or its connection closed.
func (w Wakeup) Closed() bool { return !w.live() }

// Progress returns how many bytes of the request's body its Receiver has
// taken so far, and the body's declared size: its Content-Length, or -1
// for a chunked body. Once the receiver is ended it returns 0, -1.
func (w Wakeup) Progress() (received, total int64) {
	if !w.live() || w.c.ex == nil || w.c.ex.rc == nil {
		return 0, -1
	}
	b := &w.c.ex.body
	return b.received, b.total
}

// endStream forgets c's stream, closing it if it is an io.Closer, and
// reports the response, saying why the connection closes after it (if it
// does).
func (c *conn) endStream(why string) {
	st := c.st
	c.st = nil
	if cl, ok := st.r.(io.Closer); ok {
		cl.Close()
	}
	if s := c.s; s.OnResponse != nil && st.status != 0 {
		s.report(c, &st.line, st.status, st.sent, false, why)
	}
}

// finishBody ends a body stream that was sent whole: the connection goes on
// to the next request, or closes if the response said so.
func (c *conn) finishBody() {
	st := c.st
	c.endStream(st.why)
	c.state = stateHead
	if st.close {
		c.closeAfter, c.linger = true, st.linger
		return
	}
	c.awaitRequest() // a pipelined request may have waited for this body
}

// abortBody abandons a body stream that failed or ended early. Its
// framing cannot be completed, so the connection closes once what is
// queued is written: the client sees a short body, or a chunked body
// without its last chunk, and knows the response is incomplete.
func (c *conn) abortBody() {
	c.endStream(closeFailed)
	c.state = stateHead
	c.closeAfter, c.linger = true, false
}

// fill reads from c's body stream into the free part of the write buffer.
// It reports whether it made progress: queued bytes, or ended the stream.
func (c *conn) fill() bool {
	ex, st := c.ex, c.st
	w := ex.wbuf
	room := cap(w) - len(w)
	if st.fs != nil {
		// Queue the next piece of the file for flush to send.
		if st.queued > 0 || st.left == 0 {
			return false
		}
		st.queued = min(st.left, sendFileMax)
		st.left -= st.queued
		st.sent += st.queued
		return true
	}
	var n int
	var err error
	switch st.mode {
	case modeChunked:
		// The size line is written once the size is known: read behind
		// room for the longest, and frame the data there.
		start, end := chunkRoom(w)
		if start == end {
			return false
		}
		n, err = st.r.Read(w[start:end])
		if c.state == stateClosed {
			return false
		}
		w = appendChunk(w, start, n)
		if err == io.EOF {
			w = append(w, lastChunk...)
		}
	case modeLength:
		lim := int(min(int64(room), st.left))
		if lim == 0 {
			return false
		}
		n, err = st.r.Read(w[len(w) : len(w)+lim])
		if c.state == stateClosed {
			return false
		}
		w = w[:len(w)+n]
		st.left -= int64(n)
		if st.left == 0 {
			err = io.EOF
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	default: // modeUntilClose
		if room == 0 {
			return false
		}
		n, err = st.r.Read(w[len(w):cap(w)])
		if c.state == stateClosed {
			return false
		}
		w = w[:len(w)+n]
	}
	st.sent += int64(len(w) - len(ex.wbuf))
	ex.wbuf = w
	switch err {
	case nil, ErrWouldBlock:
		return n > 0
	case io.EOF:
		c.finishBody()
	default:
		c.abortBody()
	}
	return true
}

// pump advances c's stream when no output is queued: it fills the write
// buffer from a body stream, or moves bytes between an upgraded connection
// and its protocol. It reports whether it made progress.
func (c *conn) move() bool {
	if c.ex == nil {
		c.s.acquire(c)
	}
	if c.st.mode != modeUpgrade {
		if c.fill() {
			return true
		}
		// Nothing to send until a Wake. Read what the peer sends meanwhile,
		// to notice that it went away; its bytes wait for the next request.
		return c.watch()
	}
	ex, st := c.ex, c.st
	progress := false
	if ex.r < ex.w {
		n, err := st.in.Write(ex.rbuf[ex.r:ex.w])
		if c.state == stateClosed {
			return false
		}
		ex.r += n
		progress = n > 0
		if err != nil && err != ErrWouldBlock {
			c.close(err)
			return false
		}
	}
	if w := ex.wbuf; len(w) < cap(w) {
		n, err := st.r.Read(w[len(w):cap(w)])
		if c.state == stateClosed {
			return false
		}
		ex.wbuf = w[:len(w)+n]
		st.sent += int64(n)
		progress = progress || n > 0
		switch err {
		case nil, ErrWouldBlock:
		case io.EOF:
			// The protocol is done: close once its last bytes are out,
			// lingering if the peer may still send, so that its unread
			// bytes do not turn our last ones into a reset. The stream
			// stays until then, so that close(c) closes it.
			c.closeAfter, c.linger = true, !st.eof
			return true
		default:
			c.close(err)
			return false
		}
	}
	if c.watch() || progress {
		return true
	}
	if st.eof && ex.r == ex.w && !ex.pending() {
		// The peer has finished sending, the protocol has taken all of
		// it and has nothing more to say: nobody is left to talk to.
		c.closeAfter = true
		return true
	}
	return false
}

// watch reads from the peer of a streaming connection into the free part
// of its read buffer, without growing it, so that a peer that went away is
// noticed while the stream has nothing to send. A failed read closes the
// connection. The peer's EOF only stops the reading: a client may shut
// down its sending side and still read (RFC 9112 §9.6), a peer that is
// gone fails the next write, and an upgraded connection closes once its
// protocol has taken the last input and answered it. It reports whether
// it read anything.
func (c *conn) watch() bool {
	ex, st := c.ex, c.st
	if st.eof {
		return false
	}
	if ex.r > 0 && ex.r == ex.w {
		ex.r, ex.w = 0, 0
	}
	ex.compact()
	if ex.w == len(ex.rbuf) {
		return false
	}
	n, err := c.nc.Read(ex.rbuf[ex.w:])
	ex.w += n
	switch {
	case err == nil, err == ErrWouldBlock:
	case err == io.EOF:
		st.eof = true
	default:
		c.close(err)
		return false
	}
	return n > 0
}

// streamRest prepares c to wait for a Wake or readiness while its stream
// has nothing to move: its deadline becomes the idle timeout, and it
// returns its buffers to the pool if they hold nothing.
func (c *conn) streamRest() {
	s := c.s
	if c.timeKind != timeIdle {
		s.setDeadline(c, s.now+int64(s.lim.IdleTimeout), timeIdle)
	}
	if ex := c.ex; ex != nil && !ex.pending() && ex.r == ex.w {
		s.release(c)
	}
}
