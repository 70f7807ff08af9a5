// Package remote lets the transport suite drive a transport that runs
// somewhere else, such as inside a WebAssembly runtime: [Serve] runs
// beside the transport and carries out each call it reads, and [Dial]
// returns a [biplane.Listener] on the test's side whose every call is one
// of those. The suite's peers then connect to the transport's real socket
// from the test, as a client would.
//
// The calls travel as frames over any pair of byte streams, say the
// standard input and output of the program under a runtime. Each is a
// request answered by one reply before the next request, so a call takes
// one round trip. Serve uses no goroutines, so it runs under TinyGo with
// -scheduler=none.
package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"

	"github.com/biplane-go/biplane"
)

// Requests, as their first byte.
const (
	opHello       = 'h' // capabilities
	opAccept      = 'a'
	opRead        = 'r' // n: how many bytes at most
	opWrite       = 'w' // payload: the bytes
	opCloseWrite  = 's'
	opClose       = 'c'
	opCloseAccept = 'A'
	opCloseL      = 'C'
)

// Reply statuses, as their first byte.
const (
	stOK         = 0
	stWouldBlock = 1
	stEOF        = 2
	stError      = 3 // payload: the message
	stTemporary  = 4 // an error whose Temporary method reports true
)

// Capabilities: of the listener in the hello reply's count, of a
// connection in the accept reply's one byte of payload.
const (
	capAcceptCloser = 1 << iota
	capCloseWriter
)

// maxPayload bounds a frame's payload, so that a broken stream cannot make
// either side allocate without limit.
const maxPayload = 16 << 20

// A request is op, the connection's id, n, and n bytes for opWrite.
// A reply is a status, a count (bytes moved, or a new connection's id),
// and a payload: the bytes read, or the error's message.

func putHeader(b []byte, code byte, a, n uint32) []byte {
	b = append(b, code)
	b = binary.LittleEndian.AppendUint32(b, a)
	return binary.LittleEndian.AppendUint32(b, n)
}

func readHeader(r io.Reader, h *[9]byte) (code byte, a, n uint32, err error) {
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, 0, err
	}
	n = binary.LittleEndian.Uint32(h[5:])
	if n > maxPayload {
		return 0, 0, 0, fmt.Errorf("remote: payload of %d bytes", n)
	}
	return h[0], binary.LittleEndian.Uint32(h[1:]), n, nil
}

// Serve carries out the calls it reads from r on l and the connections l
// accepts, and writes each reply to w, until r ends (then it returns nil)
// or fails. It reports l's and its connections' capabilities first.
func Serve(l biplane.Listener, r io.Reader, w io.Writer) error {
	conns := map[uint32]biplane.Conn{}
	var next uint32
	var h [9]byte
	var buf, out []byte
	for {
		code, id, n, err := readHeader(r, &h)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if code == opWrite {
			if _, err := io.ReadFull(r, buf); err != nil {
				return err
			}
		}
		c := conns[id]
		var count int
		var data []byte
		err = nil
		switch {
		case code == opHello:
			var caps int
			if _, ok := l.(biplane.AcceptCloser); ok {
				caps |= capAcceptCloser
			}
			count = caps
		case code == opAccept:
			var nc biplane.Conn
			if nc, err = l.Accept(); err == nil {
				next++
				conns[next] = nc
				count = int(next)
				buf = append(buf[:0], 0)
				if _, ok := nc.(biplane.CloseWriter); ok {
					buf[0] |= capCloseWriter
				}
				data = buf
			}
		case code == opCloseAccept:
			if ac, ok := l.(biplane.AcceptCloser); ok {
				err = ac.CloseAccept()
			} else {
				err = errors.New("remote: not an AcceptCloser")
			}
		case code == opCloseL:
			err = l.Close()
		case c == nil:
			err = fmt.Errorf("remote: no connection %d", id)
		case code == opRead:
			count, err = c.Read(buf)
			count = min(max(count, 0), len(buf))
			data = buf[:count]
		case code == opWrite:
			count, err = c.Write(buf)
			count = min(max(count, 0), len(buf))
		case code == opCloseWrite:
			if cw, ok := c.(biplane.CloseWriter); ok {
				err = cw.CloseWrite()
			} else {
				err = errors.New("remote: not a CloseWriter")
			}
		case code == opClose:
			err = c.Close()
			// Kept: calls after Close must meet the Conn's own answer.
		default:
			return fmt.Errorf("remote: unknown request %q", code)
		}
		st := byte(stOK)
		var te interface{ Temporary() bool }
		switch {
		case err == nil:
		case err == biplane.ErrWouldBlock:
			st = stWouldBlock
		case err == io.EOF:
			st = stEOF
		case errors.As(err, &te) && te.Temporary():
			st, data = stTemporary, []byte(err.Error())
		default:
			st, data = stError, []byte(err.Error())
		}
		out = putHeader(out[:0], st, uint32(count), uint32(len(data)))
		out = append(out, data...)
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
}

// Dial returns the Listener whose calls are carried out by the Serve that
// reads w and writes r. It implements [biplane.AcceptCloser] if the
// served listener does, and each of its connections [biplane.CloseWriter]
// if the served one does. Its methods may be called from any goroutine,
// one call at a time going through.
func Dial(r io.Reader, w io.Writer) (biplane.Listener, error) {
	rl := &rlistener{link: &link{r: r, w: w}}
	caps, _, err := rl.link.call(opHello, 0, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("remote: hello: %w", err)
	}
	if caps&capAcceptCloser != 0 {
		return acceptCloser{rl}, nil
	}
	return rl, nil
}

// link is the test's end of the streams.
type link struct {
	mu  sync.Mutex
	r   io.Reader
	w   io.Writer
	h   [9]byte
	out []byte
}

// A remoteError is an error the served side returned, as its message.
type remoteError struct {
	msg       string
	temporary bool
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Temporary() bool { return e.temporary }

// call makes one request and returns the reply's count, the bytes read
// into p for opRead, and the error the served side returned.
func (k *link) call(code byte, id uint32, payload []byte, n int) (int, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if code == opWrite {
		n = len(payload)
	}
	k.out = putHeader(k.out[:0], code, id, uint32(n))
	k.out = append(k.out, payload...)
	if _, err := k.w.Write(k.out); err != nil {
		return 0, nil, err
	}
	st, count, m, err := readHeader(k.r, &k.h)
	if err != nil {
		return 0, nil, fmt.Errorf("remote: reply: %w", err)
	}
	data := make([]byte, m)
	if _, err := io.ReadFull(k.r, data); err != nil {
		return 0, nil, fmt.Errorf("remote: reply: %w", err)
	}
	switch st {
	case stOK:
		return int(count), data, nil
	case stWouldBlock:
		return int(count), nil, biplane.ErrWouldBlock
	case stEOF:
		return int(count), nil, io.EOF
	case stTemporary:
		return int(count), nil, &remoteError{string(data), true}
	}
	return int(count), nil, &remoteError{msg: string(data)}
}

type rlistener struct {
	link *link
}

func (l *rlistener) Accept() (biplane.Conn, error) {
	id, caps, err := l.link.call(opAccept, 0, nil, 0)
	if err != nil {
		return nil, err
	}
	c := &rconn{link: l.link, id: uint32(id)}
	if len(caps) == 1 && caps[0]&capCloseWriter != 0 {
		return closeWriter{c}, nil
	}
	return c, nil
}

func (l *rlistener) Close() error {
	_, _, err := l.link.call(opCloseL, 0, nil, 0)
	return err
}

type acceptCloser struct{ *rlistener }

func (l acceptCloser) CloseAccept() error {
	_, _, err := l.link.call(opCloseAccept, 0, nil, 0)
	return err
}

type rconn struct {
	link *link
	id   uint32
}

func (c *rconn) Read(p []byte) (int, error) {
	n, data, err := c.link.call(opRead, c.id, nil, len(p))
	return copy(p, data[:min(n, len(data))]), err
}

func (c *rconn) Write(p []byte) (int, error) {
	n, _, err := c.link.call(opWrite, c.id, p, 0)
	return n, err
}

func (c *rconn) Close() error {
	_, _, err := c.link.call(opClose, c.id, nil, 0)
	return err
}

// RemoteAddr returns the zero AddrPort: the served side's is not carried.
func (c *rconn) RemoteAddr() netip.AddrPort { return netip.AddrPort{} }

type closeWriter struct{ *rconn }

func (c closeWriter) CloseWrite() error {
	_, _, err := c.link.call(opCloseWrite, c.id, nil, 0)
	return err
}
