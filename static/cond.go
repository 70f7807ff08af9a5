package static

import (
	"time"

	"github.com/biplane-go/biplane/internal/ascii"
)

// matchETag reports whether the field value v, an If-Match or
// If-None-Match list (RFC 9110 §13.1.1, §13.1.2), holds "*" or an
// entity-tag matching tag, a strong entity-tag of ours:
//
//	If-Match    = "*" / #entity-tag
//	entity-tag  = [ weak ] opaque-tag
//	weak        = %s"W/"
//	opaque-tag  = DQUOTE *etagc DQUOTE
//
// With strong set the comparison is strong (§8.8.3.2: a weak entity-tag
// never matches), else weak (the opaque-tags are compared, W/ or not).
// Parsing stops at the first malformed element: what came before it
// counts, what follows does not.
func matchETag(v []byte, tag string, strong bool) bool {
	for {
		v = skipListSep(v)
		if len(v) == 0 {
			return false
		}
		if v[0] == '*' {
			return true
		}
		weak := false
		if len(v) >= 2 && v[0] == 'W' && v[1] == '/' {
			weak = true
			v = v[2:]
		}
		if len(v) == 0 || v[0] != '"' {
			return false
		}
		end := 1
		for end < len(v) && v[end] != '"' {
			// etagc = %x21 / %x23-7E / obs-text
			if c := v[end]; c < 0x21 || c == 0x7f {
				return false
			}
			end++
		}
		if end == len(v) {
			return false // no closing quote
		}
		if string(v[:end+1]) == tag && !(strong && weak) {
			return true
		}
		v = v[end+1:]
		// Only a separator may follow an entity-tag.
		if w := ascii.TrimOWS(v); len(w) > 0 && w[0] != ',' {
			return false
		}
	}
}

// skipListSep skips whitespace and commas before a list element.
func skipListSep(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == ',') {
		v = v[1:]
	}
	return v
}

// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7).
const (
	imfFixdate = "Mon, 02 Jan 2006 15:04:05 GMT" // the one sent
	rfc850Date = "Monday, 02-Jan-06 15:04:05 GMT"
	asctime    = "Mon Jan _2 15:04:05 2006"
)

// parseHTTPDate parses an HTTP-date in any of its three forms. The
// obsolete two-digit year of rfc850-date is read as Go's time package
// reads it (69-99 as 19xx, else 20xx), close enough to §5.6.7's 50-year rule
// for dates used in conditional requests.
func parseHTTPDate(v []byte) (time.Time, bool) {
	s := string(ascii.TrimOWS(v))
	for _, layout := range [...]string{imfFixdate, rfc850Date, asctime} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// appendHTTPDate appends t as an IMF-fixdate (RFC 9110 §5.6.7).
func appendHTTPDate(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, imfFixdate)
}

// A gzipAcceptance reads Accept-Encoding field values (RFC 9110
// §12.5.3) to tell whether they accept the gzip coding:
//
//	Accept-Encoding = #( codings [ weight ] )
//	codings         = content-coding / "identity" / "*"
//	weight          = OWS ";" OWS "q=" qvalue
//
// gzip (or its alias x-gzip, §8.4.1.3) is accepted if listed with a
// non-zero qvalue, or if not listed and "*" is, with a non-zero qvalue.
// "q=0" means "not acceptable". An element with a malformed qvalue counts
// as not acceptable: identity is always a safe answer. The zero value has
// seen no field: gzip is not accepted.
type gzipAcceptance struct {
	gzipQ, starQ int // -1 + 1: the zero value means "not listed"
}

// add reads one field line's value.
func (a *gzipAcceptance) add(v []byte) {
	for elem := range ascii.Elements(v) {
		name := elem
		var params []byte
		for i, c := range elem {
			if c == ';' {
				name, params = ascii.TrimOWS(elem[:i]), elem[i+1:]
				break
			}
		}
		q := parseWeight(params) + 1
		switch {
		case ascii.EqualFold(name, "gzip"), ascii.EqualFold(name, "x-gzip"):
			a.gzipQ = max(a.gzipQ, q)
		case string(name) == "*":
			a.starQ = max(a.starQ, q)
		}
	}
}

// ok reports whether gzip is accepted.
func (a *gzipAcceptance) ok() bool {
	if a.gzipQ > 0 {
		return a.gzipQ > 1
	}
	return a.starQ > 1
}

// acceptsGzip reports whether one Accept-Encoding value accepts gzip.
func acceptsGzip(v []byte) bool {
	var a gzipAcceptance
	a.add(v)
	return a.ok()
}

// parseWeight returns the qvalue in params (what follows a coding's ';'),
// in thousandths: 1000 if there is none, 0 if it is malformed (RFC 9110
// §12.4.2):
//
//	qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
//
// Parameters other than q are ignored.
func parseWeight(params []byte) int {
	for len(params) > 0 {
		var p []byte
		p, params = params, nil
		for i, c := range p {
			if c == ';' {
				p, params = p[:i], p[i+1:]
				break
			}
		}
		p = ascii.TrimOWS(p)
		if len(p) < 2 || ascii.Lower(p[0]) != 'q' || p[1] != '=' {
			continue
		}
		return parseQValue(p[2:])
	}
	return 1000
}

// parseQValue parses a qvalue in thousandths; malformed gives 0.
func parseQValue(b []byte) int {
	if len(b) == 0 || (b[0] != '0' && b[0] != '1') {
		return 0
	}
	q := int(b[0]-'0') * 1000
	if len(b) == 1 {
		return q
	}
	if b[1] != '.' || len(b) > 5 {
		return 0
	}
	scale := 100
	for _, c := range b[2:] {
		if c < '0' || c > '9' {
			return 0
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	if q > 1000 {
		return 0
	}
	return q
}
