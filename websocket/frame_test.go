package websocket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/biplane-go/biplane"
)

// headerCases are client frame headers, whole, and what parseHeader makes
// of them (RFC 6455 §5.2).
var headerCases = []struct {
	name string
	in   []byte
	op   byte
	fin  bool
	len  uint64
	n    int
	err  *CloseError
}{
	{"§5.2 text, 7-bit length", []byte{0x81, 0x85, 1, 2, 3, 4}, opText, true, 5, 6, nil},
	{"§5.2 binary, not FIN", []byte{0x02, 0x80, 1, 2, 3, 4}, opBinary, false, 0, 6, nil},
	{"§5.2 continuation", []byte{0x80, 0xfd, 1, 2, 3, 4}, opContinuation, true, 125, 6, nil},
	{"§5.2 16-bit length 126", []byte{0x82, 0xfe, 0, 126, 1, 2, 3, 4}, opBinary, true, 126, 8, nil},
	{"§5.2 16-bit length 65535", []byte{0x82, 0xfe, 0xff, 0xff, 1, 2, 3, 4}, opBinary, true, 65535, 8, nil},
	{"§5.2 64-bit length 65536", []byte{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}, opBinary, true, 65536, 14, nil},
	{"§5.2 64-bit length 2^63-1", []byte{0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, opBinary, true, 1<<63 - 1, 14, nil},
	{"§5.5.1 close", []byte{0x88, 0x82, 1, 2, 3, 4}, opClose, true, 2, 6, nil},
	{"§5.5.2 ping 125", []byte{0x89, 0xfd, 1, 2, 3, 4}, opPing, true, 125, 6, nil},
	{"§5.5.3 pong", []byte{0x8a, 0x80, 1, 2, 3, 4}, opPong, true, 0, 6, nil},

	{"§5.2 RSV1 (Autobahn 3.1)", []byte{0xc1, 0x80}, 0, false, 0, 0, errRSV},
	{"§5.2 RSV2", []byte{0xa1, 0x80}, 0, false, 0, 0, errRSV},
	{"§5.2 RSV3 on close (Autobahn 3.7)", []byte{0xf8, 0x80}, 0, false, 0, 0, errRSV},
	{"§5.2 opcode 3 (Autobahn 4.1.1)", []byte{0x83, 0x80}, 0, false, 0, 0, errOpcode},
	{"§5.2 opcode 7", []byte{0x87, 0x80}, 0, false, 0, 0, errOpcode},
	{"§5.2 opcode 11 (Autobahn 4.2.1)", []byte{0x8b, 0x80}, 0, false, 0, 0, errOpcode},
	{"§5.2 opcode 15", []byte{0x8f, 0x80}, 0, false, 0, 0, errOpcode},
	{"§5.1 unmasked", []byte{0x81, 0x05}, 0, false, 0, 0, errUnmasked},
	{"§5.5 fragmented ping (Autobahn 5.1)", []byte{0x09, 0x80}, 0, false, 0, 0, errFragmentedCtl},
	{"§5.5 ping 126 (Autobahn 2.5)", []byte{0x89, 0xfe}, 0, false, 0, 0, errControlTooLong},
	{"§5.5 close 127-form", []byte{0x88, 0xff}, 0, false, 0, 0, errControlTooLong},
	{"§5.2 16-bit length 125", []byte{0x81, 0xfe, 0, 125, 1, 2, 3, 4}, 0, false, 0, 0, errNonMinimal},
	{"§5.2 64-bit length 65535", []byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 0, false, 0, 0, errNonMinimal},
	{"§5.2 64-bit length, top bit", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}, 0, false, 0, 0, errLength63},
}

// TestParseHeader parses each header whole, and checks that every proper
// prefix of a valid header asks for more, and that an invalid one fails
// as soon as its offending byte is there.
func TestParseHeader(t *testing.T) {
	for _, tc := range headerCases {
		t.Run(tc.name, func(t *testing.T) {
			in := append(append([]byte(nil), tc.in...), "payload"...)
			h, n, err := parseHeader(in)
			if err != tc.err {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err != nil {
				for k := range len(tc.in) - 1 {
					if _, n, err := parseHeader(tc.in[:k]); n != 0 || err != nil && k < 2 {
						t.Errorf("prefix %d: n=%d err=%v, want more bytes first", k, n, err)
					}
				}
				return
			}
			if n != tc.n || h.op != tc.op || h.fin != tc.fin || h.length != tc.len {
				t.Fatalf("got n=%d op=%d fin=%v len=%d, want n=%d op=%d fin=%v len=%d",
					n, h.op, h.fin, h.length, tc.n, tc.op, tc.fin, tc.len)
			}
			if h.key != [4]byte{1, 2, 3, 4} {
				t.Errorf("key %v, want [1 2 3 4]", h.key)
			}
			for k := range tc.n {
				if _, n, err := parseHeader(tc.in[:k]); n != 0 || err != nil {
					t.Errorf("prefix of %d bytes: n=%d err=%v, want 0, nil", k, n, err)
				}
			}
		})
	}
}

// TestAppendHeader checks server frame headers: FIN, no mask, the
// shortest length form (RFC 6455 §5.1, §5.2).
func TestAppendHeader(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xff, 0xff}},
		{65536, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		got := appendHeader(nil, opText, tc.n)
		if !bytes.Equal(got, tc.want) || len(got) != headerLen(tc.n) {
			t.Errorf("n=%d: % x (headerLen %d), want % x", tc.n, got, headerLen(tc.n), tc.want)
		}
	}
}

// TestUnmask compares the word-at-a-time unmasking with the byte-wise
// definition of RFC 6455 §5.3, at every starting position and length.
func TestUnmask(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for pos := range 4 {
		for n := range 40 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i * 31)
			}
			want := make([]byte, n)
			for i := range want {
				want[i] = b[i] ^ key[(pos+i)%4]
			}
			if next := unmask(key, pos, b); next != (pos+n)%4 || !bytes.Equal(b, want) {
				t.Fatalf("pos %d n %d: % x next %d, want % x next %d", pos, n, b, next, want, (pos+n)%4)
			}
		}
	}
	// RFC 6455 §5.7: a masked "Hello".
	hello := []byte{0x7f, 0x9f, 0x4d, 0x51, 0x58}
	unmask(key, 0, hello)
	if string(hello) != "Hello" {
		t.Errorf("RFC 6455 §5.7 example: %q", hello)
	}
}

// utf8Cases are texts for the incremental validator (RFC 3629 §4), most
// of them from Autobahn 6.x.
var utf8Cases = []string{
	"", "Hello-µ@ßöäüàá-UTF-8!!", "κόσμε", "\u0080", "\u07ff", "\u0800", "\uffff",
	"\U00010000", "\U0010ffff", "\ufffe", "\ud7ff", "\ue000",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", // Autobahn 6.3.1: a surrogate
	"\xf4\x90\x80\x80",                             // Autobahn 6.4.1: past U+10FFFF
	"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", // overlong forms
	"\xed\xbf\xbf", "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\x80", "\xbf",
	"\xc2", "\xe1\x80", "\xf1\x80\x80", // cut short
	"\xc2\x41", "\xe1\x80\x41", "abcdefgh\xe2\x82\xacijklmnop", "abcdefghijklmno\x80",
}

// TestUTF8 checks the incremental validator against utf8.Valid for every
// split of each case in two, and byte by byte.
func TestUTF8(t *testing.T) {
	for _, s := range utf8Cases {
		want := utf8.ValidString(s)
		for cut := 0; cut <= len(s); cut++ {
			var st utf8State
			got := st.feed([]byte(s[:cut])) && st.feed([]byte(s[cut:])) && st.complete()
			if got != want {
				t.Errorf("%q cut at %d: %v, want %v", s, cut, got, want)
			}
		}
		var st utf8State
		got := true
		for i := 0; i < len(s) && got; i++ {
			got = st.feed([]byte{s[i]})
		}
		if got = got && st.complete(); got != want {
			t.Errorf("%q byte by byte: %v, want %v", s, got, want)
		}
	}
}

// TestUTF8FailFast checks that an invalid sequence is caught at its
// first impossible byte, not at the end of the message (Autobahn 6.4.2).
func TestUTF8FailFast(t *testing.T) {
	var st utf8State
	if !st.feed([]byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4")) {
		t.Fatal("valid prefix refused")
	}
	if st.feed([]byte{0x90}) {
		t.Fatal("0xf4 0x90 (past U+10FFFF) accepted")
	}
}

// TestValidCloseCode checks the codes a Close frame may carry (RFC 6455
// §7.4; Autobahn 7.7.x valid, 7.9.x and 7.13.x invalid).
func TestValidCloseCode(t *testing.T) {
	for _, c := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		if !validCloseCode(c) {
			t.Errorf("%d refused", c)
		}
	}
	for _, c := range []int{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		if validCloseCode(c) {
			t.Errorf("%d accepted", c)
		}
	}
}

// A driver runs a Conn as the biplane server does, without one: it hands
// it input in pieces, keeps what Write leaves for the next call, and takes
// output after each Write into a buffer the size of the server's.
type driver struct {
	c      *Conn
	out    []byte // every byte Read gave
	eof    bool   // Read returned io.EOF
	rbuf   [4096]byte
	stuck  bool // input left that the Conn would not take
	writes int
}

// run feeds input to the Conn in pieces of at most chop bytes (all at
// once if chop <= 0).
func (d *driver) run(input []byte, chop int) {
	w := (*wire)(d.c)
	if chop <= 0 {
		chop = len(input) + 1
	}
	var pending []byte
	for !d.eof {
		took := false
		if len(input) > 0 {
			k := min(chop, len(input))
			pending = append(pending, input[:k]...)
			input = input[k:]
			took = true
		}
		if len(pending) > 0 {
			n, err := w.Write(pending)
			d.writes++
			if err != nil && err != biplane.ErrWouldBlock {
				panic("Write failed: " + err.Error())
			}
			if n > len(pending) || n < len(pending) && err == nil {
				panic("Write returned a bad count")
			}
			pending = pending[n:]
			took = took || n > 0
		}
		for {
			n, err := w.Read(d.rbuf[:])
			d.out = append(d.out, d.rbuf[:n]...)
			took = took || n > 0
			if err == io.EOF {
				d.eof = true
				break
			}
			if n == 0 {
				break
			}
		}
		if !took {
			d.stuck = len(pending) > 0
			return
		}
	}
}

// serverFrame is one frame the server sent.
type serverFrame struct {
	op      byte
	payload []byte
}

// parseServerFrames splits the server's output into frames, checking
// that each is one a server may send: FIN, no RSV, unmasked, a known
// opcode, the shortest length form (RFC 6455 §5.1, §5.2), and nothing
// after a Close.
func parseServerFrames(b []byte) ([]serverFrame, string) {
	var frames []serverFrame
	for len(b) > 0 {
		if len(frames) > 0 && frames[len(frames)-1].op == opClose {
			return frames, "bytes after the Close frame"
		}
		if len(b) < 2 {
			return frames, "truncated header"
		}
		if b[0] != 0x80|b[0]&0x0f {
			return frames, "not FIN, or RSV set"
		}
		op := b[0] & 0x0f
		switch op {
		case opText, opBinary, opClose, opPing, opPong:
		default:
			return frames, "bad opcode"
		}
		if b[1]&0x80 != 0 {
			return frames, "masked server frame"
		}
		n, h := uint64(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return frames, "truncated length"
			}
			n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return frames, "truncated length"
			}
			n, h = binary.BigEndian.Uint64(b[2:]), 10
		}
		if headerLen(int(n)) != h {
			return frames, "length not in shortest form"
		}
		if uint64(len(b)-h) < n {
			return frames, "truncated payload"
		}
		frames = append(frames, serverFrame{op, b[h : h+int(n)]})
		b = b[h+int(n):]
	}
	return frames, ""
}

// maskedFrame builds a client frame.
func maskedFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	var b []byte
	switch n := len(payload); {
	case n <= 125:
		b = []byte{b0, 0x80 | byte(n)}
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16([]byte{b0, 0x80 | 126}, uint16(n))
	default:
		b = binary.BigEndian.AppendUint64([]byte{b0, 0x80 | 127}, uint64(n))
	}
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, payload...)
	unmask(key, 0, b[start:])
	return b
}

// TestDriverEcho runs a few messages through a Conn without a server,
// fed whole and byte by byte: the output is the same, and well-formed.
func TestDriverEcho(t *testing.T) {
	var in []byte
	in = append(in, maskedFrame(false, opText, []byte("κό"))...)
	in = append(in, maskedFrame(true, opPing, []byte("p"))...)
	in = append(in, maskedFrame(true, opContinuation, []byte("σμε"))...)
	in = append(in, maskedFrame(true, opBinary, bytes.Repeat([]byte{7}, 300))...)
	in = append(in, maskedFrame(true, opClose, []byte{0x03, 0xe8, 'o', 'k'})...)
	var first []byte
	for _, chop := range []int{0, 1, 7} {
		var closed []int
		c := newConn(&Config{
			OnMessage: func(c *Conn, m Message) {
				if err := c.WriteMessage(m.Type, m.Data); err != nil {
					t.Errorf("echo: %v", err)
				}
			},
			OnClose: func(c *Conn, code int, reason string) { closed = append(closed, code) },
		})
		d := &driver{c: c}
		d.run(in, chop)
		if !d.eof {
			t.Fatalf("chop %d: no EOF after the Close", chop)
		}
		frames, bad := parseServerFrames(d.out)
		if bad != "" {
			t.Fatalf("chop %d: %s in % x", chop, bad, d.out)
		}
		var got []string
		for _, f := range frames {
			got = append(got, fmt.Sprintf("%d:%s", f.op, f.payload))
		}
		want := []string{"10:p", "1:κόσμε", "2:" + string(bytes.Repeat([]byte{7}, 300)), "8:\x03\xe8"}
		if len(got) != len(want) {
			t.Fatalf("chop %d: frames %q, want %q", chop, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("chop %d: frame %d %q, want %q", chop, i, got[i], want[i])
			}
		}
		if first == nil {
			first = d.out
		} else if !bytes.Equal(first, d.out) {
			t.Errorf("chop %d: output differs from whole input's", chop)
		}
		(*wire)(c).Close()
		if len(closed) != 1 || closed[0] != 1000 {
			t.Errorf("chop %d: OnClose codes %v, want [1000]", chop, closed)
		}
	}
}
