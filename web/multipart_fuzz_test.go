//go:build !tinygo

// Not built by TinyGo: mime/multipart, the reference, imports net.

package web

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// refPart is a part as mime/multipart reads it.
type refPart struct {
	mpPart
	header textproto.MIMEHeader
}

// refMultipart reads body with mime/multipart. NextRawPart, not
// NextPart: Multipart does not decode quoted-printable content (RFC
// 7578 §4.7 deprecates Content-Transfer-Encoding), and NextPart would.
func refMultipart(boundary string, body []byte) ([]refPart, error) {
	var parts []refPart
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return parts, nil
		}
		if err != nil {
			return parts, err
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return parts, err
		}
		ct := p.Header.Get("Content-Type")
		if ct == "" {
			ct = "text/plain"
		}
		parts = append(parts, refPart{mpPart{p.FormName(), p.FileName(), ct, string(content)}, p.Header})
	}
}

// The bounds FuzzMultipart sets: mime/multipart has none so tight.
var fuzzMultipartOptions = MultipartOptions{MaxParts: 1 << 20, MaxPartHeaderBytes: 8 << 10, MaxPartHeaderFields: 256}

// FuzzMultipart: Multipart never panics, reads a body the same whether
// it is given whole, a byte at a time or in random pieces to writers
// that put work off at random, refuses only with a 4xx *Error, and
// reads as mime/multipart does: the same parts (name, file name,
// content type, content) or a refusal from both, but for the
// differences mpDifference lists.
func FuzzMultipart(f *testing.F) {
	for _, tc := range multipartTests {
		f.Add(tc.boundary, []byte(tc.body))
	}
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--"))
	f.Add("b", []byte("--b\nContent-Disposition: form-data; name=a\n\nx\n--b--\n"))
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=a; name*=utf-8''%41\r\n\r\nx\r\n--b--"))
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=a; x=1; x=2\r\n\r\nx\r\n--b--"))
	f.Add("b", []byte("--b\r\nContent-Disposition: form-data; name=a; filename=\"a/b\\\\c\"\r\n\r\nx\r\n--b--"))
	f.Add("a b", []byte("--a b \r\nContent-Disposition: form-data; name=a\r\nContent-Type: text/html\r\n\r\nx\r\n--a b--"))
	f.Fuzz(func(t *testing.T, boundary string, body []byte) {
		got, err := runMultipart(t, boundary, body, fuzzMultipartOptions, mpFeeds[0], 0)
		if !validBoundary(boundary) {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("boundary %q: got %v, want a 400 *Error", boundary, err)
			}
			return
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Status != 400 && e.Status != 413) {
			t.Fatalf("boundary %q, body %q: error %#v is not a 400 or 413 *Error", boundary, body, err)
		}
		for i, feed := range mpFeeds[1:] {
			got2, err2 := runMultipart(t, boundary, body, fuzzMultipartOptions, feed, uint64(len(body)+i))
			if err == nil && (err2 != nil || !samePartList(got, got2)) || err != nil && (err2 == nil || err.Error() != err2.Error()) {
				t.Fatalf("boundary %q, body %q: whole, got %q, %v; fed %s, got %q, %v", boundary, body, got, err, feed.name, got2, err2)
			}
		}

		want, wantErr := refMultipart(boundary, body)
		for i := range got {
			if got[i].FileName != "" {
				got[i].FileName = filepath.Base(got[i].FileName) // as mime/multipart's Part.FileName does
			}
		}
		same := err == nil && wantErr == nil && len(got) == len(want)
		for i := 0; same && i < len(got); i++ {
			same = got[i] == want[i].mpPart
		}
		if same || err != nil && wantErr != nil {
			return
		}
		if why := mpDifference(boundary, body, got, err, want, wantErr); why == "" {
			t.Fatalf("boundary %q, body %q:\ngot  %q, %v\nmime %q, %v", boundary, body, got, err, want, wantErr)
		}
	})
}

// mpDifference returns which of the deliberate differences between
// Multipart and mime/multipart explains why they read body differently,
// checking that body shows it, or "" if none does. The differences:
//
//   - Lines that end in LF alone: mime/multipart takes them in part
//     headers and, if the first delimiter line ends so, for every line
//     end; it also takes a first delimiter after a preamble line that
//     ends in LF alone. Multipart refuses them (RFC 2046 wants CRLF,
//     and RFC 9112 §2.2 lets a recipient refuse a bare LF): reading them
//     one way or the other lets two programs see different parts.
//   - A line that starts with "--" and the boundary but goes on with
//     other than transport padding and CRLF, or "--": mime/multipart
//     takes it for content (in the preamble, for preamble), Multipart
//     refuses it. RFC 2046 §5.1.1 says such a line is a delimiter, and
//     a boundary must not appear in content: the line is malformed.
//   - Folded header lines (obs-fold): mime/multipart joins them,
//     Multipart refuses them, as RFC 9112 §5.2 lets a recipient do.
//   - A space before a header field's colon: mime/multipart takes the
//     field under a name with a space (so it never finds a
//     Content-Disposition there), Multipart refuses it (RFC 9112 §5.1).
//   - Parts without a form-data Content-Disposition with a non-empty
//     name: mime/multipart gives them with an empty FormName, Multipart
//     refuses the body (RFC 7578 §4.2: each part has one).
//   - Two Content-Disposition or two Content-Type fields in a part:
//     mime/multipart takes the first, Multipart refuses them.
//   - A Content-Disposition parameter given twice: mime/multipart
//     takes identical repeats and drops all parameters if the values
//     differ (so the part has no name); Multipart refuses a repeated
//     name or filename (or name*, filename*) and ignores repeats of the
//     parameters it does not read.
//   - RFC 2231 continuations (name*0, filename*1*, …): mime/multipart
//     joins them, Multipart refuses them, RFC 7578 §4.2 not having them.
//   - Non-ASCII Unicode spaces (U+0085, U+00A0, …) in a
//     Content-Disposition: mime/multipart skips them as whitespace,
//     Multipart only SP and HTAB.
//   - Lines in the preamble or delimiter lines (with their padding)
//     longer than 4 KiB: mime/multipart fails (bufio.ErrBufferFull),
//     Multipart needs no buffer for them.
//   - A body that ends in a part's header section: mime/multipart's
//     NextPart returns io.EOF, as at the close delimiter, so that the
//     body reads as complete without that part; Multipart refuses it
//     (ended early).
//   - Bounds: Multipart's (MaxParts, MaxPartHeaderBytes,
//     MaxPartHeaderFields) are far tighter than mime/multipart's.
//
// Not a difference, as the fuzz target reads with NextRawPart: NextPart
// decodes quoted-printable content and hides its
// Content-Transfer-Encoding field; Multipart passes content on as it
// came, the field with it.
func mpDifference(boundary string, body []byte, got []mpPart, err error, want []refPart, wantErr error) string {
	var e *Error
	switch {
	case err == nil && wantErr != nil:
		if errors.Is(wantErr, bufio.ErrBufferFull) {
			return "long line"
		}
		return ""
	case err == nil:
		if len(got) != len(want) {
			return ""
		}
		why := ""
		for i := range got {
			g, w := got[i], want[i]
			if g == w.mpPart {
				continue
			}
			_, _, perr := mime.ParseMediaType(w.header.Get("Content-Disposition"))
			if w.Name != "" || perr == nil || perr.Error() != "mime: duplicate parameter name" ||
				g.ContentType != w.ContentType || g.Content != w.Content {
				return ""
			}
			why = "repeated parameter with different values"
		}
		return why
	case !errors.As(err, &e):
		return ""
	}

	// Multipart refused, mime/multipart did not: len(got) is the index
	// of the part Multipart was reading.
	var w refPart
	if i := len(got); i < len(want) {
		w = want[i]
	} else if last := bytes.LastIndex(body, []byte("--"+boundary)); last >= 0 {
		// mime/multipart gave no such part: if the body ends in its
		// header section, that is the truncated header difference,
		// whatever Multipart found wrong in the header first.
		tail := body[last:]
		if !bytes.Contains(tail, []byte("\n\r\n")) && !bytes.Contains(tail, []byte("\n\n")) {
			return "truncated header section"
		}
	}
	cd := w.header.Values("Content-Disposition")
	switch r := e.Reason; {
	case strings.HasPrefix(r, reasonBareLF):
		if hasBareLF(body) {
			return "bare LF"
		}
	case strings.HasPrefix(r, reasonDelimiter):
		if hasBadDelimiterLine(body, boundary) {
			return "delimiter line goes on"
		}
	case strings.HasPrefix(r, reasonObsFold):
		if bytes.Contains(body, []byte("\n ")) || bytes.Contains(body, []byte("\n\t")) {
			return "obs-fold"
		}
	case strings.HasPrefix(r, reasonField):
		for k := range w.header {
			if strings.Contains(k, " ") {
				return "space before colon"
			}
		}
	case strings.HasPrefix(r, reasonDisposition), strings.HasPrefix(r, reasonRepeated),
		strings.HasPrefix(r, reasonContinuation), strings.HasPrefix(r, reasonRepeatedType):
		switch {
		case w.header == nil:
		case w.Name == "":
			return "no name"
		case len(cd) > 1 || len(w.header.Values("Content-Type")) > 1:
			return "repeated field"
		case strings.ContainsFunc(cd[0], func(r rune) bool { return r > 0x7f && unicode.IsSpace(r) }):
			return "Unicode space"
		}
		if len(cd) == 1 {
			seen := map[string]bool{}
			for _, n := range cdParamNames(cd[0]) {
				if n == "name" || n == "filename" || n == "name*" || n == "filename*" {
					if seen[n] {
						return "repeated parameter"
					}
					seen[n] = true
				} else if strings.HasPrefix(n, "name*") || strings.HasPrefix(n, "filename*") {
					return "RFC 2231 continuation"
				}
			}
		}
	case strings.HasPrefix(r, reasonParts):
		if len(want) > fuzzMultipartOptions.MaxParts {
			return "bound"
		}
	case strings.HasPrefix(r, reasonHeaderBytes):
		if len(body) > fuzzMultipartOptions.MaxPartHeaderBytes {
			return "bound"
		}
	case strings.HasPrefix(r, reasonHeaderFields):
		n := 0
		for _, vs := range w.header {
			n += len(vs)
		}
		if n > fuzzMultipartOptions.MaxPartHeaderFields {
			return "bound"
		}
	}
	return ""
}

// hasBareLF reports whether b has an LF without a CR before it.
func hasBareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}

// hasBadDelimiterLine reports whether body has a line that starts with
// "--" and the boundary and then has other than transport padding and
// CRLF, or "--", padding and CRLF or the end of the body.
func hasBadDelimiterLine(body []byte, boundary string) bool {
	db := []byte("--" + boundary)
	for i := 0; i < len(body); i++ {
		if i > 0 && body[i-1] != '\n' || !bytes.HasPrefix(body[i:], db) {
			continue
		}
		rest := body[i+len(db):]
		end := false
		if rest, end = bytes.CutPrefix(rest, []byte("--")); end {
			rest = bytes.TrimLeft(rest, " \t")
			if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("\r\n")) {
				return true
			}
			continue
		}
		if !bytes.HasPrefix(bytes.TrimLeft(rest, " \t"), []byte("\r\n")) {
			return true
		}
	}
	return false
}

// cdParamNames returns the names of the parameters of a
// Content-Disposition value, in lower case: a plainer reading than
// paramScanner's, splitting at semicolons outside quoted strings.
func cdParamNames(v string) []string {
	var names []string
	quoted, start := false, 0
	for i := 0; i <= len(v); i++ {
		switch {
		case i == len(v) || !quoted && v[i] == ';':
			if n, _, ok := strings.Cut(v[start:i], "="); ok {
				names = append(names, strings.ToLower(strings.Trim(n, " \t")))
			}
			start = i + 1
		case v[i] == '"':
			quoted = !quoted
		case quoted && v[i] == '\\':
			i++
		}
	}
	return names
}

// BenchmarkMultipartMime reads BenchmarkMultipart's body with
// mime/multipart, for the ratio.
func BenchmarkMultipartMime(b *testing.B) {
	body := benchMultipartBody()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := multipart.NewReader(bytes.NewReader(body), "b0undary")
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
