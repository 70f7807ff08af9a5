package websocket

import (
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/biplane-go/biplane"
)

// A MessageType is the type of a data message (RFC 6455 §5.6).
type MessageType uint8

// The data message types; their values are the frames' opcodes.
const (
	Text   MessageType = opText   // UTF-8 text
	Binary MessageType = opBinary // arbitrary bytes
)

// A Message is one complete data message from the peer, its fragments
// joined (RFC 6455 §5.4).
type Message struct {
	Type MessageType
	// Data is the payload, unmasked; for Text, valid UTF-8. It is a view
	// into the connection's buffer, valid only until OnMessage returns:
	// copy what you keep.
	Data []byte
}

// Errors returned by [Conn]'s methods.
var (
	// ErrClosed: the connection has sent its Close frame, or has closed.
	ErrClosed = errors.New("websocket: connection closing or closed")
	// ErrBufferFull: the message does not fit in what is left of the
	// output buffer now; it may once the peer reads what is queued.
	ErrBufferFull = errors.New("websocket: output buffer full")
	// ErrMessageTooLarge: the message can never fit in the output buffer
	// ([Config].WriteBufferBytes).
	ErrMessageTooLarge = errors.New("websocket: message larger than the output buffer")
	// ErrInvalidUTF8: a text message that is not valid UTF-8 (RFC 6455
	// §5.6: text frames carry UTF-8).
	ErrInvalidUTF8 = errors.New("websocket: text message is not valid UTF-8")
)

var (
	errPingTooLong    = errors.New("websocket: ping payload over 125 bytes")
	errBadCloseCode   = errors.New("websocket: close code not allowed in a Close frame")
	errBadCloseReason = errors.New("websocket: close reason over 123 bytes or not UTF-8")
	errAborted        = errors.New("websocket: connection dropped by Hub.Tick")
)

// Buffer policy. A Conn keeps buffers of up to retainBytes between
// messages, so a steady stream of messages that size or smaller allocates
// nothing; a larger buffer is dropped once it is empty, so an idle
// connection holds at most 2 × retainBytes.
const (
	minBuffer   = 512
	retainBytes = 4 << 10
	// ctrlReserve is room past WriteBufferBytes for control frames: pongs
	// may use half of it, and the one Close frame always fits.
	ctrlReserve = 2 * (2 + maxControl + 1)
	// closeDiscard bounds what the server reads after sending its Close
	// frame while it waits for the peer's (RFC 6455 §7.1.1).
	closeDiscard = 256 << 10
)

// What the payload of the frame being read is for.
const (
	kindNone    uint8 = iota // between frames: the next bytes are a header
	kindData                 // joined to the message in c.msg
	kindControl              // gathered in c.ctrl
	kindSkip                 // read and dropped, after the server's Close
)

// What waits, complete, to be acted on.
const (
	readyNone    uint8 = iota
	readyMessage       // c.msg, for OnMessage
	readyControl       // the control frame in c.ctrl
)

// A Conn is the server's end of one WebSocket connection, made by
// [Upgrade]. It runs inside the biplane server's loop: the server hands it
// what the peer sends and takes what it queued whenever the connection is
// ready, and its callbacks run on the loop too. Its methods must be called
// from the loop's goroutine (from a handler, a callback, or between steps);
// none of them blocks.
//
// Messages are written whole into a bounded output buffer, one unfragmented
// frame each, and leave as the peer reads them.
type Conn struct {
	onMessage func(*Conn, Message)
	onClose   func(*Conn, int, string)
	onPanic   func(any)
	maxMsg    int
	maxOut    int
	wake      biplane.Wakeup
	protocol  string
	remote    netip.AddrPort

	// Input: the frame being read, and the message being joined.
	h     header
	left  uint64 // payload bytes of the frame still to come
	kpos  int    // masking key position of the next payload byte
	kind  uint8
	ready uint8
	msgOp uint8 // opText or opBinary while a message is in progress, else 0
	ctrlN uint8
	utf   utf8State
	msg   []byte
	ctrl  [maxControl]byte

	// Output: queued frames, out[outPos:] still to send.
	out    []byte
	outPos int

	sentClose bool // our Close frame is queued; nothing follows it
	done      bool // nothing more is read; the TCP connection closes once out is sent
	closed    bool // the server closed the connection
	aborted   bool
	inside    bool // running inside the server's call: no Wake needed
	skipped   int  // bytes read after our Close frame
	err       *CloseError
	code      int // from the peer's Close frame
	reason    string
	rx        uint64 // bytes received, for the Hub

	hub       *Hub
	hubIdx    int
	seen      time.Time // when the Hub last saw rx move
	seenRx    uint64
	pingAt    time.Time // when the Hub pinged, if it has since seen
	closingAt time.Time // when the Hub first saw sentClose
}

// Protocol returns the subprotocol selected in the handshake (RFC 6455
// §1.9), or "" if none was.
func (c *Conn) Protocol() string { return c.protocol }

// RemoteAddr returns the peer's address, as the request had it.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// Buffered returns the number of bytes queued to send.
func (c *Conn) Buffered() int { return len(c.out) - c.outPos }

// Err returns why the server failed the connection, a *[CloseError], or
// nil if it has not.
func (c *Conn) Err() error {
	if c.err == nil {
		return nil
	}
	e := *c.err
	return &e
}

// WriteText queues s as one text message. It returns [ErrInvalidUTF8] if s
// is not UTF-8, [ErrBufferFull] if it does not fit in the output buffer
// now, [ErrMessageTooLarge] if it never will, and [ErrClosed] once the
// connection is closing; nothing is queued then.
func (c *Conn) WriteText(s string) error {
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	if err := c.reserve(opText, len(s), c.maxOut); err != nil {
		return err
	}
	c.out = append(c.out, s...)
	c.queued()
	return nil
}

// WriteBinary queues b as one binary message, copying it; its errors are
// those of [Conn.WriteText].
func (c *Conn) WriteBinary(b []byte) error {
	return c.WriteMessage(Binary, b)
}

// WriteMessage queues data as one message of type typ, copying it; its
// errors are those of [Conn.WriteText]. It panics if typ is neither
// [Text] nor [Binary].
func (c *Conn) WriteMessage(typ MessageType, data []byte) error {
	switch typ {
	case Text:
		if !utf8.Valid(data) {
			return ErrInvalidUTF8
		}
	case Binary:
	default:
		panic("websocket: WriteMessage with an invalid message type")
	}
	if err := c.reserve(byte(typ), len(data), c.maxOut); err != nil {
		return err
	}
	c.out = append(c.out, data...)
	c.queued()
	return nil
}

// Ping queues a Ping frame with payload (at most 125 bytes), which the
// peer answers with a Pong (RFC 6455 §5.5.2). It returns [ErrBufferFull]
// or [ErrClosed] as [Conn.WriteText] does.
func (c *Conn) Ping(payload []byte) error {
	if len(payload) > maxControl {
		return errPingTooLong
	}
	if err := c.reserve(opPing, len(payload), c.maxOut+ctrlReserve/2); err != nil {
		return err
	}
	c.out = append(c.out, payload...)
	c.queued()
	return nil
}

// Close starts the closing handshake (RFC 6455 §7.1.2): it queues a Close
// frame with code and reason, after what is already queued. The
// connection then sends nothing more, ignores the peer's messages, and
// closes once the peer answers with its own Close frame; a [Hub] drops it
// if the peer does not answer in time. code 0 sends a Close frame without
// a code; otherwise code must be one a Close frame may carry (1000-1003,
// 1007-1014, 3000-4999) and reason valid UTF-8 of at most 123 bytes. The
// Close frame always fits: the output buffer keeps room for it. It returns
// [ErrClosed] if the connection is already closing.
func (c *Conn) Close(code int, reason string) error {
	switch {
	case c.closed || c.sentClose:
		return ErrClosed
	case code != 0 && !validCloseCode(code):
		return errBadCloseCode
	case len(reason) > maxCloseReason || !utf8.ValidString(reason) || (code == 0 && reason != ""):
		return errBadCloseReason
	}
	c.queueClose(code, reason)
	c.queued()
	return nil
}

// reserve checks that a frame of n payload bytes fits under limit, makes
// room for it and appends its header.
func (c *Conn) reserve(op byte, n, limit int) error {
	if c.closed || c.sentClose {
		return ErrClosed
	}
	size := headerLen(n) + n
	if size > limit {
		return ErrMessageTooLarge
	}
	if c.Buffered()+size > limit {
		return ErrBufferFull
	}
	c.makeRoom(size)
	c.out = appendHeader(c.out, op, n)
	return nil
}

// queued wakes the server to send what was queued, unless it is the
// server's own call that queued it: it takes the output right after.
func (c *Conn) queued() {
	if !c.inside {
		c.wake.Wake()
	}
}

// makeRoom makes room for size more bytes in out, moving what is queued
// to the front or growing the buffer, never past the limit plus the
// control reserve.
func (c *Conn) makeRoom(size int) {
	if cap(c.out)-len(c.out) >= size {
		return
	}
	if c.outPos > 0 {
		n := copy(c.out, c.out[c.outPos:])
		c.out, c.outPos = c.out[:n], 0
		if cap(c.out)-len(c.out) >= size {
			return
		}
	}
	need := len(c.out) + size
	nc := min(max(2*cap(c.out), need, minBuffer), c.maxOut+ctrlReserve)
	nb := make([]byte, len(c.out), max(nc, need))
	copy(nb, c.out)
	c.out = nb
}

// queueClose queues our Close frame (RFC 6455 §5.5.1), with no payload if
// code is 0. Nothing is queued after it.
func (c *Conn) queueClose(code int, reason string) {
	n := 0
	if code != 0 {
		n = 2 + len(reason)
	}
	c.makeRoom(2 + n)
	c.out = appendHeader(c.out, opClose, n)
	if code != 0 {
		c.out = binary.BigEndian.AppendUint16(c.out, uint16(code))
		c.out = append(c.out, reason...)
	}
	c.sentClose = true
	c.ready, c.msgOp, c.msg = readyNone, 0, shrink(c.msg)
}

// fail fails the connection (RFC 6455 §7.1.7): it sends a Close frame with
// err's code, and delivers nothing more. From then on it only skims frame
// headers to find the peer's answering Close, and closes the TCP
// connection once that came: closing while the peer is still sending
// would make the kernel reset the connection, and a reset discards our
// Close frame before the peer reads it. (§7.1.1 asks to close the TCP
// connection "discarding any trailing bytes"; the biplane server closes
// an upgraded connection at once, so the Conn discards them itself.)
func (c *Conn) fail(err *CloseError) {
	if c.sentClose {
		c.done = true
		return
	}
	c.err = err
	c.queueClose(err.Code, err.Reason)
}

// shrink empties a buffer, dropping it if it grew past retainBytes.
func shrink(b []byte) []byte {
	if cap(b) > retainBytes {
		return nil
	}
	return b[:0]
}

// A wire is the [biplane.Upgrade] side of a Conn: what the server calls
// with the peer's bytes and for the bytes to send. It is a separate type
// so that Conn's own Close can take a code.
type wire Conn

// Write takes bytes the peer sent. Frame headers are consumed only when
// complete; payloads as they come, unmasked into the message buffer.
// It returns fewer than len(p) with ErrWouldBlock when it needs more bytes
// to complete a header, or room in the output buffer to act on what
// arrived (a message for which OnMessage could not answer in kind, or a
// Ping whose Pong does not fit): the peer then waits on TCP flow control.
func (w *wire) Write(p []byte) (int, error) {
	c := (*Conn)(w)
	c.inside = true
	n, err := c.input(p)
	c.inside = false
	c.rx += uint64(n)
	return n, err
}

func (c *Conn) input(p []byte) (int, error) {
	i := 0
	for {
		if c.ready != readyNone && !c.act() {
			return i, biplane.ErrWouldBlock
		}
		if c.done || c.closed {
			return len(p), nil // nothing more is read (RFC 6455 §7.1.7)
		}
		if c.kind == kindNone {
			if i == len(p) {
				return i, nil
			}
			var h header
			var n int
			if c.sentClose {
				var ok bool
				if h, n, ok = skimHeader(p[i:]); !ok {
					c.done = true // no frame boundary left to find
					continue
				}
			} else {
				var err *CloseError
				if h, n, err = parseHeader(p[i:]); err != nil {
					// Fail, then take this frame as the skimming does.
					c.fail(err)
					continue
				}
			}
			if n == 0 {
				return i, biplane.ErrWouldBlock
			}
			i += n
			c.begin(h, n)
		} else if i == len(p) {
			return i, nil
		}
		k := int(min(c.left, uint64(len(p)-i)))
		c.payload(p[i : i+k])
		i += k
		c.left -= uint64(k)
		if c.left == 0 {
			c.end()
		}
	}
}

// begin starts reading the payload of a frame with header h, n bytes long.
func (c *Conn) begin(h header, n int) {
	c.h, c.left, c.kpos = h, h.length, 0
	if c.sentClose {
		// RFC 6455 §5.5.1: after its Close frame an endpoint sends
		// nothing, and the peer's data frames are ignored; read on only
		// to find the peer's Close, and only so far. Any frame with the
		// Close opcode is taken for it, valid or not: the peer thinks
		// it has closed.
		if c.skipped += n; c.skipped > closeDiscard {
			c.done = true
		}
		c.kind = kindSkip
		if h.op == opClose && h.length <= maxControl {
			c.kind, c.ctrlN = kindControl, 0
		}
		return
	}
	switch h.op {
	case opClose, opPing, opPong:
		// §5.4: control frames may come between a message's fragments.
		c.kind, c.ctrlN = kindControl, 0
		return
	case opContinuation:
		if c.msgOp == 0 {
			c.failFrame(errContinuation) // §5.4
			return
		}
	default: // opText, opBinary
		if c.msgOp != 0 {
			c.failFrame(errInterleaved) // §5.4: fragments of messages do not interleave
			return
		}
		c.msgOp, c.utf = h.op, utf8State{}
	}
	if uint64(len(c.msg))+h.length > uint64(c.maxMsg) {
		// §7.4.1: 1009, before a byte of the payload is buffered.
		c.failFrame(errTooBig)
		return
	}
	c.kind = kindData
}

// failFrame fails the connection and skips the rest of the current frame.
func (c *Conn) failFrame(err *CloseError) {
	c.fail(err)
	c.kind = kindSkip
}

// payload takes the next bytes of the current frame's payload.
func (c *Conn) payload(b []byte) {
	switch c.kind {
	case kindData:
		start := len(c.msg)
		c.msg = grow(c.msg, len(b), c.maxMsg)
		c.msg = append(c.msg, b...)
		c.kpos = unmask(c.h.key, c.kpos, c.msg[start:])
		if c.msgOp == opText && !c.utf.feed(c.msg[start:]) {
			c.failFrame(errInvalidUTF8) // §8.1, failing fast
		}
	case kindControl:
		dst := c.ctrl[c.ctrlN : int(c.ctrlN)+len(b)]
		copy(dst, b)
		c.kpos = unmask(c.h.key, c.kpos, dst)
		c.ctrlN += uint8(len(b))
	case kindSkip:
		if c.skipped += len(b); c.skipped > closeDiscard {
			c.done = true
		}
	}
}

// grow returns b with room for n more bytes, doubling as bytes arrive but
// never past limit, which the frame's header was checked against.
func grow(b []byte, n, limit int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nc := min(max(2*cap(b), len(b)+n, minBuffer), limit)
	nb := make([]byte, len(b), max(nc, len(b)+n))
	copy(nb, b)
	return nb
}

// end finishes the current frame.
func (c *Conn) end() {
	kind := c.kind
	c.kind = kindNone
	switch kind {
	case kindData:
		if !c.h.fin {
			return
		}
		if c.msgOp == opText && !c.utf.complete() {
			c.fail(errInvalidUTF8) // the message ends inside a character
			return
		}
		c.ready = readyMessage
	case kindControl:
		c.ready = readyControl
	case kindSkip:
		if c.sentClose && c.h.op == opClose {
			c.done = true // a Close too long to read: §5.5 broken, but a Close
		}
	}
}

// act acts on the complete message or control frame waiting in c. It
// reports false, acting on nothing, if the output buffer lacks the room to
// answer it.
func (c *Conn) act() bool {
	switch c.ready {
	case readyMessage:
		// Deliver only when a reply of the same size fits: an echo never
		// finds the buffer full, and a peer that sends faster than it
		// reads is held back by TCP flow control, not buffered for.
		if c.maxOut-c.Buffered() < maxServerHeader+len(c.msg) {
			return false
		}
		c.ready = readyNone
		m := Message{Type: MessageType(c.msgOp), Data: c.msg}
		c.msgOp = 0
		if c.onMessage != nil {
			c.deliver(m)
		}
		c.msg = shrink(c.msg)
	case readyControl:
		payload := c.ctrl[:c.ctrlN]
		switch c.h.op {
		case opPing:
			if c.sentClose {
				break // no Pong after our Close (§5.5.1)
			}
			// §5.5.2: a Ping is answered with a Pong carrying its payload.
			if c.Buffered()+2+len(payload) > c.maxOut+ctrlReserve/2 {
				return false
			}
			c.makeRoom(2 + len(payload))
			c.out = appendHeader(c.out, opPong, len(payload))
			c.out = append(c.out, payload...)
		case opClose:
			c.peerClose(payload)
		}
		// §5.5.3: an unsolicited Pong needs no answer; any byte
		// received keeps the Hub from pinging, so Pongs need no report.
		c.ready = readyNone
	}
	return true
}

// peerClose acts on the peer's Close frame (RFC 6455 §5.5.1, §7.1.5).
func (c *Conn) peerClose(payload []byte) {
	code, reason := CloseNoStatus, ""
	if len(payload) >= 2 {
		code = int(binary.BigEndian.Uint16(payload))
		reason = string(payload[2:])
	}
	switch {
	case len(payload) == 1:
		c.fail(errCloseLength)
	case len(payload) >= 2 && !validCloseCode(code):
		c.fail(errCloseCode) // §7.4: 1005, 1006, 1015 and unassigned codes
	case !utf8.ValidString(reason):
		c.fail(errCloseReasonUTF8) // §5.5.1: the reason is UTF-8
	default:
		c.code, c.reason = code, reason
		if !c.sentClose {
			// §5.5.1: answer with a Close, echoing the code.
			if code == CloseNoStatus {
				code = 0
			}
			c.queueClose(code, "")
		}
	}
	// The peer sends nothing after its Close: the server closes the TCP
	// connection first, once our Close is out (§7.1.1).
	c.done = true
}

// Read fills p with queued frames. It returns io.EOF once the closing
// handshake is over and everything queued was taken, so that the server
// closes the connection.
func (w *wire) Read(p []byte) (int, error) {
	c := (*Conn)(w)
	if c.aborted {
		return 0, errAborted
	}
	n := c.drain(p)
	if c.ready != readyNone && !c.done {
		// Input waited for this room: act on it now, and have the
		// server pass the rest of the input again.
		c.inside = true
		ok := c.act()
		c.inside = false
		if ok {
			n += c.drain(p[n:])
			c.wake.Wake()
		}
	}
	switch {
	case n > 0:
		return n, nil
	case c.done:
		return 0, io.EOF
	}
	return 0, biplane.ErrWouldBlock
}

// drain moves queued output into p.
func (c *Conn) drain(p []byte) int {
	n := copy(p, c.out[c.outPos:])
	c.outPos += n
	if c.outPos == len(c.out) {
		c.out, c.outPos = shrink(c.out), 0
	}
	return n
}

// Close is called by the server once the connection has closed, whatever
// the reason. It reports the close to OnClose: the code the server failed
// the connection with, else the peer's Close code, else 1006 (RFC 6455
// §7.1.5: closed without a Close frame).
func (w *wire) Close() error {
	c := (*Conn)(w)
	if c.closed {
		return nil
	}
	c.closed = true
	if c.hub != nil {
		c.hub.Remove(c)
	}
	code, reason := CloseAbnormal, ""
	switch {
	case c.err != nil:
		code, reason = c.err.Code, c.err.Reason
	case c.code != 0:
		code, reason = c.code, c.reason
	}
	c.out, c.outPos, c.msg = nil, 0, nil
	if c.onClose != nil {
		defer c.recoverPanic()
		c.onClose(c, code, reason)
	}
	return nil
}

// deliver calls OnMessage. A panic in it costs this connection a 1011
// Close (RFC 6455 §7.4.1), not the whole server's loop.
func (c *Conn) deliver(m Message) {
	defer c.recoverPanic()
	c.onMessage(c, m)
}

// recoverPanic, deferred, recovers a callback's panic, reports it to
// OnPanic and fails the connection if it is still open.
func (c *Conn) recoverPanic() {
	if v := recover(); v != nil {
		if c.onPanic != nil {
			c.onPanic(v)
		}
		if !c.closed {
			c.fail(errPanic)
		}
	}
}
