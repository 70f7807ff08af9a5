package websocket

import "encoding/binary"

// A utf8State validates UTF-8 (RFC 3629 §4) fed in pieces that may split
// a character anywhere, as a text message arrives across frames and
// reads. It fails at the first byte that cannot start or continue a
// character, so a bad message is refused before the rest of it arrives
// (RFC 6455 §8.1: an endpoint MUST fail the connection on invalid UTF-8 in
// a text message).
type utf8State struct {
	need   uint8 // continuation bytes still expected
	lo, hi byte  // the range the next continuation byte must be in
}

// feed reports whether p keeps the text valid so far.
func (s *utf8State) feed(p []byte) bool {
	i := 0
	for i < len(p) {
		if s.need > 0 {
			b := p[i]
			if b < s.lo || b > s.hi {
				return false
			}
			s.need--
			s.lo, s.hi = 0x80, 0xbf
			i++
			continue
		}
		// Between characters: skip ASCII eight bytes at a time.
		for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i == len(p) {
			break
		}
		b := p[i]
		i++
		// The second byte's range is narrower after some leading bytes:
		// that excludes overlong forms, the surrogates U+D800-U+DFFF and
		// code points past U+10FFFF (RFC 3629 §4's UTF8-2..UTF8-4).
		s.lo, s.hi = 0x80, 0xbf
		switch {
		case b < 0x80:
			continue
		case b < 0xc2:
			return false // a continuation byte, or an overlong 2-byte form
		case b < 0xe0:
			s.need = 1
		case b == 0xe0:
			s.need, s.lo = 2, 0xa0
		case b == 0xed:
			s.need, s.hi = 2, 0x9f
		case b < 0xf0:
			s.need = 2
		case b == 0xf0:
			s.need, s.lo = 3, 0x90
		case b < 0xf4:
			s.need = 3
		case b == 0xf4:
			s.need, s.hi = 3, 0x8f
		default:
			return false
		}
	}
	return true
}

// complete reports whether the text fed so far ends at a character boundary.
func (s *utf8State) complete() bool { return s.need == 0 }
