package web

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// The bounds a Multipart applies where its MultipartOptions leave them
// zero.
const (
	defaultMaxParts            = 1000 // net/http's bound for a form (GODEBUG multipartmaxparts)
	defaultMaxPartHeaderBytes  = 8 << 10
	defaultMaxPartHeaderFields = 16 // browsers send two or three
)

// maxBoundary is the longest boundary RFC 2046 §5.1.1 allows.
const maxBoundary = 70

// Reasons a Multipart refuses a body with, each the start of an
// [Error.Reason]: the rest quotes the input.
const (
	reasonBareLF       = "bare LF in multipart body"                        // a line that ends in LF alone
	reasonDelimiter    = "malformed multipart delimiter line"               // "--boundary" followed by other than padding and CRLF, or "--"
	reasonObsFold      = "folded line in part header"                       // obs-fold (RFC 9112 §5.2)
	reasonField        = "malformed part header field"                      // not token ":" field-value
	reasonDisposition  = "part's Content-Disposition"                       // missing, not form-data, malformed or without a name
	reasonRepeated     = "repeated parameter in part's Content-Disposition" // name or filename twice
	reasonContinuation = "RFC 2231 continuation in part's Content-Disposition"
	reasonRepeatedType = "part has more than one"     // Content-Disposition or Content-Type
	reasonEarly        = "multipart body ended early" // no close delimiter
	reasonParts        = "multipart body has more than"
	reasonHeaderBytes  = "part header section is over"
	reasonHeaderFields = "part header section has more than"
)

// MultipartOptions configure a [Multipart]. Zero fields mean the
// defaults documented with each.
type MultipartOptions struct {
	// OnPart is called once each part's header section has arrived
	// whole, with the part. It returns the writer that takes the part's
	// content, in pieces as it arrives; nil discards the content. The
	// writer follows the [biplane.Receiver] contract for Write: it may
	// take part of a piece and return [biplane.ErrWouldBlock], and is
	// then given the rest when the body's Write is called again; it must
	// not keep the slice it is given. If the writer is also an
	// [io.Closer], Close is called once the delimiter after the content
	// has arrived: the content is then complete, though the body may
	// still fail later. Close may return ErrWouldBlock too, and is then
	// called again. OnPart too may return ErrWouldBlock, and is then
	// called again with the same part. Any other error from OnPart, Write
	// or Close ends the body with that error.
	//
	// If OnPart is nil, all content is discarded: the body is only
	// checked.
	OnPart func(p *Part) (io.Writer, error)

	// MaxParts bounds the number of parts: the delimiter that would
	// begin one more fails the body with 413 Content Too Large. If zero,
	// 1000 is used, net/http's bound for a form.
	MaxParts int

	// MaxPartHeaderBytes bounds each part's header section, its line
	// ends and the blank line that ends it included: one byte more fails
	// the body with 413 Content Too Large (not 431, which would speak of
	// the request's own header). It is the size of the buffer the
	// decoder allocates for a part's header. If zero, 8 KiB is used.
	MaxPartHeaderBytes int

	// MaxPartHeaderFields bounds the number of fields in each part's
	// header section: one more fails the body with 413 Content Too
	// Large. If zero, 16 is used.
	MaxPartHeaderFields int
}

// A Part is one part of a multipart/form-data body, as
// [MultipartOptions].OnPart sees it when its header section has
// arrived. Name, FileName and ContentType may be kept; the Part itself
// and the fields [Part.Header] returns are valid only during the call.
type Part struct {
	// Name is the name parameter of the part's Content-Disposition: the
	// form field's name (RFC 7578 §4.2). It is never empty.
	Name string

	// FileName is the filename parameter of the part's
	// Content-Disposition, if it has one: the name of the file a file
	// input sent, or "" when none was chosen. It is as the client sent
	// it, possibly with directory names ("C:\photos\x.jpg"): RFC 7578
	// §4.2 asks the receiver not to use them, so a program that stores
	// the file takes the name after the last '/' or '\', or makes its
	// own. Browsers send '"', CR and LF in names as %22, %0D and %0A
	// (WHATWG HTML, "multipart/form-data encoding algorithm"), which are
	// not decoded here.
	//
	// A filename* parameter (RFC 8187, charset UTF-8 or US-ASCII) is
	// decoded and preferred to filename, as mime/multipart does, though
	// RFC 7578 §4.2 says senders must not use it; name* likewise for
	// Name. RFC 2231 continuations (filename*0, …) are refused.
	FileName string

	// ContentType is the part's Content-Type, "text/plain" if it has
	// none (RFC 7578 §4.4). A file input's part has the file's type, or
	// "application/octet-stream".
	ContentType string

	m *Multipart
}

// Header returns the value of the part's first header field called
// name, compared without regard to case, and nil if there is none.
func (p *Part) Header(name string) []byte {
	for n, v := range p.Headers() {
		if ascii.EqualFoldBoth(n, name) {
			return v
		}
	}
	return nil
}

// Headers returns an iterator over the part's header fields, name and
// value, in the order they arrived, values without surrounding
// whitespace.
func (p *Part) Headers() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		if p.m == nil {
			return
		}
		for _, f := range p.m.fields {
			if !yield(p.m.hbuf[f.name0:f.name1], p.m.hbuf[f.value0:f.value1]) {
				return
			}
		}
	}
}

// A Multipart decodes a multipart/form-data body (RFC 7578, RFC 2046
// §5.1) that is pushed to it in pieces, as a [biplane.Receiver] is
// given it: it hands each part to [MultipartOptions].OnPart and the
// part's content to the writer OnPart returns, byte for byte, as it
// arrives. Its memory is bounded by the part header buffer
// ([MultipartOptions].MaxPartHeaderBytes), allocated once; content
// passes through without being copied, so parts may be larger than
// RAM. A Multipart reads one body.
//
// Content bytes that could begin the delimiter ("\r\n--" and the
// boundary) are held back until the next bytes tell: at most the
// delimiter's length, and nothing but the delimiter's own prefix, so
// holding them takes no buffer.
//
// Content is passed on as it arrived: a Content-Transfer-Encoding field
// is not applied (RFC 7578 §4.7 deprecates it, browsers do not send it;
// mime/multipart's NextPart decodes quoted-printable).
//
// The preamble before the first delimiter and the epilogue after the
// close delimiter are ignored (RFC 2046 §5.1.1). A body the grammar
// does not allow is refused with an [*Error] of status 400; a bound
// passed with 413. In particular, where mime/multipart is lenient, a
// Multipart refuses: lines that end in LF alone, folded header lines,
// and a line that starts with "--" and the boundary but goes on with
// other than whitespace and CRLF, or "--" (RFC 2046 §5.1.1: such a
// line is a delimiter, so its tail is malformed, not content).
type Multipart struct {
	opt   MultipartOptions
	delim []byte // "\r\n--" + boundary
	state mpState
	err   error // sticky: the first error other than ErrWouldBlock

	// The delimiter being matched: held bytes of delim[:held] have
	// arrived and are not yet passed on, of which the first virt are
	// not content (the CRLF that ended a header section, which may be
	// the delimiter's too). In the preamble, delim[1:] is matched and
	// crBefore says whether a CR came before its LF.
	held, virt int
	crBefore   bool
	prev       byte // the last preamble byte

	// Work a writer or OnPart put off with ErrWouldBlock.
	pendFrom, pendTo int  // delim[pendFrom:pendTo] is content still to write
	closing          bool // w's Close is still to call
	starting         bool // OnPart is still to call

	w     io.Writer // the current part's writer, nil to discard
	parts int       // parts begun
	part  Part

	// The current part's header section.
	hbuf      []byte
	lineStart int // where the line being read starts in hbuf
	fields    []field
}

type field struct{ name0, name1, value0, value1 int }

type mpState uint8

const (
	mpPreamble mpState = iota // before the first delimiter, discarded
	mpHeader                  // a part's header section
	mpContent                 // a part's content
	mpDelim                   // just after "--" and the boundary
	mpDash                    // after the boundary and "-"
	mpPadding                 // transport padding after the boundary
	mpCR                      // the CR that ends a delimiter line
	mpClose                   // after the close delimiter: padding, then CRLF or the end
	mpCloseCR                 // the CR after the close delimiter
	mpEpilogue                // after the close delimiter's line, ignored
)

// NewMultipart returns a [Multipart] for the body of r, with the
// boundary given in its Content-Type. It refuses, with an [*Error], a
// Content-Type other than multipart/form-data with 415 Unsupported
// Media Type, and one without a valid boundary parameter with 400.
func NewMultipart(r *biplane.Request, opt MultipartOptions) (*Multipart, error) {
	ct := r.Header("Content-Type")
	if !isMediaType(ct, "multipart/form-data") {
		return nil, refuse(415, "Content-Type "+quoteInput(ct)+" is not multipart/form-data", nil)
	}
	var b []byte
	quoted, seen := false, false
	s := paramScanner{rest: afterType(ct)}
	for s.next() {
		if ascii.EqualFold(s.attr, "boundary") {
			if seen {
				return nil, refuse(400, "Content-Type "+quoteInput(ct)+" has two boundary parameters", nil)
			}
			b, quoted, seen = s.value, s.quoted, true
		}
	}
	switch {
	case s.bad:
		return nil, refuse(400, "malformed Content-Type "+quoteInput(ct), nil)
	case !seen:
		return nil, refuse(400, "Content-Type "+quoteInput(ct)+" has no boundary", nil)
	}
	return NewMultipartBoundary(unquote(b, quoted), opt)
}

// NewMultipartBoundary returns a [Multipart] for a body with the given
// boundary, as the boundary parameter of its Content-Type gives it,
// without quotes. It refuses, with an [*Error] of status 400, a
// boundary that RFC 2046 §5.1.1 does not allow:
//
//	boundary      := 0*69<bchars> bcharsnospace
//	bchars        := bcharsnospace / " "
//	bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" /
//	                 "," / "-" / "." / "/" / ":" / "=" / "?"
func NewMultipartBoundary(boundary string, opt MultipartOptions) (*Multipart, error) {
	if !validBoundary(boundary) {
		return nil, refuse(400, "invalid multipart boundary "+strconv.Quote(boundary), nil)
	}
	if opt.MaxParts <= 0 {
		opt.MaxParts = defaultMaxParts
	}
	if opt.MaxPartHeaderBytes <= 0 {
		opt.MaxPartHeaderBytes = defaultMaxPartHeaderBytes
	}
	if opt.MaxPartHeaderFields <= 0 {
		opt.MaxPartHeaderFields = defaultMaxPartHeaderFields
	}
	m := &Multipart{
		opt:    opt,
		delim:  []byte("\r\n--" + boundary),
		hbuf:   make([]byte, 0, opt.MaxPartHeaderBytes),
		fields: make([]field, 0, opt.MaxPartHeaderFields),
	}
	// The body may start with the first delimiter, "--boundary": as if
	// after a line end.
	m.held, m.crBefore = 1, true
	m.part.m = m
	return m, nil
}

func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > maxBoundary || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return false
		}
	}
	return true
}

// Write consumes p, a piece of the body, passing the content it holds to
// the parts' writers. It returns how much of p it consumed. When a
// writer, its Close or OnPart returns [biplane.ErrWouldBlock], so does
// Write, with the count of bytes consumed up to there: the caller calls
// Write again later with the rest of p first (possibly followed by more
// of the body), or with nothing if no byte is left. Any other error
// (malformed input, a bound passed, a writer's error) is returned by
// this and every later call.
func (m *Multipart) Write(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n := 0
	for {
		if err := m.resume(); err != nil {
			return n, m.fail(err)
		}
		if n == len(p) {
			return n, nil
		}
		k, err := m.step(p[n:])
		n += k
		if err != nil {
			return n, m.fail(err)
		}
	}
}

// Close reports whether the body ended well: it returns nil if the
// close delimiter ("--" boundary "--") has arrived and every writer has
// been closed, [biplane.ErrWouldBlock] if the last writer's Close put
// itself off (call Close again later), and otherwise an [*Error] of
// status 400 or the error Write returned. It is for when the body has
// arrived whole, in [biplane.Receiver]'s Done; the writer of a part
// whose content did not end is not closed.
func (m *Multipart) Close() error {
	if m.err != nil {
		return m.err
	}
	if m.state != mpClose && m.state != mpEpilogue {
		what := "in a part's content"
		switch m.state {
		case mpPreamble:
			what = "before the first delimiter"
		case mpHeader:
			what = "in a part's header"
		case mpDelim, mpDash, mpPadding, mpCR, mpCloseCR:
			what = "in a delimiter line"
		}
		m.err = refuse(400, reasonEarly+" ("+what+")", nil)
		return m.err
	}
	return m.fail(m.resume()) // the last writer's Close, if put off
}

func (m *Multipart) fail(err error) error {
	if err != biplane.ErrWouldBlock {
		m.err = err
	}
	return err
}

// resume does the work a writer or OnPart put off.
func (m *Multipart) resume() error {
	if m.pendFrom < m.pendTo {
		k, err := m.emit(m.delim[m.pendFrom:m.pendTo])
		m.pendFrom += k
		if err != nil {
			return err
		}
	}
	if m.closing {
		if err := m.w.(io.Closer).Close(); err != nil {
			return err
		}
		m.closing, m.w = false, nil
	}
	if m.starting {
		w, err := m.opt.OnPart(&m.part)
		if err != nil {
			return err
		}
		m.starting, m.w = false, w
	}
	return nil
}

// errCount is returned when a part's writer breaks the io.Writer
// contract.
var errCount = errors.New("web: part writer returned an impossible count")

// emit writes b to the part's writer and returns how much it took.
func (m *Multipart) emit(b []byte) (int, error) {
	if m.w == nil || len(b) == 0 {
		return len(b), nil
	}
	k, err := m.w.Write(b)
	switch {
	case k < 0 || k > len(b):
		return 0, errCount
	case err == nil && k < len(b):
		err = io.ErrShortWrite
	}
	return k, err
}

// step consumes some of p, which is not empty.
func (m *Multipart) step(p []byte) (int, error) {
	switch m.state {
	case mpPreamble:
		return m.preamble(p)
	case mpHeader:
		return m.header(p)
	case mpContent:
		return m.content(p)
	case mpEpilogue:
		return len(p), nil
	}
	return 1, m.delimLine(p[0])
}

// preamble discards bytes up to the first delimiter. It looks for LF
// "--" boundary, so as to refuse a delimiter after a bare LF: RFC 2046
// wants CRLF, mime/multipart takes LF, and reading such a body either
// way would let two programs see different parts in it.
func (m *Multipart) preamble(p []byte) (int, error) {
	d := m.delim[1:]
	for i := 0; i < len(p); i++ {
		if m.held == 0 {
			j := bytes.IndexByte(p[i:], '\n')
			if j < 0 {
				m.prev = p[len(p)-1]
				return len(p), nil
			}
			if i += j; i > 0 {
				m.prev = p[i-1]
			}
		}
		switch c := p[i]; {
		case m.held > 0 && c == d[m.held]:
			m.held++
		case c == '\n':
			m.held, m.crBefore = 1, m.prev == '\r'
		default:
			m.held = 0
		}
		m.prev = p[i]
		if m.held == len(d) {
			if !m.crBefore {
				return i + 1, refuse(400, reasonBareLF+": LF before the first delimiter", nil)
			}
			m.held, m.state = 0, mpDelim
			return i + 1, nil
		}
	}
	return len(p), nil
}

// content passes on a part's content up to the delimiter.
func (m *Multipart) content(p []byte) (int, error) {
	d := m.delim
	i := 0
	for i < len(p) {
		if m.held > 0 {
			if p[i] == d[m.held] {
				i++
				if m.held++; m.held == len(d) {
					return i, m.endContent()
				}
				continue
			}
			// Not the delimiter: what was held is content, but
			// for the CRLF that ended the header section.
			m.pendFrom, m.pendTo = m.virt, m.held
			m.held, m.virt = 0, 0
			k, err := m.emit(d[m.pendFrom:m.pendTo])
			if m.pendFrom += k; err != nil {
				return i, err
			}
			continue
		}
		// Pass on all before the first CR that may begin the
		// delimiter, at once: binary content has many CRs.
		j, held := i, 0
		for {
			r := bytes.IndexByte(p[j:], '\r')
			if r < 0 {
				j = len(p)
				break
			}
			j += r
			if held = min(len(p)-j, len(d)); bytes.Equal(p[j:j+held], d[:held]) {
				break
			}
			j++
		}
		k, err := m.emit(p[i:j])
		if i += k; err != nil {
			return i, err
		}
		if j < len(p) {
			i += held
			if m.held = held; m.held == len(d) {
				return i, m.endContent()
			}
		}
	}
	return i, nil
}

// endContent follows the delimiter after a part's content.
func (m *Multipart) endContent() error {
	m.held, m.virt, m.state = 0, 0, mpDelim
	if _, ok := m.w.(io.Closer); ok {
		m.closing = true // resume closes it
	} else {
		m.w = nil
	}
	return nil
}

// delimLine reads what follows "--" and the boundary, one byte c at a
// time (RFC 2046 §5.1.1):
//
//	delimiter          := CRLF dash-boundary
//	encapsulation      := delimiter transport-padding CRLF body-part
//	close-delimiter    := delimiter "--"
//	transport-padding  := *LWSP-char
//	multipart-body     := ... close-delimiter transport-padding [CRLF epilogue]
func (m *Multipart) delimLine(c byte) error {
	switch m.state {
	case mpDelim:
		switch c {
		case '-':
			m.state = mpDash
			return nil
		case ' ', '\t':
			m.state = mpPadding
			return nil
		case '\r':
			m.state = mpCR
			return nil
		}
	case mpDash:
		if c == '-' {
			m.state = mpClose
			return nil
		}
	case mpPadding, mpClose:
		switch c {
		case ' ', '\t':
			return nil
		case '\r':
			m.state++ // mpCR, mpCloseCR
			return nil
		}
	case mpCR:
		if c == '\n' {
			if m.parts++; m.parts > m.opt.MaxParts {
				return refuse(413, reasonParts+" "+strconv.Itoa(m.opt.MaxParts)+" parts", nil)
			}
			m.state, m.hbuf, m.fields, m.lineStart = mpHeader, m.hbuf[:0], m.fields[:0], 0
			return nil
		}
	case mpCloseCR:
		if c == '\n' {
			m.state = mpEpilogue
			return nil
		}
	}
	return refuse(400, reasonDelimiter+": "+quoteInput(m.delim[2:])+" followed by "+quoteInput([]byte{c}), nil)
}

// header reads a part's header section into hbuf, one line at a time.
func (m *Multipart) header(p []byte) (int, error) {
	line := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		line = p[:i+1]
	}
	if len(m.hbuf)+len(line) > m.opt.MaxPartHeaderBytes {
		return 0, refuse(413, reasonHeaderBytes+" "+strconv.Itoa(m.opt.MaxPartHeaderBytes)+" bytes", nil)
	}
	m.hbuf = append(m.hbuf, line...)
	if line[len(line)-1] != '\n' {
		return len(line), nil
	}
	start, end := m.lineStart, len(m.hbuf)-1
	m.lineStart = len(m.hbuf)
	if end == start || m.hbuf[end-1] != '\r' {
		return len(line), refuse(400, reasonBareLF+": part header line "+quoteInput(m.hbuf[start:end+1]), nil)
	}
	if end--; end == start {
		return len(line), m.endHeader()
	}
	return len(line), m.addField(start, end)
}

// addField checks the header line hbuf[start:end] (RFC 9112 §5) and
// records it:
//
//	field-line    = field-name ":" OWS field-value OWS
//	field-name    = token
//	field-value   = *field-content
//	field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
//	field-vchar   = VCHAR / obs-text
func (m *Multipart) addField(start, end int) error {
	line := m.hbuf[start:end]
	if line[0] == ' ' || line[0] == '\t' {
		return refuse(400, reasonObsFold+": "+quoteInput(line), nil)
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 || !ascii.IsToken(line[:colon]) {
		return refuse(400, reasonField+" "+quoteInput(line), nil)
	}
	v0, v1 := start+colon+1, end
	for v0 < v1 && (m.hbuf[v0] == ' ' || m.hbuf[v0] == '\t') {
		v0++
	}
	for v1 > v0 && (m.hbuf[v1-1] == ' ' || m.hbuf[v1-1] == '\t') {
		v1--
	}
	for _, c := range m.hbuf[v0:v1] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return refuse(400, reasonField+" "+quoteInput(line), nil)
		}
	}
	if len(m.fields) == m.opt.MaxPartHeaderFields {
		return refuse(413, reasonHeaderFields+" "+strconv.Itoa(m.opt.MaxPartHeaderFields)+" fields", nil)
	}
	m.fields = append(m.fields, field{start, start + colon, v0, v1})
	return nil
}

// endHeader reads the part's header section, now whole, and starts its
// content. RFC 7578 §4.2: each part has a Content-Disposition of type
// form-data with a name parameter. Two of it, or of Content-Type, are
// refused: other software would take one or the other.
func (m *Multipart) endHeader() error {
	var cd, ct []byte
	haveCD, haveCT := false, false
	for n, v := range m.part.Headers() {
		switch {
		case ascii.EqualFold(n, "content-disposition"):
			if haveCD {
				return refuse(400, reasonRepeatedType+" Content-Disposition", nil)
			}
			cd, haveCD = v, true
		case ascii.EqualFold(n, "content-type"):
			if haveCT {
				return refuse(400, reasonRepeatedType+" Content-Type", nil)
			}
			ct, haveCT = v, true
		}
	}
	if !haveCD {
		return refuse(400, reasonDisposition+" is missing", nil)
	}
	if err := m.part.disposition(cd); err != nil {
		return err
	}
	m.part.ContentType = "text/plain"
	if len(ct) > 0 {
		m.part.ContentType = string(ct)
	}
	// The CRLF that ended the header section may be the delimiter's
	// too, if the content is empty.
	m.state, m.held, m.virt = mpContent, 2, 2
	m.starting = m.opt.OnPart != nil
	return nil
}

// disposition sets p's Name and FileName from a Content-Disposition
// value (RFC 7578 §4.2, RFC 2183 §2).
func (p *Part) disposition(v []byte) error {
	if !ascii.EqualFold(ascii.TrimOWS(v[:len(v)-len(afterType(v))]), "form-data") {
		return refuse(400, reasonDisposition+" "+quoteInput(v)+" is not form-data", nil)
	}
	// name, filename, name*, filename*
	var vals [4]struct {
		v            []byte
		quoted, seen bool
	}
	s := paramScanner{rest: afterType(v)}
	for s.next() {
		i := 0
		switch a := s.attr; {
		case ascii.EqualFold(a, "name"):
			i = 0
		case ascii.EqualFold(a, "filename"):
			i = 1
		case ascii.EqualFold(a, "name*"):
			i = 2
		case ascii.EqualFold(a, "filename*"):
			i = 3
		case startsFold(a, "name*"), startsFold(a, "filename*"):
			return refuse(400, reasonContinuation+" "+quoteInput(v), nil)
		default:
			continue // another parameter, of no use here
		}
		if vals[i].seen {
			return refuse(400, reasonRepeated+" "+quoteInput(v), nil)
		}
		vals[i].v, vals[i].quoted, vals[i].seen = s.value, s.quoted, true
	}
	if s.bad {
		return refuse(400, reasonDisposition+" "+quoteInput(v)+" is malformed", nil)
	}
	p.Name, p.FileName = "", ""
	for i := range 2 {
		s := &p.Name
		if i == 1 {
			s = &p.FileName
		}
		if x := vals[i+2]; x.seen {
			if d, ok := decodeExtValue(unquote(x.v, x.quoted)); ok {
				*s = d
				continue
			}
		}
		if x := vals[i]; x.seen {
			*s = unquote(x.v, x.quoted)
		}
	}
	if p.Name == "" {
		return refuse(400, reasonDisposition+" "+quoteInput(v)+" has no name", nil)
	}
	return nil
}

// decodeExtValue decodes an RFC 8187 ext-value, charset "'" [language]
// "'" value-chars with %-escapes, if its charset is UTF-8 or US-ASCII:
// as mime.ParseMediaType does, for it to read the same.
func decodeExtValue(v string) (string, bool) {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok || !ascii.EqualFold(charset, "utf-8") && !ascii.EqualFold(charset, "us-ascii") {
		return "", false
	}
	if _, rest, ok = strings.Cut(rest, "'"); !ok {
		return "", false
	}
	n := 0
	for i := 0; i < len(rest); i++ {
		if rest[i] == '%' {
			if i+2 >= len(rest) || unhex(rest[i+1]) < 0 || unhex(rest[i+2]) < 0 {
				return "", false
			}
			n++
		}
	}
	if n == 0 {
		return rest, true
	}
	b := make([]byte, 0, len(rest)-2*n)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == '%' {
			c = byte(unhex(rest[i+1])<<4 | unhex(rest[i+2]))
			i += 2
		}
		b = append(b, c)
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func startsFold(b []byte, lower string) bool {
	return len(b) >= len(lower) && ascii.EqualFold(b[:len(lower)], lower)
}

// afterType returns what follows the type of a Content-Type or
// Content-Disposition value: its parameters, from the first ';'.
func afterType(v []byte) []byte {
	if i := bytes.IndexByte(v, ';'); i >= 0 {
		return v[i:]
	}
	return nil
}

// A paramScanner reads the parameters of a Content-Type or
// Content-Disposition value, as mime.ParseMediaType does (RFC 2045
// §5.1, RFC 2183 §2), one at a time:
//
//	parameters := *( OWS ";" OWS attribute OWS "=" OWS value ) [ OWS ";" ] OWS
//	value      := token / quoted-string
//
// with the tokens of RFC 2045. In a quoted-string, a backslash escapes
// the character after it only if that is a tspecial ('"' and '\'
// among them): browsers send Windows paths with plain backslashes.
// Whitespace is SP and HTAB only.
type paramScanner struct {
	rest   []byte
	attr   []byte
	value  []byte // without quotes, quoted-pairs as they came
	quoted bool
	bad    bool // the parameters are malformed
}

func (s *paramScanner) next() bool {
	r := trimLeftOWS(s.rest)
	if len(r) == 0 {
		return false
	}
	if r[0] != ';' {
		s.bad = true
		return false
	}
	if r = trimLeftOWS(r[1:]); len(r) == 0 {
		return false // one trailing ";" is tolerated
	}
	n := mimeTokenLen(r)
	s.attr, r = r[:n], trimLeftOWS(r[n:])
	if n == 0 || len(r) == 0 || r[0] != '=' {
		s.bad = true
		return false
	}
	r = trimLeftOWS(r[1:])
	if len(r) > 0 && r[0] == '"' {
		i := 1
		for ; i < len(r) && r[i] != '"'; i++ {
			if r[i] == '\\' && i+1 < len(r) && isTSpecial(r[i+1]) {
				i++
			}
		}
		if i == len(r) {
			s.bad = true
			return false
		}
		s.value, s.quoted, s.rest = r[1:i], true, r[i+1:]
		return true
	}
	if n = mimeTokenLen(r); n == 0 {
		s.bad = true
		return false
	}
	s.value, s.quoted, s.rest = r[:n], false, r[n:]
	return true
}

// unquote returns a parameter's value, with a quoted-string's
// quoted-pairs undone.
func unquote(v []byte, quoted bool) string {
	if !quoted || bytes.IndexByte(v, '\\') < 0 {
		return string(v)
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && isTSpecial(v[i+1]) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func trimLeftOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// isTSpecial: tspecials := "(" / ")" / "<" / ">" / "@" / "," / ";" /
// ":" / "\" / <"> / "/" / "[" / "]" / "?" / "=" (RFC 2045 §5.1).
func isTSpecial(c byte) bool {
	return c < 0x80 && strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0
}

// mimeTokenLen returns the length of the RFC 2045 token that b starts
// with: any CHAR but SPACE, CTLs and tspecials. It differs from HTTP's
// token by allowing "{" and "}".
func mimeTokenLen(b []byte) int {
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || isTSpecial(c) {
			return i
		}
	}
	return len(b)
}

// quoteInput quotes bytes of the peer's for an error's reason, cut
// short if long.
func quoteInput(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
