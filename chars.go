package biplane

import "github.com/biplane-go/biplane/internal/ascii"

// Byte classes from the RFC ABNF, as lookup tables so that validation is one
// load per byte.
const (
	cToken  = 1 << iota // tchar, RFC 9110 §5.6.2
	cValue              // field-vchar / SP / HTAB, RFC 9110 §5.5 (obs-text included)
	cTarget             // pchar / "/" / "?" minus "%", RFC 3986 §3.3–3.4
	cHex                // HEXDIG
	cAuth               // unreserved / sub-delims / ":" / "[" / "]", RFC 3986 §3.2 without "@" and "%"
	cHost               // reg-name and IPv4address: unreserved / sub-delims, RFC 3986 §3.2.2, without "%"
)

var chars = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
		if ascii.IsTokenChar(b) {
			t[c] |= cToken
		}
		// field-vchar = VCHAR / obs-text, plus SP and HTAB inside a value.
		if b == ' ' || b == '\t' || 0x21 <= b && b != 0x7f {
			t[c] |= cValue
		}
		// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
		// sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
		unreserved := alnum || containsByte("-._~", b)
		subDelim := containsByte("!$&'()*+,;=", b)
		if unreserved || subDelim || containsByte(":@/?", b) {
			t[c] |= cTarget
		}
		if unreserved || subDelim || containsByte(":[]", b) {
			t[c] |= cAuth
		}
		if unreserved || subDelim {
			t[c] |= cHost
		}
		if '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			t[c] |= cHex
		}
	}
	return t
}()

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// isToken reports whether b is a non-empty token (RFC 9110 §5.6.2).
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if chars[c]&cToken == 0 {
			return false
		}
	}
	return true
}

// unhex returns the value of a HEXDIG.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
