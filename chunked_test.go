package biplane

import (
	"errors"
	"testing"
)

type chunkedCase struct {
	name   string
	in     string // the body as sent, possibly followed by more bytes
	want   string // the decoded body
	used   int    // raw bytes the body took; 0 means all of in
	status int    // for refusals
}

var chunkedCases = []chunkedCase{
	{name: "two chunks", in: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", want: "hello world"},
	{name: "empty body", in: "0\r\n\r\n", want: ""},
	{name: "hex sizes, either case", in: "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", want: "0123456789abcdefghij"},
	{name: "leading zeros", in: "0005\r\nhello\r\n0000\r\n\r\n", want: "hello"},
	{name: "extensions §7.1.1", in: "5;a=b;c=\"d;\\\"e\" ; f\r\nhello\r\n0;g\r\n\r\n", want: "hello"},
	{name: "trailers §7.1.2", in: "5\r\nhello\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", want: "hello"},
	{name: "followed by a request", in: "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", want: "x", used: 11},
	{name: "binary data", in: "4\r\n\r\n\x00\n\r\n0\r\n\r\n", want: "\r\n\x00\n"},

	{name: "no size", in: "\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "non-hex size", in: "5g\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "negative size", in: "-5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "0x prefix", in: "0x5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "size overflow", in: "10000000000000000\r\n", status: 400},
	{name: "size over the limit", in: "100001\r\n", status: 413},
	{name: "4 GiB size", in: "100000000\r\n", status: 413},
	{name: "space before size", in: " 5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare semicolon §7.1.1", in: "5;\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "non-token extension name", in: "5;bad[=x\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "unterminated quoted value", in: "5;a=\"b\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "space after size", in: "5 \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "space after extension", in: "5;a \r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "extension without ';'", in: "5 a\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "data longer than size", in: "3\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "no CRLF after data", in: "5\r\nhello0\r\n\r\n", status: 400},
	{name: "bare LF after size", in: "5\nhello\r\n0\r\n\r\n", status: 400},
	{name: "bare LF after data", in: "5\r\nhello\n0\r\n\r\n", status: 400},
	{name: "obs-fold in trailer", in: "0\r\nX: a\r\n b\r\n\r\n", status: 400},
	{name: "bad trailer name", in: "0\r\nX Y: a\r\n\r\n", status: 400},
	{name: "NUL in trailer", in: "0\r\nX: a\x00\r\n\r\n", status: 400},
}

func TestChunked(t *testing.T) {
	lim := Limits{}.withDefaults()
	for _, tc := range chunkedCases {
		for _, step := range []int{0, 1, 7} {
			subtest(t, tc.name+"/step"+string(rune('0'+step)), func(t *testing.T) {
				in := []byte(tc.in)
				var d chunkedDecoder
				var body, raw []byte // decoded so far; undecoded bytes to pass again
				var err error
				for fed := 0; !d.done() && err == nil && fed < len(in); {
					n := len(in) - fed
					if step > 0 {
						n = min(step, n)
					}
					raw = append(raw, in[fed:fed+n]...)
					fed += n
					var k, used int
					k, used, err = d.decode(raw, int64(lim.MaxBodyBytes), &lim)
					body = append(body, raw[:k]...)
					raw = append(raw[:0], raw[k:used]...)
				}
				if tc.status != 0 {
					var pe *ProtocolError
					if !errors.As(err, &pe) || pe.Status != tc.status {
						t.Fatalf("got done=%v err=%v, want status %d", d.done(), err, tc.status)
					}
					return
				}
				if err != nil || !d.done() {
					t.Fatalf("got done=%v err=%v", d.done(), err)
				}
				if got := string(body); got != tc.want {
					t.Errorf("decoded %q, want %q", got, tc.want)
				}
				// What follows the body stays, moved down behind it.
				if step == 0 && tc.used != 0 {
					if got, want := string(raw), tc.in[tc.used:]; got != want {
						t.Errorf("left %q after the body, want %q", got, want)
					}
				}
			})
		}
	}
}
