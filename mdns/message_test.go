package mdns

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

// hexMsg decodes a message written in hex with spaces and comments
// (from "#" to the end of a line).
func hexMsg(s string) []byte {
	var clean strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "#")
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		panic(err)
	}
	return b
}

var parseTests = []struct {
	name string
	in   []byte
	err  error
	want string // describe's rendering, if err is nil
}{
	{"query A", query("app.local", typeA, classIN), nil, "query id=0\nq app.local A"},
	{"query QU AAAA", query("App.Local", typeAAAA, classIN|topBit), nil, "query id=0\nq App.Local AAAA qu"},
	{"response", build(0, flagQR|flagAA, nil,
		[]testRR{{"app.local", typeA, classIN | topBit, 120, ip("10.0.0.1")}}, nil, nil), nil,
		"response id=0 aa\nan app.local A ttl=120 10.0.0.1 flush"},
	{"compressed", hexMsg(`
		0000 0000 0002 0000 0000 0000
		03 617070 05 6c6f63616c 00  0001 0001   # app.local A IN, at 12
		04 77777777 c00c            001c 0001   # wwww + pointer to app.local
	`), nil, "query id=0\nq app.local A\nq wwww.app.local AAAA"},
	{"known answer", build(7, 0, []testQ{{"app.local", typeA, classIN}},
		[]testRR{{"app.local", typeA, classIN, 100, ip("10.0.0.1")}}, nil, nil), nil,
		"query id=7\nq app.local A\nan app.local A ttl=100 10.0.0.1"},
	{"probe", build(0, 0, []testQ{{"app.local", typeANY, classIN | topBit}}, nil,
		[]testRR{{"app.local", typeA, classIN, 120, ip("10.0.0.1")}}, nil), nil,
		"query id=0\nq app.local ANY qu\nns app.local A ttl=120 10.0.0.1"},
	{"root name", hexMsg("0000 0000 0001 0000 0000 0000  00 0001 0001"), nil, "query id=0\nq  A"},

	{"empty", nil, errShort, ""},
	{"short header", hexMsg("0000 0000 0001 0000 0000"), errShort, ""},
	{"no question", hexMsg("0000 0000 0001 0000 0000 0000"), errShort, ""},
	{"question without type", hexMsg("0000 0000 0001 0000 0000 0000  03 617070 00 00"), errShort, ""},
	{"label past end", hexMsg("0000 0000 0001 0000 0000 0000  05 6170"), errShort, ""},
	{"label 64", append(hexMsg("0000 0000 0001 0000 0000 0000 40"), make([]byte, 70)...), errLabel, ""},
	{"label type 01", hexMsg("0000 0000 0001 0000 0000 0000  41 00 0001 0001"), errLabel, ""},
	{"label type 10", hexMsg("0000 0000 0001 0000 0000 0000  80 00 0001 0001"), errLabel, ""},
	{"pointer to itself", hexMsg("0000 0000 0001 0000 0000 0000  c00c 0001 0001"), errPointer, ""},
	{"pointer forward", hexMsg("0000 0000 0001 0000 0000 0000  c00e 0001 0001 00"), errPointer, ""},
	{"pointer loop", hexMsg(`
		0000 0000 0002 0000 0000 0000
		01 61 c012 0001 0001   # a + pointer to 18, which points back to 12
		c00c 0001 0001
	`), errPointer, ""},
	{"pointer cut", hexMsg("0000 0000 0001 0000 0000 0000  c0"), errShort, ""},
	{"17 pointers", chainMsg(17), errPointers, ""},
	{"name 256", longName(256), errNameLen, ""},
	{"rdata past end", hexMsg(`
		0000 8400 0000 0001 0000 0000
		03 617070 05 6c6f63616c 00 0001 8001 00000078 0005 0a000001
	`), errShort, ""},
	{"record cut", hexMsg("0000 8400 0000 0001 0000 0000  00 0001 8001 0000"), errShort, ""},
	{"count past end", hexMsg("0000 8400 0000 0001 0000 0001  00 0001 0001 00000078 0000"), errShort, ""},
	{"trailing byte", append(query("app.local", typeA, classIN), 0), errTrailing, ""},
	{"opcode", hexMsg("0000 2000 0000 0000 0000 0000"), errHeaderField, ""},
	{"rcode", hexMsg("0000 8403 0000 0000 0000 0000"), errHeaderField, ""},
}

// chainMsg is a response whose second record's owner name follows n
// compression pointers. DNS has no free space for them before the
// question section, so they sit in the first record's rdata, which parse
// does not read as a name: its root name, then n-1 pointers, each to the
// one before; the owner name is a pointer to the last.
func chainMsg(n int) []byte {
	b := hexMsg("0000 8400 0000 0002 0000 0000")
	b = append(b, 0, 0, 0x10, 0, 1, 0, 0, 0, 0) // root, TXT, IN, TTL 0
	rdlenAt := len(b)
	b = append(b, 0, 0)
	start := len(b)
	b = append(b, 0) // the root
	prev := start
	for range n - 1 {
		at := len(b)
		b = append(b, 0xc0|byte(prev>>8), byte(prev))
		prev = at
	}
	rdlen := len(b) - start
	b[rdlenAt], b[rdlenAt+1] = byte(rdlen>>8), byte(rdlen)
	b = append(b, 0xc0|byte(prev>>8), byte(prev))
	return append(b, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0) // A, IN, TTL 0, no rdata
}

// longName is a query for a name of n bytes in wire form.
func longName(n int) []byte {
	b := hexMsg("0000 0000 0001 0000 0000 0000")
	for left := n - 1; left > 0; {
		l := min(left-1, maxLabel)
		if l == 0 { // a lone byte left: lengthen the last label instead
			break
		}
		b = append(b, byte(l))
		b = append(b, bytes.Repeat([]byte{'a'}, l)...)
		left -= 1 + l
	}
	return append(b, 0, 0, 1, 0, 1)
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			var m message
			err := m.parse(tt.in)
			if err != tt.err {
				t.Fatalf("parse: got error %v, want %v", err, tt.err)
			}
			if err == nil {
				if got := describe(tt.in); got != tt.want {
					t.Errorf("got\n%s\nwant\n%s", got, tt.want)
				}
			}
		})
	}
}

// TestParsePrefixes parses every proper prefix of each valid message: each
// must be refused, none may panic.
func TestParsePrefixes(t *testing.T) {
	for _, tt := range parseTests {
		if tt.err != nil {
			continue
		}
		for n := range len(tt.in) {
			var m message
			if err := m.parse(tt.in[:n]); err == nil {
				t.Errorf("%s: prefix of %d of %d bytes parsed", tt.name, n, len(tt.in))
			}
		}
	}
}

func TestChainLimit(t *testing.T) {
	var m message
	if err := m.parse(chainMsg(maxPointers)); err != nil {
		t.Errorf("a name through %d pointers: %v, want it parsed", maxPointers, err)
	}
	if err := m.parse(chainMsg(maxPointers + 1)); err != errPointers {
		t.Errorf("a name through %d pointers: got %v, want %v", maxPointers+1, err, errPointers)
	}
	if err := m.parse(longName(maxName)); err != nil {
		t.Errorf("a name of %d bytes: %v, want it parsed", maxName, err)
	}
}

// TestParseBounds checks that questions and records beyond the bounds
// are left unread, not refused.
func TestParseBounds(t *testing.T) {
	var qs []testQ
	for range maxQuestions + 5 {
		qs = append(qs, testQ{"app.local", typeA, classIN})
	}
	var m message
	if err := m.parse(build(0, 0, qs, nil, nil, nil)); err != nil || len(m.qs) != maxQuestions {
		t.Errorf("%d questions: got %d examined, error %v; want %d, nil", len(qs), len(m.qs), err, maxQuestions)
	}
	var rrs []testRR
	for range maxRecords + 5 {
		rrs = append(rrs, testRR{"app.local", typeA, classIN, 120, ip("10.0.0.1")})
	}
	if err := m.parse(build(0, flagQR, nil, rrs, nil, nil)); err != nil || len(m.rrs) != maxRecords {
		t.Errorf("%d records: got %d examined, error %v; want %d, nil", len(rrs), len(m.rrs), err, maxRecords)
	}
}

func TestNameEqual(t *testing.T) {
	msg := hexMsg(`
		0000 0000 0002 0000 0000 0000
		03 417050 05 4c6f43614c 00  0001 0001   # ApP.LoCaL, at 12
		04 77777777 c00c            001c 0001   # wwww.ApP.LoCaL, at 27
	`)
	tests := []struct {
		off  uint16
		want string
		eq   bool
	}{
		{12, "app.local", true},
		{12, "APP.LOCAL", true},
		{12, "app.locale", false},
		{12, "ap.local", false},
		{12, "app", false},
		{27, "wwww.app.local", true},
		{27, "wwwW.App.local", true},
		{27, "app.local", false},
		{27, "wwww.app", false},
	}
	for _, tt := range tests {
		if got := nameEqual(msg, tt.off, wire(tt.want)); got != tt.eq {
			t.Errorf("nameEqual(name at %d, %q): got %v, want %v", tt.off, tt.want, got, tt.eq)
		}
	}
	// Non-ASCII bytes compare exactly; only ASCII letters fold.
	if nameEqual(append(wire("\xc3\x84"), 0, 1, 0, 1), 0, wire("\xc3\xa4")) {
		t.Errorf("Ä equals ä: want only ASCII folded")
	}
}

func TestEncode(t *testing.T) {
	name := wire("app.local")
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"header", appendHeader(nil, 0x1234, flagQR|flagAA, 1, 2, 3, 4),
			"1234 8400 0001 0002 0003 0004"},
		{"question", appendQuestion(nil, name, 0, typeANY, classIN|topBit),
			"03617070 056c6f63616c 00 00ff 8001"},
		{"question, compressed", appendQuestion(nil, name, 12, typeA, classIN),
			"c00c 0001 0001"},
		{"A", appendAddr(nil, name, 12, netip.MustParseAddr("10.0.0.1"), classIN|topBit, 120),
			"c00c 0001 8001 00000078 0004 0a000001"},
		{"AAAA", appendAddr(nil, name, 12, netip.MustParseAddr("fe80::1"), classIN, 10),
			"c00c 001c 0001 0000000a 0010 fe800000000000000000000000000001"},
		// RFC 4034 §4.1: next name, then window 0, bitmap length, bits.
		{"NSEC A", appendNSEC(nil, name, 12, classIN|topBit, 120, true, false),
			"c00c 002f 8001 00000078 000e 03617070056c6f63616c00 0001 40"},
		{"NSEC A AAAA", appendNSEC(nil, name, 12, classIN|topBit, 120, true, true),
			"c00c 002f 8001 00000078 0011 03617070056c6f63616c00 0004 40000008"},
		{"NSEC AAAA", appendNSEC(nil, name, 0, classIN, 120, false, true),
			"03617070056c6f63616c00 002f 0001 00000078 0011 03617070056c6f63616c00 0004 00000008"},
	}
	for _, tt := range tests {
		if want := hexMsg(tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s: got %x, want %x", tt.name, tt.got, want)
		}
	}
}
