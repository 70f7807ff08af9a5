package websocket

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf8"
)

// FuzzConn feeds arbitrary client bytes to an echoing Conn, whole and in
// pieces of chop bytes, as the server would. Invariants: no panic; memory
// bounded by the limits; the echo never finds the buffer full; every frame
// the server sends is one a server may send, text is UTF-8, and a Close
// frame, if any, comes last; a failure carries 1002, 1007 or 1009 and its
// Close frame says so; the output does not depend on how the input was
// cut.
func FuzzConn(f *testing.F) {
	f.Add(maskedFrame(true, opText, []byte("hello")), uint8(1))
	f.Add(append(maskedFrame(false, opText, []byte("κό")), maskedFrame(true, opContinuation, []byte("σμε"))...), uint8(3))
	f.Add(append(maskedFrame(true, opPing, []byte("x")), maskedFrame(true, opClose, []byte{3, 0xe8})...), uint8(2))
	f.Add(maskedFrame(true, opBinary, make([]byte, 301)), uint8(100))
	f.Add(maskedFrame(true, opText, []byte("\xce\xba\xf4\x90\x80\x80")), uint8(1))
	f.Add(maskedFrame(true, opClose, []byte{3, 0xed}), uint8(0))
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'}, uint8(0))
	for _, tc := range headerCases {
		f.Add(append(tc.in, 0, 0, 0), uint8(5))
	}
	f.Fuzz(func(t *testing.T, in []byte, chop uint8) {
		whole := fuzzRun(t, in, 0)
		if cut := fuzzRun(t, in, int(chop)); !bytes.Equal(whole, cut) {
			t.Fatalf("output fed whole % x, in pieces of %d % x", whole, chop, cut)
		}
	})
}

// fuzzRun runs in through an echoing Conn with small limits, checks the
// invariants and returns the output.
func fuzzRun(t *testing.T, in []byte, chop int) []byte {
	const maxMsg, maxOut = 300, 200 // maxOut is raised to 310
	peak := 0
	c := newConn(&Config{
		MaxMessageBytes:  maxMsg,
		WriteBufferBytes: maxOut,
		OnMessage: func(c *Conn, m Message) {
			if len(m.Data) > maxMsg || cap(c.msg) > maxMsg {
				t.Fatalf("message of %d bytes in a buffer of %d, limit %d", len(m.Data), cap(c.msg), maxMsg)
			}
			if m.Type == Text && !utf8.Valid(m.Data) {
				t.Fatalf("invalid UTF-8 delivered: %q", m.Data)
			}
			if err := c.WriteMessage(m.Type, m.Data); err != nil {
				t.Fatalf("echo of %d bytes with %d buffered: %v", len(m.Data), c.Buffered(), err)
			}
			peak = max(peak, cap(c.out))
		},
	})
	d := &driver{c: c}
	d.run(in, chop)
	peak = max(peak, cap(c.out))
	if limit := c.maxOut + ctrlReserve; peak > limit {
		t.Fatalf("output buffer grew to %d, limit %d", peak, limit)
	}
	if d.stuck && c.kind != kindNone {
		t.Fatalf("input refused in the middle of a frame")
	}
	frames, bad := parseServerFrames(d.out)
	if bad != "" {
		t.Fatalf("%s in % x", bad, d.out)
	}
	var closeCode int
	for _, f := range frames {
		switch f.op {
		case opText:
			if !utf8.Valid(f.payload) {
				t.Fatalf("text frame not UTF-8: %q", f.payload)
			}
		case opPing, opPong:
			if len(f.payload) > maxControl {
				t.Fatalf("control frame of %d bytes", len(f.payload))
			}
		case opClose:
			closeCode = 1005
			if len(f.payload) >= 2 {
				closeCode = int(binary.BigEndian.Uint16(f.payload))
			}
			if len(f.payload) == 1 || len(f.payload) > 2 && !utf8.Valid(f.payload[2:]) {
				t.Fatalf("malformed Close payload % x", f.payload)
			}
		}
	}
	if d.eof && closeCode == 0 {
		t.Fatalf("EOF without a Close frame")
	}
	if c.err != nil {
		switch c.err.Code {
		case CloseProtocolError, CloseInvalidData, CloseTooBig:
		default:
			t.Fatalf("failure with code %d", c.err.Code)
		}
		if closeCode != c.err.Code {
			t.Fatalf("failed with %d, Close frame says %d", c.err.Code, closeCode)
		}
	}
	return d.out
}

// FuzzUTF8 checks the incremental validator against utf8.Valid, for input
// cut in two anywhere.
func FuzzUTF8(f *testing.F) {
	for _, s := range utf8Cases {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		k := min(int(cut), len(b))
		var st utf8State
		got := st.feed(b[:k]) && st.feed(b[k:]) && st.complete()
		if want := utf8.Valid(b); got != want {
			t.Fatalf("%q cut at %d: %v, utf8.Valid says %v", b, k, got, want)
		}
	})
}
