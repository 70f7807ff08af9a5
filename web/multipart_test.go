package web

import (
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
)

// mpPart is a part as the tests collect it.
type mpPart struct {
	Name, FileName, ContentType string
	Content                     string
}

// mpFeed says how a test feeds a body to a Multipart.
type mpFeed struct {
	name  string
	split func(rnd *rand.Rand, rest int) int // the next piece's length
	block bool                               // writers, their Close and OnPart put work off at random
}

var mpFeeds = []mpFeed{
	{"whole", func(_ *rand.Rand, rest int) int { return rest }, false},
	{"bytewise", func(_ *rand.Rand, rest int) int { return 1 }, false},
	{"random", func(rnd *rand.Rand, rest int) int { return 1 + rnd.IntN(min(rest, 16)) }, false},
	{"backpressure", func(rnd *rand.Rand, rest int) int { return 1 + rnd.IntN(rest) }, true},
	{"bytewise backpressure", func(_ *rand.Rand, rest int) int { return 1 }, true},
}

// mpWriter collects a part's content; with rnd, it takes part of what
// it is given at random and puts the rest off, as a busy flash page
// would.
type mpWriter struct {
	content []byte
	rnd     *rand.Rand
	closed  bool
}

var errClosedTwice = errors.New("test: part writer used after Close")

func (w *mpWriter) Write(b []byte) (int, error) {
	if w.closed {
		return 0, errClosedTwice
	}
	if len(b) == 0 {
		return 0, errors.New("test: part writer given nothing")
	}
	if w.rnd != nil && w.rnd.IntN(3) == 0 {
		k := w.rnd.IntN(len(b) + 1)
		w.content = append(w.content, b[:k]...)
		return k, biplane.ErrWouldBlock
	}
	w.content = append(w.content, b...)
	return len(b), nil
}

func (w *mpWriter) Close() error {
	if w.closed {
		return errClosedTwice
	}
	if w.rnd != nil && w.rnd.IntN(3) == 0 {
		return biplane.ErrWouldBlock
	}
	w.closed = true
	return nil
}

// runMultipart decodes body with boundary, fed as feed says. It returns
// the parts OnPart was called for, with their content, and the error
// the body ended with. Every part before the last must have been
// closed; so must the last, on success.
func runMultipart(t testing.TB, boundary string, body []byte, opt MultipartOptions, feed mpFeed, seed uint64) ([]mpPart, error) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 1))
	var brnd *rand.Rand
	if feed.block {
		brnd = rnd
	}
	var parts []mpPart
	var writers []*mpWriter
	opt.OnPart = func(p *Part) (io.Writer, error) {
		if brnd != nil && brnd.IntN(4) == 0 {
			return nil, biplane.ErrWouldBlock
		}
		for i, w := range writers {
			if !w.closed {
				t.Fatalf("part %d's writer is not closed when part %d begins", i, len(parts))
			}
		}
		parts = append(parts, mpPart{Name: p.Name, FileName: p.FileName, ContentType: p.ContentType})
		w := &mpWriter{rnd: brnd}
		writers = append(writers, w)
		return w, nil
	}
	collect := func(err error) ([]mpPart, error) {
		for i, w := range writers {
			parts[i].Content = string(w.content)
		}
		if err == nil {
			for i, w := range writers {
				if !w.closed {
					t.Fatalf("part %d's writer is not closed at the end", i)
				}
			}
		}
		return parts, err
	}
	m, err := NewMultipartBoundary(boundary, opt)
	if err != nil {
		return nil, err
	}
	var piece []byte
	for spins := 0; len(body) > 0 || len(piece) > 0; spins++ {
		if len(piece) == 0 {
			k := feed.split(rnd, len(body))
			piece, body = body[:k], body[k:]
		}
		n, err := m.Write(piece)
		if n < 0 || n > len(piece) {
			t.Fatalf("Write(%q) = %d", piece, n)
		}
		piece = piece[n:]
		switch {
		case err == biplane.ErrWouldBlock:
			if spins > 1e6 {
				t.Fatal("Write would block for ever")
			}
			// The server may add what arrived meanwhile to the rest.
			if len(body) > 0 && rnd.IntN(2) == 0 {
				k := feed.split(rnd, len(body))
				piece = append(piece[:len(piece):len(piece)], body[:k]...)
				body = body[k:]
			}
		case err != nil:
			if n2, err2 := m.Write([]byte("x")); n2 != 0 || err2 != err {
				t.Fatalf("after %v, Write = %d, %v: the error is not sticky", err, n2, err2)
			}
			if err2 := m.Close(); err2 != err {
				t.Fatalf("after %v, Close = %v: the error is not sticky", err, err2)
			}
			return collect(err)
		case len(piece) > 0:
			t.Fatalf("Write took %d bytes, not %q, without an error", n, piece)
		}
	}
	for spins := 0; ; spins++ {
		err := m.Close()
		if err != biplane.ErrWouldBlock {
			return collect(err)
		}
		if spins > 1e6 {
			t.Fatal("Close would block for ever")
		}
	}
}

// mpBody joins lines with CRLF.
func mpBody(lines ...string) string { return strings.Join(lines, "\r\n") }

const cdA = `Content-Disposition: form-data; name="a"`

var multipartTests = []struct {
	name     string
	boundary string
	body     string
	opt      MultipartOptions
	want     []mpPart // on success
	status   int      // 0 for success
	reason   string   // the start of the error's reason
}{
	{name: "one part", boundary: "xyz", body: mpBody("--xyz", cdA, "", "hello", "--xyz--", ""),
		want: []mpPart{{"a", "", "text/plain", "hello"}}},
	{name: "several parts", boundary: "xyz", body: mpBody(
		"--xyz", cdA, "", "1",
		"--xyz", `Content-Disposition: form-data; name="b"`, "", "two",
		"--xyz", `content-disposition: FORM-DATA; NAME=c`, "", "three\r\n3",
		"--xyz--"),
		want: []mpPart{{"a", "", "text/plain", "1"}, {"b", "", "text/plain", "two"}, {"c", "", "text/plain", "three\r\n3"}}},
	{name: "file", boundary: "----WebKitFormBoundary7MA4YWxkTrZu0gW", body: mpBody(
		"------WebKitFormBoundary7MA4YWxkTrZu0gW",
		`Content-Disposition: form-data; name="photo"; filename="beach.jpg"`,
		"Content-Type: image/jpeg",
		"", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n\x00",
		"------WebKitFormBoundary7MA4YWxkTrZu0gW--", ""),
		want: []mpPart{{"photo", "beach.jpg", "image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\r\n\x00"}}},
	{name: "no file chosen", boundary: "b", body: mpBody("--b",
		`Content-Disposition: form-data; name="f"; filename=""`, "Content-Type: application/octet-stream", "", "", "--b--"),
		want: []mpPart{{"f", "", "application/octet-stream", ""}}},
	{name: "empty content", boundary: "b", body: mpBody("--b", cdA, "", "", "--b", cdA, "", "", "--b--"),
		want: []mpPart{{"a", "", "text/plain", ""}, {"a", "", "text/plain", ""}}},
	{name: "header section ends at the delimiter", boundary: "b", // RFC 2046: body-part := headers [CRLF *OCTET]
		body: mpBody("--b", cdA, "", "--b", cdA, "", "x", "--b--"),
		want: []mpPart{{"a", "", "text/plain", ""}, {"a", "", "text/plain", "x"}}},
	{name: "content like the boundary", boundary: "bound", body: mpBody("--bound", cdA, "",
		"x--bound\r\r\n--boun\r\n--bou\r\n-\r\n\r\n--\r\n\n--bound\r--bound x--bound--\r\n--boun",
		"--bound--"),
		want: []mpPart{{"a", "", "text/plain", "x--bound\r\r\n--boun\r\n--bou\r\n-\r\n\r\n--\r\n\n--bound\r--bound x--bound--\r\n--boun"}}},
	{name: "content of line ends", boundary: "b", body: mpBody("--b", cdA, "", "\r\r\n\n\r\n\r\n\r\r", "--b--"),
		want: []mpPart{{"a", "", "text/plain", "\r\r\n\n\r\n\r\n\r\r"}}},
	{name: "content starts like a delimiter", boundary: "b", body: mpBody("--b", cdA, "", "--", "--b", cdA, "", "-", "--b--"),
		want: []mpPart{{"a", "", "text/plain", "--"}, {"a", "", "text/plain", "-"}}},
	{name: "preamble and epilogue", boundary: "b", body: mpBody("This is a preamble.", "the --b here is not at a line start --b",
		"x--b", "", "--b", cdA, "", "x", "--b--", "epilogue\r\n--b\r\ngarbage\n\x00"),
		want: []mpPart{{"a", "", "text/plain", "x"}}},
	{name: "boundary with spaces", boundary: "a b'()+_,-./:=?", body: mpBody("--a b'()+_,-./:=?", cdA, "", "x", "--a b'()+_,-./:=?--"),
		want: []mpPart{{"a", "", "text/plain", "x"}}},
	{name: "boundary of dashes", boundary: "-", body: mpBody("---", cdA, "", "x---- -\r\n--", "-----"),
		want: []mpPart{{"a", "", "text/plain", "x---- -\r\n--"}}},
	{name: "transport padding", boundary: "b", body: mpBody("--b \t", cdA, "", "x", "--b\t", cdA, "", "y", "--b-- \t", "z"),
		want: []mpPart{{"a", "", "text/plain", "x"}, {"a", "", "text/plain", "y"}}},
	{name: "close delimiter at the end", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b--  "),
		want: []mpPart{{"a", "", "text/plain", "x"}}},
	{name: "no parts", boundary: "b", body: "--b--\r\n", want: nil},
	{name: "names", boundary: "b", body: mpBody("--b",
		`Content-Disposition: form-data ; name = "a\"b\\c;d" ; filename="C:\dir\x.txt";`, "", "",
		"--b", `Content-Disposition: form-data; name=cafe; filename=a{b}`, "", "",
		"--b", `Content-Disposition: form-data; name="\q"; filename*=UTF-8''%e2%82%AC%20rates.txt; filename="euro.txt"`, "", "",
		"--b", `Content-Disposition: form-data; name*=us-ascii'en'n%41me; name=plain; filename*=latin-1''x; filename=y`, "", "",
		"--b", "Content-Disposition: form-data; name=\"caf\xc3\xa9\"; x=1; x=2", "Content-Type:  text/html; charset=utf-8  ", "", "",
		"--b--"),
		want: []mpPart{
			{`a"b\c;d`, `C:\dir\x.txt`, "text/plain", ""},
			{"cafe", "a{b}", "text/plain", ""},
			{`\q`, "€ rates.txt", "text/plain", ""},
			{"nAme", "y", "text/plain", ""},
			{"caf\xc3\xa9", "", "text/html; charset=utf-8", ""},
		}},

	// Refusals.
	{name: "ended in content", boundary: "b", body: mpBody("--b", cdA, "", "x"), status: 400, reason: reasonEarly},
	{name: "ended at the delimiter", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b"), status: 400, reason: reasonEarly},
	{name: "ended after CR", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b--\r"), status: 400, reason: reasonEarly},
	{name: "ended in header", boundary: "b", body: mpBody("--b", cdA), status: 400, reason: reasonEarly},
	{name: "empty body", boundary: "b", body: "", status: 400, reason: reasonEarly},
	{name: "no delimiter", boundary: "b", body: "-b\r\n--c\r\n", status: 400, reason: reasonEarly},
	{name: "no Content-Disposition", boundary: "b", body: mpBody("--b", "Content-Type: text/plain", "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "no header", boundary: "b", body: mpBody("--b", "", "x", "--b--"), status: 400, reason: reasonDisposition},
	{name: "not form-data", boundary: "b", body: mpBody("--b", `Content-Disposition: attachment; name="a"`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "no name", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; filename="a"`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "empty name", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name=""`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "unterminated quote", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name="a`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "two semicolons", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name=a;;`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "garbage after value", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name="a"b`, "", "x", "--b--"),
		status: 400, reason: reasonDisposition},
	{name: "repeated name", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name=a; Name=a`, "", "x", "--b--"),
		status: 400, reason: reasonRepeated},
	{name: "continuation", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data; name=a; name*0=b`, "", "x", "--b--"),
		status: 400, reason: reasonContinuation},
	{name: "two Content-Dispositions", boundary: "b", body: mpBody("--b", cdA, cdA, "", "x", "--b--"),
		status: 400, reason: reasonRepeatedType},
	{name: "two Content-Types", boundary: "b", body: mpBody("--b", cdA, "Content-Type: a/b", "content-type: a/b", "", "x", "--b--"),
		status: 400, reason: reasonRepeatedType},
	{name: "obs-fold", boundary: "b", body: mpBody("--b", `Content-Disposition: form-data;`, ` name="a"`, "", "x", "--b--"),
		status: 400, reason: reasonObsFold},
	{name: "leading space", boundary: "b", body: mpBody("--b", " "+cdA, "", "x", "--b--"), status: 400, reason: reasonObsFold},
	{name: "bare LF in header", boundary: "b", body: "--b\r\n" + cdA + "\n\r\nx\r\n--b--", status: 400, reason: reasonBareLF},
	{name: "bare LF ends header", boundary: "b", body: "--b\r\n" + cdA + "\r\n\nx\r\n--b--", status: 400, reason: reasonBareLF},
	{name: "bare CR in header", boundary: "b", body: "--b\r\n" + cdA + "\rX: y\r\n\r\nx\r\n--b--", status: 400, reason: reasonField},
	{name: "space before colon", boundary: "b", body: mpBody("--b", `Content-Disposition : form-data; name="a"`, "", "x", "--b--"),
		status: 400, reason: reasonField},
	{name: "no colon", boundary: "b", body: mpBody("--b", cdA, "X-Y", "", "x", "--b--"), status: 400, reason: reasonField},
	{name: "control in value", boundary: "b", body: mpBody("--b", cdA+"\x7f", "", "x", "--b--"), status: 400, reason: reasonField},
	{name: "LF after first boundary", boundary: "b", body: "--b\n" + cdA + "\n\nx\n--b--\n", status: 400, reason: reasonDelimiter},
	{name: "LF before first boundary", boundary: "b", body: "preamble\n--b\r\n" + cdA + "\r\n\r\nx\r\n--b--", status: 400, reason: reasonBareLF},
	{name: "LF first", boundary: "b", body: "\n--b\r\n" + cdA + "\r\n\r\nx\r\n--b--", status: 400, reason: reasonBareLF},
	{name: "boundary goes on", boundary: "b", body: mpBody("--b", cdA, "", "x", "--bc", "--b--"), status: 400, reason: reasonDelimiter},
	{name: "boundary goes on in preamble", boundary: "b", body: mpBody("--bc", "--b", cdA, "", "x", "--b--"), status: 400, reason: reasonDelimiter},
	{name: "one dash", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b-", "--b--"), status: 400, reason: reasonDelimiter},
	{name: "padding then garbage", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b x", "--b--"), status: 400, reason: reasonDelimiter},
	{name: "CR without LF", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b\rx", "--b--"), status: 400, reason: reasonDelimiter},
	{name: "garbage after close", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b--x"), status: 400, reason: reasonDelimiter},
	{name: "LF after close", boundary: "b", body: mpBody("--b", cdA, "", "x", "--b--\n"), status: 400, reason: reasonDelimiter},
	{name: "too many parts", boundary: "b", opt: MultipartOptions{MaxParts: 2},
		body: mpBody("--b", cdA, "", "1", "--b", cdA, "", "2", "--b", cdA, "", "3", "--b--"), status: 413, reason: reasonParts},
	{name: "as many parts as allowed", boundary: "b", opt: MultipartOptions{MaxParts: 2},
		body: mpBody("--b", cdA, "", "1", "--b", cdA, "", "2", "--b--"),
		want: []mpPart{{"a", "", "text/plain", "1"}, {"a", "", "text/plain", "2"}}},
	{name: "header too large", boundary: "b", opt: MultipartOptions{MaxPartHeaderBytes: len(cdA) + 3},
		body: mpBody("--b", cdA, "", "x", "--b--"), status: 413, reason: reasonHeaderBytes},
	{name: "header just fits", boundary: "b", opt: MultipartOptions{MaxPartHeaderBytes: len(cdA) + 4},
		body: mpBody("--b", cdA, "", "x", "--b--"), want: []mpPart{{"a", "", "text/plain", "x"}}},
	{name: "too many fields", boundary: "b", opt: MultipartOptions{MaxPartHeaderFields: 2},
		body: mpBody("--b", cdA, "X: 1", "Y: 2", "", "x", "--b--"), status: 413, reason: reasonHeaderFields},
}

func TestMultipart(t *testing.T) {
	for _, tc := range multipartTests {
		for _, feed := range mpFeeds {
			for seed := range uint64(5) {
				if seed > 0 && (feed.name == "whole" || feed.name == "bytewise") {
					break
				}
				parts, err := runMultipart(t, tc.boundary, []byte(tc.body), tc.opt, feed, seed)
				if tc.status == 0 {
					if err != nil {
						t.Fatalf("%s, fed %s (seed %d): %v", tc.name, feed.name, seed, err)
					}
					if !samePartList(parts, tc.want) {
						t.Fatalf("%s, fed %s (seed %d): got %q, want %q", tc.name, feed.name, seed, parts, tc.want)
					}
					continue
				}
				var e *Error
				if !errors.As(err, &e) || e.Status != tc.status || !strings.HasPrefix(e.Reason, tc.reason) {
					t.Fatalf("%s, fed %s (seed %d): got %v, want %d %q…", tc.name, feed.name, seed, err, tc.status, tc.reason)
				}
			}
		}
	}
}

func samePartList(a, b []mpPart) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMultipartRandom: random bodies of random parts read the same
// whatever way they are fed.
func TestMultipartRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	alphabet := []string{"\r", "\n", "-", "--", "\r\n", "\r\n--", "\r\n--b", "b", "x", "\r\n--bo", "bou", "\x00"}
	for i := range 300 {
		boundary := []string{"b", "bou", "bound", "-", "a b"}[rnd.IntN(5)]
		var body strings.Builder
		var want []mpPart
		if rnd.IntN(2) == 0 {
			body.WriteString("preamble\r\n")
		}
		for j := range rnd.IntN(4) {
			var content strings.Builder
			for range rnd.IntN(20) {
				content.WriteString(alphabet[rnd.IntN(len(alphabet))])
			}
			c := content.String()
			if strings.Contains("\r\n"+c+"\r\n", "\r\n--"+boundary) {
				continue // would end the part
			}
			name := string(rune('a' + j))
			want = append(want, mpPart{name, "", "text/plain", c})
			body.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=" + name + "\r\n\r\n" + c + "\r\n")
		}
		body.WriteString("--" + boundary + "--\r\n")
		for _, feed := range mpFeeds {
			parts, err := runMultipart(t, boundary, []byte(body.String()), MultipartOptions{}, feed, uint64(i))
			if err != nil || !samePartList(parts, want) {
				t.Fatalf("body %q fed %s: got %q, %v; want %q", body.String(), feed.name, parts, err, want)
			}
		}
	}
}

func TestMultipartHeader(t *testing.T) {
	body := mpBody("--b", cdA, "Content-Transfer-Encoding:  quoted-printable ", "X-Empty:", "", "a=3D", "--b--")
	var got [][2]string
	var cte string
	m, err := NewMultipartBoundary("b", MultipartOptions{OnPart: func(p *Part) (io.Writer, error) {
		for n, v := range p.Headers() {
			got = append(got, [2]string{string(n), string(v)})
		}
		cte = string(p.Header("content-transfer-encoding"))
		if p.Header("X-None") != nil {
			t.Error("Header found a field that is not there")
		}
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m.Write([]byte(body)); n != len(body) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"Content-Disposition", `form-data; name="a"`}, {"Content-Transfer-Encoding", "quoted-printable"}, {"X-Empty", ""}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %q, want %q", got, want)
	}
	if cte != "quoted-printable" {
		t.Errorf("got %q, want %q", cte, "quoted-printable")
	}
}

// TestMultipartWriterErrors: an error from OnPart, a writer or its
// Close ends the body with that error, and io.ErrShortWrite stands for
// a writer that takes less without saying why.
func TestMultipartWriterErrors(t *testing.T) {
	body := []byte(mpBody("--b", cdA, "", "content", "--b--"))
	boom := errors.New("disk full")
	for _, tc := range []struct {
		name   string
		onPart func(p *Part) (io.Writer, error)
		want   error
	}{
		{"OnPart", func(*Part) (io.Writer, error) { return nil, boom }, boom},
		{"Write", func(*Part) (io.Writer, error) { return failWriter{n: 3, err: boom}, nil }, boom},
		{"short Write", func(*Part) (io.Writer, error) { return failWriter{n: 3}, nil }, io.ErrShortWrite},
		{"bad count", func(*Part) (io.Writer, error) { return failWriter{n: 100}, nil }, errCount},
		{"Close", func(*Part) (io.Writer, error) { return failWriter{n: -1, err: boom}, nil }, boom},
	} {
		m, _ := NewMultipartBoundary("b", MultipartOptions{OnPart: tc.onPart})
		_, err := m.Write(body)
		if err == nil {
			err = m.Close()
		}
		if err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if err2 := m.Close(); err2 != err {
			t.Errorf("%s: Close after %v = %v", tc.name, err, err2)
		}
	}
}

// failWriter takes n bytes and returns err; with n < 0 it takes all
// and its Close returns err.
type failWriter struct {
	n   int
	err error
}

func (w failWriter) Write(p []byte) (int, error) {
	if w.n < 0 {
		return len(p), nil
	}
	return min(w.n, 100), w.err
}

func (w failWriter) Close() error {
	if w.n < 0 {
		return w.err
	}
	return nil
}

func TestNewMultipart(t *testing.T) {
	for _, tc := range []struct {
		ct       string
		boundary string // of the body the Multipart then reads
		status   int
	}{
		{"multipart/form-data; boundary=xyz", "xyz", 0},
		{"Multipart/Form-Data;BOUNDARY=xyz", "xyz", 0},
		{`multipart/form-data; charset=utf-8; boundary="a b:c"`, "a b:c", 0},
		{`multipart/form-data ; boundary = "a\"b"`, "", 400}, // '"' is no bchar
		{`multipart/form-data; boundary="---"`, "---", 0},
		{"multipart/form-data; boundary=" + strings.Repeat("x", 70), strings.Repeat("x", 70), 0},
		{"multipart/form-data; boundary=" + strings.Repeat("x", 71), "", 400},
		{`multipart/form-data; boundary="ab "`, "", 400},
		{`multipart/form-data; boundary=""`, "", 400},
		{"multipart/form-data; boundary=é", "", 400},
		{"multipart/form-data", "", 400},
		{"multipart/form-data; boundary=a; boundary=b", "", 400},
		{"multipart/form-data; boundary", "", 400},
		{"multipart/form-data; boundary=a:b", "", 400}, // ':' must be quoted
		{"multipart/mixed; boundary=xyz", "", 415},
		{"application/x-www-form-urlencoded", "", 415},
		{"", "", 415},
	} {
		raw := "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
		if tc.ct != "" {
			raw += "Content-Type: " + tc.ct + "\r\n"
		}
		var p biplane.Parser
		if n, err := p.Parse([]byte(raw + "\r\n")); n == 0 || err != nil {
			t.Fatalf("%q: Parse = %d, %v", tc.ct, n, err)
		}
		var got []mpPart
		m, err := NewMultipart(p.Request(), MultipartOptions{OnPart: func(p *Part) (io.Writer, error) {
			got = append(got, mpPart{Name: p.Name})
			return nil, nil
		}})
		if tc.status != 0 {
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.status || e.StatusCode() != tc.status {
				t.Errorf("%q: got %v, want status %d", tc.ct, err, tc.status)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.ct, err)
			continue
		}
		body := mpBody("--"+tc.boundary, cdA, "", "x", "--"+tc.boundary+"--")
		if _, err := m.Write([]byte(body)); err != nil || m.Close() != nil || len(got) != 1 {
			t.Errorf("%q: body with boundary %q: %v, %d parts", tc.ct, tc.boundary, err, len(got))
		}
	}
}

// TestMultipartAllocs: once a part's content has begun, Write allocates
// nothing, however the content looks.
func TestMultipartAllocs(t *testing.T) {
	m, err := NewMultipartBoundary("----WebKitFormBoundary7MA4YWxkTrZu0gW", MultipartOptions{
		OnPart: func(*Part) (io.Writer, error) { return io.Discard, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	head := mpBody("------WebKitFormBoundary7MA4YWxkTrZu0gW", `Content-Disposition: form-data; name="f"; filename="x.bin"`, "", "")
	if _, err := m.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("binary\r\ndata\r\n--\r\n------WebKitFormBoundary7MA4\x00", 100) + "\r\n------WebKit")
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := m.Write(chunk); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write of content allocates %v times, want 0", allocs)
	}
}

// benchMultipartBody is a file part of 1 MiB of random bytes.
func benchMultipartBody() []byte {
	content := make([]byte, 1<<20)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(rnd.Uint32())
	}
	return []byte(mpBody("--b0undary", `Content-Disposition: form-data; name="f"; filename="x.bin"`, "", string(content), "--b0undary--"))
}

// BenchmarkMultipart: a 1 MiB file part fed in pieces the size of a
// read buffer; BenchmarkMultipartMime reads the same with
// mime/multipart.
func BenchmarkMultipart(b *testing.B) {
	body := benchMultipartBody()
	for _, size := range []int{1 << 10, 16 << 10} {
		b.Run(strings.Replace("piece=SIZE", "SIZE", map[int]string{1 << 10: "1KiB", 16 << 10: "16KiB"}[size], 1), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				m, _ := NewMultipartBoundary("b0undary", MultipartOptions{
					OnPart: func(*Part) (io.Writer, error) { return io.Discard, nil },
				})
				for p := body; len(p) > 0; {
					n, err := m.Write(p[:min(size, len(p))])
					if err != nil {
						b.Fatal(err)
					}
					p = p[n:]
				}
				if err := m.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
