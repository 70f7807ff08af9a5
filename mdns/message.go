package mdns

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// The DNS message format of RFC 1035 §4.1, as Multicast DNS uses it
// (RFC 6762 §18): parsed in place from the datagram, never copied, into
// fixed arrays; encoded by append functions into the responder's one
// output buffer.

// Record types (RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 4034 §4) and classes
// (RFC 1035 §3.2.4) the responder answers or reads.
const (
	typeA    = 1
	typeAAAA = 28
	typeNSEC = 47
	typeANY  = 255 // a QTYPE only (RFC 1035 §3.2.3)

	classIN  = 1
	classANY = 255 // a QCLASS only

	// topBit is the top bit of the class field: in a question it asks for
	// a unicast response (the QU bit, RFC 6762 §5.4); in a resource record
	// of a response it tells caches to flush older records of the same
	// name, type and class (the cache-flush bit, §10.2).
	topBit = 0x8000
)

// Header fields (RFC 1035 §4.1.1).
const (
	headerLen  = 12
	flagQR     = 1 << 15 // a response
	flagAA     = 1 << 10 // authoritative: set in every mDNS response (RFC 6762 §18.4)
	flagTC     = 1 << 9  // truncated: more known answers follow (§18.5)
	opcodeMask = 0xf << 11
	rcodeMask  = 0xf
)

// Bounds of the parser. A datagram is at most MaxPacket bytes; within it:
const (
	// maxQuestions and maxRecords are the questions and resource records
	// of one message that are examined. Those beyond are not parsed: a
	// long known-answer list (RFC 6762 §7.1) about other names is no
	// business of a host responder, and the bounds keep the arrays fixed.
	maxQuestions = 16
	maxRecords   = 64

	// maxName is the longest name in wire form, length octets included
	// (RFC 1035 §3.1: 255).
	maxName = 255

	// maxLabel is the longest label (RFC 1035 §2.3.4: 63); longer length
	// octets (0x40 and 0x80) are the reserved label types of RFC 6891
	// §5, refused.
	maxLabel = 63

	// maxPointers is how many compression pointers (RFC 1035 §4.1.4) one
	// name may follow. Each must also point before itself, so a loop is
	// impossible; the bound caps the work a hostile name costs (at most
	// 16 jumps and 255 bytes) well above any real message's chains,
	// which are two or three deep.
	maxPointers = 16

	// maxPacket is the longest message read: RFC 6762 §17 allows 9000
	// bytes. It keeps every offset within 16 bits.
	maxPacket = 9000
)

// Sections of a message, for record.section.
const (
	sectionAnswer = iota
	sectionAuthority
	sectionAdditional
)

// Why a message is dropped. They stay inside the package: a malformed
// datagram is counted ([Stats].Malformed) and otherwise ignored.
var (
	errShort       = errors.New("mdns: message ends early")
	errTrailing    = errors.New("mdns: bytes after the last record")
	errLabel       = errors.New("mdns: reserved label type or label over 63 bytes")
	errNameLen     = errors.New("mdns: name over 255 bytes")
	errPointer     = errors.New("mdns: compression pointer not to an earlier offset")
	errPointers    = errors.New("mdns: more than 16 compression pointers in a name")
	errHeaderField = errors.New("mdns: nonzero opcode or response code")
	errLong        = errors.New("mdns: message over 9000 bytes")
)

// A question is one entry of the question section. Offsets are 16-bit:
// a datagram is at most 9000 bytes (see maxPacket).
type question struct {
	name  uint16 // offset of the name in the message
	typ   uint16 // QTYPE
	class uint16 // QCLASS, with the QU bit
}

// A record is one resource record of the answer, authority or additional
// section: 16 bytes, so that the 64 of a message take 1 KiB.
type record struct {
	ttl     uint32 // seconds
	name    uint16 // offset of the name in the message
	typ     uint16 // TYPE
	class   uint16 // CLASS, with the cache-flush bit
	rdOff   uint16 // offset of the rdata in the message
	rdLen   uint16
	section uint8
}

// A message is a parsed DNS message: views into the datagram it was
// parsed from, in arrays of fixed size, so that parsing allocates nothing.
type message struct {
	b      []byte
	id     uint16
	flags  uint16
	qs     []question // questions examined, at most maxQuestions
	rrs    []record   // records examined, at most maxRecords
	qbuf   [maxQuestions]question
	rrbuf  [maxRecords]record
	nQuest int // QDCOUNT, of which len(qs) were examined
}

// isResponse reports whether the message is a response (QR set).
func (m *message) isResponse() bool { return m.flags&flagQR != 0 }

// rdata returns rr's rdata, a view into the message.
func (m *message) rdata(rr *record) []byte {
	return m.b[rr.rdOff : rr.rdOff+rr.rdLen : rr.rdOff+rr.rdLen]
}

// parse parses b into m, or returns why b is malformed. b must stay
// unchanged while m is in use.
func (m *message) parse(b []byte) error {
	m.b, m.qs, m.rrs = b, m.qbuf[:0], m.rrbuf[:0]
	if len(b) < headerLen {
		return errShort
	}
	if len(b) > maxPacket {
		return errLong
	}
	m.id = binary.BigEndian.Uint16(b[0:])
	m.flags = binary.BigEndian.Uint16(b[2:])
	// RFC 6762 §18.3 and §18.11: a message with an opcode or response
	// code other than zero is silently ignored.
	if m.flags&(opcodeMask|rcodeMask) != 0 {
		return errHeaderField
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	counts := [3]int{
		int(binary.BigEndian.Uint16(b[6:])),
		int(binary.BigEndian.Uint16(b[8:])),
		int(binary.BigEndian.Uint16(b[10:])),
	}
	m.nQuest = qd
	off := headerLen
	for i := 0; i < qd; i++ {
		if i == maxQuestions {
			return nil // examine no further (see maxQuestions)
		}
		end, err := skipName(b, off)
		if err != nil {
			return err
		}
		if len(b)-end < 4 {
			return errShort
		}
		m.qs = append(m.qs, question{
			name:  uint16(off),
			typ:   binary.BigEndian.Uint16(b[end:]),
			class: binary.BigEndian.Uint16(b[end+2:]),
		})
		off = end + 4
	}
	for sec, n := range counts {
		for i := 0; i < n; i++ {
			if len(m.rrs) == maxRecords {
				return nil
			}
			end, err := skipName(b, off)
			if err != nil {
				return err
			}
			if len(b)-end < 10 {
				return errShort
			}
			rdlen := int(binary.BigEndian.Uint16(b[end+8:]))
			if len(b)-end-10 < rdlen {
				return errShort
			}
			m.rrs = append(m.rrs, record{
				name:    uint16(off),
				typ:     binary.BigEndian.Uint16(b[end:]),
				class:   binary.BigEndian.Uint16(b[end+2:]),
				ttl:     binary.BigEndian.Uint32(b[end+4:]),
				rdOff:   uint16(end + 10),
				rdLen:   uint16(rdlen),
				section: uint8(sec),
			})
			off = end + 10 + rdlen
		}
	}
	if off != len(b) {
		return errTrailing
	}
	return nil
}

// skipName checks the name at off in b (RFC 1035 §3.1, §4.1.4) and
// returns the offset just past it, where the record goes on: past its
// terminating zero octet, or past its first compression pointer.
func skipName(b []byte, off int) (int, error) {
	end := -1  // where the record goes on, once a pointer was followed
	n := 0     // bytes of the name so far, in uncompressed wire form
	jumps := 0 // pointers followed
	for {
		if off >= len(b) {
			return 0, errShort
		}
		c := int(b[off])
		switch {
		case c == 0:
			if end < 0 {
				end = off + 1
			}
			if n+1 > maxName {
				return 0, errNameLen
			}
			return end, nil
		case c&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return 0, errShort
			}
			ptr := (c&0x3f)<<8 | int(b[off+1])
			// Only backwards: every jump lands strictly earlier, so no
			// name can loop, whatever the datagram holds.
			if ptr >= off {
				return 0, errPointer
			}
			if jumps++; jumps > maxPointers {
				return 0, errPointers
			}
			if end < 0 {
				end = off + 2
			}
			off = ptr
		case c > maxLabel:
			return 0, errLabel
		default:
			n += 1 + c
			if n+1 > maxName {
				return 0, errNameLen
			}
			off += 1 + c
		}
	}
}

// nameEqual reports whether the name at off in b, which skipName has
// accepted, equals want, a name in uncompressed wire form. Names compare
// as DNS names do (RFC 1035 §2.3.3, RFC 6762 §16): ASCII letters without
// regard to case, every other byte exactly.
func nameEqual(b []byte, at uint16, want []byte) bool {
	off := int(at)
	w := 0
	for jumps := 0; jumps <= maxPointers; {
		if off >= len(b) || w >= len(want) {
			return false
		}
		c := int(b[off])
		if c&0xc0 == 0xc0 {
			if off+1 >= len(b) {
				return false
			}
			off = (c&0x3f)<<8 | int(b[off+1])
			jumps++
			continue
		}
		if c > maxLabel || int(want[w]) != c || off+1+c > len(b) || w+1+c > len(want) {
			return false
		}
		if c == 0 {
			return true
		}
		if !equalFold(b[off+1:off+1+c], want[w+1:w+1+c]) {
			return false
		}
		off += 1 + c
		w += 1 + c
	}
	return false
}

// equalFold reports whether a and b, of equal length, are equal with ASCII
// letters folded to lower case.
func equalFold(a, b []byte) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// appendHeader appends a message header with the given ID, flags and
// section counts.
func appendHeader(b []byte, id, flags uint16, qd, an, ns, ar int) []byte {
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(qd))
	b = binary.BigEndian.AppendUint16(b, uint16(an))
	b = binary.BigEndian.AppendUint16(b, uint16(ns))
	return binary.BigEndian.AppendUint16(b, uint16(ar))
}

// appendName appends name, in wire form, or a compression pointer to an
// earlier copy of it at offset at, if at > 0 (RFC 1035 §4.1.4).
func appendName(b, name []byte, at int) []byte {
	if at > 0 {
		return binary.BigEndian.AppendUint16(b, 0xc000|uint16(at))
	}
	return append(b, name...)
}

// appendQuestion appends a question for name.
func appendQuestion(b, name []byte, at int, typ, class uint16) []byte {
	b = appendName(b, name, at)
	b = binary.BigEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint16(b, class)
}

// appendAddr appends an A or AAAA record (RFC 1035 §3.4.1, RFC 3596
// §2.2) for addr, an IPv4 or IPv6 address without zone.
func appendAddr(b, name []byte, at int, addr netip.Addr, class uint16, ttl uint32) []byte {
	b = appendName(b, name, at)
	if addr.Is4() {
		b = binary.BigEndian.AppendUint16(b, typeA)
	} else {
		b = binary.BigEndian.AppendUint16(b, typeAAAA)
	}
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	if addr.Is4() {
		a := addr.As4()
		b = binary.BigEndian.AppendUint16(b, 4)
		return append(b, a[:]...)
	}
	a := addr.As16()
	b = binary.BigEndian.AppendUint16(b, 16)
	return append(b, a[:]...)
}

// appendNSEC appends the NSEC record with which a responder says which
// types name has, so that a querier asking for another stops asking
// (RFC 6762 §6.1; format RFC 4034 §4.1). The next domain name is name
// itself, written whole: §6.1 fixes it, and §18.14 lets it be
// compressed, which not every reader knows. The type bit map has window
// 0 only: A is bit 1, AAAA bit 28.
func appendNSEC(b, name []byte, at int, class uint16, ttl uint32, hasA, hasAAAA bool) []byte {
	b = appendName(b, name, at)
	b = binary.BigEndian.AppendUint16(b, typeNSEC)
	b = binary.BigEndian.AppendUint16(b, class)
	b = binary.BigEndian.AppendUint32(b, ttl)
	var bitmap [4]byte
	n := 0
	if hasA {
		bitmap[0] |= 0x80 >> typeA
		n = 1
	}
	if hasAAAA {
		bitmap[typeAAAA/8] |= 0x80 >> (typeAAAA % 8)
		n = 4
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)+2+n))
	b = append(b, name...)
	b = append(b, 0, byte(n))
	return append(b, bitmap[:n]...)
}

// nsecRdata appends the rdata appendNSEC writes, for comparisons.
func nsecRdata(b, name []byte, hasA, hasAAAA bool) []byte {
	rr := appendNSEC(nil, name, 0, 0, 0, hasA, hasAAAA)
	return append(b, rr[len(name)+10:]...)
}
