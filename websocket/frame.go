package websocket

import (
	"encoding/binary"
	"strconv"
)

// Opcodes (RFC 6455 §5.2, §11.8). The others are reserved.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Frame sizes (RFC 6455 §5.2, §5.5).
const (
	maxServerHeader = 10  // server frames carry no masking key
	maxControl      = 125 // the most payload a control frame may carry
	maxCloseReason  = maxControl - 2
)

// Close codes (RFC 6455 §7.4.1), for [Conn.Close] and [Config.OnClose].
const (
	CloseNormal          = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway       = 1001 // a server going down, a browser leaving the page
	CloseProtocolError   = 1002 // the peer broke the framing rules of RFC 6455 §5
	CloseUnsupportedData = 1003 // a message of a type the endpoint cannot accept
	CloseNoStatus        = 1005 // reported, never sent: a Close frame without a code
	CloseAbnormal        = 1006 // reported, never sent: the TCP connection ended without a Close frame
	CloseInvalidData     = 1007 // a text message (or close reason) that is not UTF-8
	ClosePolicyViolation = 1008 // a message that violates the endpoint's policy
	CloseTooBig          = 1009 // a message over [Config].MaxMessageBytes
	CloseInternalError   = 1011 // the server met an unexpected condition
)

// A CloseError is why the server failed a connection (RFC 6455 §7.1.7): the
// close code and reason it sent the peer in its Close frame.
type CloseError struct {
	Code   int    // 1002, 1007, 1009, or 1011 after a callback's panic
	Reason string // what was wrong, e.g. "unmasked client frame"
}

// Error returns "websocket: close <code>: <reason>".
func (e *CloseError) Error() string {
	return "websocket: close " + strconv.Itoa(e.Code) + ": " + e.Reason
}

// The ways a connection fails. Each is the close code and reason the
// server sends.
var (
	errRSV             = &CloseError{CloseProtocolError, "reserved bits set, and no extension was negotiated"}
	errOpcode          = &CloseError{CloseProtocolError, "reserved opcode"}
	errUnmasked        = &CloseError{CloseProtocolError, "unmasked client frame"}
	errFragmentedCtl   = &CloseError{CloseProtocolError, "fragmented control frame"}
	errControlTooLong  = &CloseError{CloseProtocolError, "control frame payload over 125 bytes"}
	errNonMinimal      = &CloseError{CloseProtocolError, "payload length not in its shortest form"}
	errLength63        = &CloseError{CloseProtocolError, "64-bit payload length with its top bit set"}
	errContinuation    = &CloseError{CloseProtocolError, "continuation frame without a message to continue"}
	errInterleaved     = &CloseError{CloseProtocolError, "new message before the fragmented one ended"}
	errCloseLength     = &CloseError{CloseProtocolError, "close frame with a 1-byte payload"}
	errCloseCode       = &CloseError{CloseProtocolError, "invalid close code"}
	errInvalidUTF8     = &CloseError{CloseInvalidData, "text message is not valid UTF-8"}
	errCloseReasonUTF8 = &CloseError{CloseInvalidData, "close reason is not valid UTF-8"}
	errTooBig          = &CloseError{CloseTooBig, "message over the size limit"}
	errPanic           = &CloseError{CloseInternalError, "internal error"}
)

// A header is a client frame's header (RFC 6455 §5.2).
type header struct {
	length uint64 // payload length
	key    [4]byte
	op     byte
	fin    bool
}

// parseHeader parses the client frame header at the start of p. It returns
// the header's size, or 0 if p holds only a part of it. Every rule that
// can be checked on a header is checked as soon as its byte is there, so
// that a bad frame fails the connection before the rest of it arrives; an
// error is the close to fail it with.
func parseHeader(p []byte) (h header, n int, err *CloseError) {
	if len(p) < 2 {
		return h, 0, nil
	}
	b0, b1 := p[0], p[1]
	h.fin = b0&0x80 != 0
	h.op = b0 & 0x0f
	if b0&0x70 != 0 {
		// §5.2: RSV1-3 MUST be 0 unless an extension defines them; this
		// package negotiates none.
		return h, 0, errRSV
	}
	switch h.op {
	case opContinuation, opText, opBinary:
	case opClose, opPing, opPong:
		// §5.5: control frames MUST NOT be fragmented and carry at most
		// 125 bytes.
		if !h.fin {
			return h, 0, errFragmentedCtl
		}
		if b1&0x7f > maxControl {
			return h, 0, errControlTooLong
		}
	default:
		return h, 0, errOpcode // §5.2: reserved opcodes fail the connection
	}
	if b1&0x80 == 0 {
		return h, 0, errUnmasked // §5.1: a client MUST mask every frame
	}
	n = 2
	switch l := b1 & 0x7f; l {
	case 126:
		if len(p) < 4 {
			return h, 0, nil
		}
		h.length = uint64(binary.BigEndian.Uint16(p[2:]))
		n = 4
		if h.length < 126 {
			// §5.2: "the minimal number of bytes MUST be used to encode
			// the length". Refused rather than tolerated: no conforming
			// client sends it, and one encoding per length leaves no room
			// for readers that disagree.
			return h, 0, errNonMinimal
		}
	case 127:
		if len(p) < 10 {
			return h, 0, nil
		}
		h.length = binary.BigEndian.Uint64(p[2:])
		n = 10
		switch {
		case h.length>>63 != 0:
			return h, 0, errLength63 // §5.2: the most significant bit MUST be 0
		case h.length <= 0xffff:
			return h, 0, errNonMinimal
		}
	default:
		h.length = uint64(l)
	}
	if len(p) < n+4 {
		return h, 0, nil
	}
	copy(h.key[:], p[n:n+4])
	return h, n + 4, nil
}

// skimHeader reads a frame header without judging it, to find frame
// boundaries after the server's Close frame, when the peer's frames are
// no longer processed but its Close must still be found. It returns the
// header's size, or 0 if p holds only a part of it; ok is false only for
// a length with its top bit set, which leaves no boundary to find.
func skimHeader(p []byte) (h header, n int, ok bool) {
	if len(p) < 2 {
		return h, 0, true
	}
	h.fin, h.op = p[0]&0x80 != 0, p[0]&0x0f
	n = 2
	switch l := p[1] & 0x7f; l {
	case 126:
		if len(p) < 4 {
			return h, 0, true
		}
		h.length, n = uint64(binary.BigEndian.Uint16(p[2:])), 4
	case 127:
		if len(p) < 10 {
			return h, 0, true
		}
		h.length, n = binary.BigEndian.Uint64(p[2:]), 10
		if h.length>>63 != 0 {
			return h, 0, false
		}
	default:
		h.length = uint64(l)
	}
	if p[1]&0x80 != 0 {
		if len(p) < n+4 {
			return h, 0, true
		}
		copy(h.key[:], p[n:n+4])
		n += 4
	}
	return h, n, true
}

// headerLen is the size of a server frame header for n bytes of payload.
func headerLen(n int) int {
	switch {
	case n <= maxControl:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// appendHeader appends the header of an unfragmented, unmasked server
// frame with n bytes of payload (RFC 6455 §5.2; §5.1: a server MUST NOT
// mask its frames).
func appendHeader(dst []byte, op byte, n int) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case n <= maxControl:
		return append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	}
	dst = append(dst, 127)
	return binary.BigEndian.AppendUint64(dst, uint64(n))
}

// unmask XORs b with the masking key, starting at the key's byte pos
// (0-3), and returns the position after b (RFC 6455 §5.3: byte i of the
// payload is XORed with byte i mod 4 of the key).
func unmask(key [4]byte, pos int, b []byte) int {
	if len(b) >= 8 {
		// Eight bytes at a time: the key, rotated to pos, repeated twice.
		var k [4]byte
		for i := range k {
			k[i] = key[(pos+i)&3]
		}
		k32 := binary.LittleEndian.Uint32(k[:])
		k64 := uint64(k32) | uint64(k32)<<32
		i := 0
		for ; i+8 <= len(b); i += 8 {
			binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
		}
		b = b[i:] // i is a multiple of 4: pos is unchanged
	}
	for i := range b {
		b[i] ^= key[pos&3]
		pos++
	}
	return pos & 3
}

// validCloseCode reports whether code may appear in a Close frame (RFC 6455
// §7.4.1, §7.4.2, and IANA's WebSocket Close Code Number Registry, which
// added 1012-1014 since).
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true // registered (3000-3999) and private (4000-4999) codes
	}
	// 1004 is reserved; 1005, 1006 and 1015 MUST NOT be sent; the rest of
	// 0-2999 is unassigned or reserved; 5000 and up are not defined.
	return false
}
