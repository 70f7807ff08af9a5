package biplane

import (
	"bytes"

	"github.com/biplane-go/biplane/internal/ascii"
)

// A span is a [start, end) range of a request's bytes. Spans survive the
// buffer moving or growing, because they are relative to the request's
// first byte.
type span struct{ start, end int32 }

func (s span) of(b []byte) []byte { return b[s.start:s.end:s.end] }

// field is one header field line: name and value (OWS trimmed).
type field struct{ name, value span }

// Parser states.
const (
	parseLine   uint8 = iota // before or inside the request line
	parseFields              // inside the header section
	parseDone                // the head is complete
)

// Request flags.
const (
	flagClose          = 1 << iota // the connection closes after this request
	flagChunked                    // Transfer-Encoding: chunked
	flagContentLength              // a Content-Length field was present
	flagExpectContinue             // Expect: 100-continue
	flagHost                       // a Host field was present
	flagAbsolute                   // absolute-form target
)

// A Parser reads one request head, the request line and the header section
// (RFC 9112 §2–5), from bytes the caller supplies. It does no I/O and keeps
// no clock.
//
// Parse is resumable: call it again with the same bytes plus more, and it
// carries on from where it stopped, so a head that arrives one byte at a
// time costs O(n) in total. Its results are views into the caller's bytes:
// nothing is copied and nothing is allocated for a valid request.
//
// The zero Parser is ready to use with the default [Limits]; Reset prepares
// it for the next request.
type Parser struct {
	// Limits bounds the head: MaxRequestLine, MaxHeaderBytes and
	// MaxHeaderFields are used. Zero fields mean the defaults.
	Limits Limits

	req       Request
	state     uint8
	skipped   bool  // the one leading empty line allowed by RFC 9112 §2.2 was seen
	pos       int32 // bytes scanned so far without finding a line end
	lineStart int32 // start of the line being scanned
	reqStart  int32 // start of the request line
	hdrStart  int32 // start of the header section
	err       error
}

// Reset discards the parser's state, keeping its Limits and its field
// storage, so that it can parse the next request.
func (p *Parser) Reset() {
	fields := p.req.fields[:0]
	p.req.reset()
	p.req.fields = fields
	p.state, p.skipped, p.pos, p.lineStart, p.reqStart, p.hdrStart, p.err = parseLine, false, 0, 0, 0, 0, nil
}

// Request returns the request parsed so far. Its accessors are valid once
// Parse has reported a complete head, and only while the bytes last passed
// to Parse are unchanged.
func (p *Parser) Request() *Request { return &p.req }

// Parse continues parsing the request head that starts at data[0]. data must
// hold the bytes of the previous call, possibly followed by more. It returns
// the length of the head, up to and including its empty line, once it is
// complete; 0 and a nil error if more bytes are needed; or a
// *[ProtocolError] carrying the status to answer with. Errors are sticky.
func (p *Parser) Parse(data []byte) (n int, err error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.state == parseDone {
		return int(p.pos), nil
	}
	p.req.buf = data
	n, err = p.parse(data)
	if err != nil {
		p.err = err
	}
	return n, err
}

func (p *Parser) parse(data []byte) (int, error) {
	maxLine := p.Limits.MaxRequestLine
	if maxLine <= 0 {
		maxLine = DefaultMaxRequestLine
	}
	maxHeader := p.Limits.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	maxFields := p.Limits.MaxHeaderFields
	if maxFields <= 0 {
		maxFields = DefaultMaxHeaderFields
	}
	for {
		i := indexByte(data[p.pos:], '\n')
		if i < 0 {
			p.pos = int32(len(data))
			// Refuse as soon as the limit is passed, so that over-limit
			// input is never buffered beyond it.
			if p.state == parseLine && len(data)-int(p.reqStart) > maxLine {
				return 0, protoErr(414, "request line too long", data[p.reqStart:])
			}
			if p.state == parseFields && len(data)-int(p.hdrStart) > maxHeader {
				return 0, protoErr(431, "header section too large", nil)
			}
			return 0, nil
		}
		end := int(p.pos) + i // index of '\n'
		p.pos = int32(end + 1)
		// RFC 9112 §2.2: lines end in CRLF. A bare LF is refused rather
		// than accepted, because peers that disagree on line ends are how
		// requests get smuggled.
		if end == int(p.lineStart) || data[end-1] != '\r' {
			return 0, protoErr(400, "line not terminated by CRLF", data[p.lineStart:end])
		}
		line := data[p.lineStart : end-1]
		start := p.lineStart
		p.lineStart = p.pos
		switch p.state {
		case parseLine:
			if len(line) == 0 && !p.skipped && start == 0 {
				// RFC 9112 §2.2: ignore at least one empty line before the
				// request line; we ignore exactly one.
				p.skipped = true
				p.reqStart = p.pos
				continue
			}
			if end+1-int(p.reqStart) > maxLine {
				return 0, protoErr(414, "request line too long", line)
			}
			if err := p.requestLine(line, start); err != nil {
				return 0, err
			}
			p.state = parseFields
			p.hdrStart = p.pos
		case parseFields:
			if int(p.pos-p.hdrStart) > maxHeader {
				return 0, protoErr(431, "header section too large", nil)
			}
			if len(line) == 0 {
				if err := p.finish(); err != nil {
					return 0, err
				}
				p.state = parseDone
				return int(p.pos), nil
			}
			if len(p.req.fields) >= maxFields {
				return 0, protoErr(431, "too many header fields", nil)
			}
			if err := p.fieldLine(line, start); err != nil {
				return 0, err
			}
		}
	}
}

// requestLine parses request-line = method SP request-target SP HTTP-version
// (RFC 9112 §3). off is the line's offset in the request.
func (p *Parser) requestLine(line []byte, off int32) error {
	r := &p.req
	// The method's bytes are checked as the space after it is sought.
	sp1 := tokenThen(line, ' ')
	if sp1 < 0 {
		return methodError(line)
	}
	method := line[:sp1]
	rest := line[sp1+1:]
	tOff := off + int32(sp1) + 1
	// The usual origin-form target is checked as the space after it is
	// sought; anything else takes the longer way below, to the same
	// answers.
	if len(rest) > 0 && rest[0] == '/' && !eqString(method, "CONNECT") {
		if sp2, q := scanPathQuery(rest); sp2 < len(rest) && rest[sp2] == ' ' {
			r.method = span{off, off + int32(sp1)}
			r.target = span{tOff, tOff + int32(sp2)}
			if err := p.version(rest[sp2+1:]); err != nil {
				return err
			}
			p.setPathQuery(tOff, q, sp2)
			return nil
		}
	}
	sp2 := indexByte(rest, ' ')
	if sp2 < 0 {
		// HTTP/0.9's "GET /" has no version: refused (RFC 9112 §2.3).
		return protoErr(400, "malformed request line", line)
	}
	target, version := rest[:sp2], rest[sp2+1:]
	if eqString(method, "CONNECT") {
		// RFC 9110 §9.3.6: CONNECT asks for a tunnel; we are no proxy.
		return protoErr(501, "CONNECT not implemented", target)
	}
	r.method = span{off, off + int32(sp1)}
	r.target = span{tOff, tOff + int32(sp2)}
	if err := p.version(version); err != nil {
		return err
	}
	return p.requestTarget(target, tOff)
}

// tokenThen returns the length of the token (RFC 9110 §5.6.2) that b
// starts with, if sep follows it, else -1.
func tokenThen(b []byte, sep byte) int {
	i := 0
	for i < len(b) && chars[b[i]]&cToken != 0 {
		i++
	}
	if i == 0 || i == len(b) || b[i] != sep {
		return -1
	}
	return i
}

// methodError is the error of a request line whose method is not a token
// followed by a space.
func methodError(line []byte) error {
	sp1 := indexByte(line, ' ')
	switch {
	case sp1 == 0:
		return protoErr(400, "whitespace before the request line", line)
	case sp1 < 0:
		return protoErr(400, "malformed request line", line)
	}
	return protoErr(400, "invalid method", line[:sp1])
}

// http11 is "HTTP/1.1" read as a little-endian uint64.
const http11 = 'H' | 'T'<<8 | 'T'<<16 | 'P'<<24 | '/'<<32 | '1'<<40 | '.'<<48 | '1'<<56

// version parses HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3).
func (p *Parser) version(v []byte) error {
	if len(v) == 8 && uint64(v[0])|uint64(v[1])<<8|uint64(v[2])<<16|uint64(v[3])<<24|
		uint64(v[4])<<32|uint64(v[5])<<40|uint64(v[6])<<48|uint64(v[7])<<56 == http11 {
		p.req.minor = 1 // the usual case, in one comparison
		return nil
	}
	if len(v) != 8 || !eqString(v[:5], "HTTP/") || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return protoErr(400, "malformed HTTP version", v)
	}
	if v[5] != '1' {
		return protoErr(505, "HTTP version not supported", v)
	}
	// RFC 9110 §6.2: a higher minor version is handled as the highest
	// minor version we implement.
	p.req.minor = min(v[7]-'0', 1)
	return nil
}

// requestTarget checks the request-target (RFC 9112 §3.2) and finds its path
// and query.
func (p *Parser) requestTarget(t []byte, off int32) error {
	r := &p.req
	switch {
	case len(t) == 0:
		return protoErr(400, "empty request target", nil)
	case t[0] == '/': // origin-form
		return p.pathQuery(t, off)
	case len(t) == 1 && t[0] == '*': // asterisk-form, OPTIONS only (§3.2.4)
		if !eqString(r.method.of(r.buf), "OPTIONS") {
			return protoErr(400, "asterisk-form target with a method other than OPTIONS", nil)
		}
		r.path = span{off, off + 1}
		r.query = span{off + 1, off + 1}
		return nil
	}
	// absolute-form: scheme "://" authority path-abempty [ "?" query ] (§3.2.2)
	i := bytes.Index(t, []byte("://"))
	scheme := t[:max(i, 0)]
	if i <= 0 || !(ascii.EqualFold(scheme, "http") || ascii.EqualFold(scheme, "https")) {
		return protoErr(400, "invalid request target", t)
	}
	rest := t[i+3:]
	a := 0
	for a < len(rest) && rest[a] != '/' && rest[a] != '?' {
		if rest[a] == '@' {
			// RFC 9110 §4.2.4: userinfo in an http(s) URI is an error.
			return protoErr(400, "userinfo in request target", t)
		}
		if chars[rest[a]]&cAuth == 0 {
			return protoErr(400, "invalid byte in request target authority", t)
		}
		a++
	}
	if a == 0 {
		return protoErr(400, "empty authority in request target", t)
	}
	// RFC 9110 §4.2.1: the authority is host [ ":" port ], as in Host.
	if !validHost(rest[:a]) {
		return protoErr(400, "invalid authority in request target", t)
	}
	aOff := off + int32(i+3)
	r.authority = span{aOff, aOff + int32(a)}
	r.flags |= flagAbsolute
	if a == len(rest) {
		r.path = span{} // empty path means "/"
		r.query = span{aOff + int32(a), aOff + int32(a)}
		return nil
	}
	if rest[a] == '?' {
		// path-abempty is empty; the query follows.
		if err := p.pathQuery(rest[a:], aOff+int32(a)); err != nil {
			return err
		}
		r.path = span{}
		return nil
	}
	return p.pathQuery(rest[a:], aOff+int32(a))
}

// pathQuery checks absolute-path [ "?" query ] and records both parts.
func (p *Parser) pathQuery(t []byte, off int32) error {
	n, q := scanPathQuery(t)
	if n < len(t) {
		return protoErr(400, "invalid byte in request target", t)
	}
	p.setPathQuery(off, q, n)
	return nil
}

// scanPathQuery returns the length of the longest prefix of t that is
// valid in absolute-path [ "?" query ] (RFC 9112 §3.2.1, RFC 3986 §3.3–3.4),
// and the index of its first '?', or -1.
func scanPathQuery(t []byte) (n, q int) {
	q = -1
	for n < len(t) {
		c := t[n]
		if chars[c]&cTarget != 0 {
			if c == '?' && q < 0 {
				q = n
			}
			n++
			continue
		}
		// pct-encoded = "%" HEXDIG HEXDIG (RFC 3986 §2.1)
		if c == '%' && n+2 < len(t) && chars[t[n+1]]&cHex != 0 && chars[t[n+2]]&cHex != 0 {
			n += 3
			continue
		}
		break
	}
	return n, q
}

// setPathQuery records a target of n bytes at off, whose first '?' is at
// q (or -1), as the path and the query.
func (p *Parser) setPathQuery(off int32, q, n int) {
	r := &p.req
	if q < 0 {
		q = n
	}
	r.path = span{off, off + int32(q)}
	r.query = span{off + int32(min(q+1, n)), off + int32(n)}
}

// fieldLine parses field-line = field-name ":" OWS field-value OWS
// (RFC 9112 §5). off is the line's offset in the request.
func (p *Parser) fieldLine(line []byte, off int32) error {
	r := &p.req
	// The name's bytes are checked as the colon after it is sought.
	colon := tokenThen(line, ':')
	if colon < 0 {
		return fieldNameError(line)
	}
	name := line[:colon]
	raw := line[colon+1:]
	vs := 0
	for vs < len(raw) && (raw[vs] == ' ' || raw[vs] == '\t') {
		vs++
	}
	ve := len(raw)
	for ve > vs && (raw[ve-1] == ' ' || raw[ve-1] == '\t') {
		ve--
	}
	value := raw[vs:ve]
	for _, c := range value {
		if chars[c]&cValue == 0 {
			// CR, NUL and other controls (RFC 9110 §5.5).
			return protoErr(400, "invalid byte in header field value", line)
		}
	}
	vOff := off + int32(colon+1+vs)
	f := field{span{off, off + int32(colon)}, span{vOff, vOff + int32(len(value))}}
	r.fields = append(r.fields, f)
	return p.special(name, value)
}

// fieldNameError is the error of a field line whose name is not a token
// followed by a colon.
func fieldNameError(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		// RFC 9112 §5.2: obs-fold is refused with 400; so is whitespace
		// before the first field line (§2.2).
		return protoErr(400, "obsolete line folding or leading whitespace", line)
	}
	colon := indexByte(line, ':')
	if colon < 0 {
		return protoErr(400, "header field line without a colon", line)
	}
	// Includes whitespace between the name and the colon, which RFC 9112
	// §5.1 says MUST be refused with 400.
	return protoErr(400, "invalid header field name", line[:colon])
}

// special interprets the fields that govern framing and the connection.
func (p *Parser) special(name, value []byte) error {
	r := &p.req
	switch len(name) {
	case 4:
		if !ascii.EqualFold(name, "host") {
			return nil
		}
		// RFC 9112 §3.2: more than one Host, or an invalid one, is a 400.
		if r.flags&flagHost != 0 {
			return protoErr(400, "duplicate Host header field", value)
		}
		r.flags |= flagHost
		if !validHost(value) {
			return protoErr(400, "invalid Host header field", value)
		}
		r.host = r.fields[len(r.fields)-1].value
	case 6:
		if !ascii.EqualFold(name, "expect") {
			return nil
		}
		// RFC 9110 §10.1.1: 100-continue is the only expectation.
		if !ascii.EqualFold(value, "100-continue") {
			return protoErr(417, "unsupported expectation", value)
		}
		r.flags |= flagExpectContinue
	case 10:
		if !ascii.EqualFold(name, "connection") {
			return nil
		}
		for e, rest := ascii.NextElement(value); len(e) > 0; e, rest = ascii.NextElement(rest) {
			if ascii.EqualFold(e, "close") {
				r.flags |= flagClose
			} else if ascii.EqualFold(e, "keep-alive") {
				r.keepAlive = true
			}
		}
	case 14:
		if !ascii.EqualFold(name, "content-length") {
			return nil
		}
		return p.contentLength(value)
	case 17:
		if !ascii.EqualFold(name, "transfer-encoding") {
			return nil
		}
		return p.transferEncoding(value)
	}
	return nil
}

// validHost reports whether v is Host = uri-host [ ":" port ] (RFC 9110
// §7.2, RFC 3986 §3.2.2–3.2.3), or empty. uri-host is an IP-literal in
// brackets, or a reg-name or IPv4 address, neither of which holds ':'.
func validHost(v []byte) bool {
	var port []byte
	if len(v) > 0 && v[0] == '[' {
		end := indexByte(v, ']')
		if end < 2 {
			return false
		}
		for _, c := range v[1:end] {
			if chars[c]&cHex == 0 && c != ':' && c != '.' {
				return false // IPv6address; IPvFuture is not accepted
			}
		}
		port = v[end+1:]
		if len(port) > 0 {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else {
		// reg-name or IPv4address up to the port's colon, in one pass.
		for i, c := range v {
			if chars[c]&cHost == 0 {
				if c != ':' {
					return false
				}
				port = v[i+1:]
				break
			}
		}
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// contentLength parses Content-Length = 1*DIGIT (RFC 9110 §8.6). A list of
// identical values, or repeated identical fields, is accepted as one value;
// anything else is a 400, because two framings of one message are how
// requests get smuggled (RFC 9112 §6.3).
func (p *Parser) contentLength(value []byte) error {
	r := &p.req
	for e, rest := ascii.NextElement(value); len(e) > 0; e, rest = ascii.NextElement(rest) {
		var n int64
		for _, c := range e {
			if c < '0' || c > '9' {
				return protoErr(400, "invalid Content-Length", value)
			}
			if n > (1<<63-1-9)/10 {
				return protoErr(400, "Content-Length overflows", value)
			}
			n = n*10 + int64(c-'0')
		}
		if r.flags&flagContentLength != 0 && n != r.contentLength {
			return protoErr(400, "conflicting Content-Length values", value)
		}
		r.flags |= flagContentLength
		r.contentLength = n
	}
	if r.flags&flagContentLength == 0 {
		return protoErr(400, "empty Content-Length", value)
	}
	return nil
}

// transferEncoding accepts exactly one coding, chunked (RFC 9112 §6.1).
func (p *Parser) transferEncoding(value []byte) error {
	r := &p.req
	for e, rest := ascii.NextElement(value); len(e) > 0; e, rest = ascii.NextElement(rest) {
		switch {
		case r.flags&flagChunked != 0:
			// Something after chunked, or chunked twice.
			return protoErr(400, "chunked is not the final transfer coding once", value)
		case ascii.EqualFold(e, "chunked"):
			r.flags |= flagChunked
		case isToken(e):
			return protoErr(501, "transfer coding not implemented", e)
		default:
			return protoErr(400, "invalid Transfer-Encoding", value)
		}
	}
	if r.flags&flagChunked == 0 {
		return protoErr(400, "empty Transfer-Encoding", value)
	}
	return nil
}

// finish checks the head as a whole.
func (p *Parser) finish() error {
	r := &p.req
	if r.minor == 1 && r.flags&flagHost == 0 {
		return protoErr(400, "missing Host header field", nil) // RFC 9112 §3.2
	}
	if r.flags&flagChunked != 0 {
		if r.minor == 0 {
			// RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
			return protoErr(400, "Transfer-Encoding in an HTTP/1.0 request", nil)
		}
		if r.flags&flagContentLength != 0 {
			// RFC 9112 §6.1: a request with both is refused, not guessed at.
			return protoErr(400, "both Transfer-Encoding and Content-Length", nil)
		}
	}
	if r.minor == 0 && !r.keepAlive {
		r.flags |= flagClose // RFC 9112 §9.3: HTTP/1.0 persists only if asked
	}
	if r.flags&flagContentLength == 0 {
		r.contentLength = 0
		if r.flags&flagChunked != 0 {
			r.contentLength = -1
		}
	}
	return nil
}

// eqString reports whether b holds s. It is string(b) == s without the
// conversion, which allocates under TinyGo.
func eqString(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}
