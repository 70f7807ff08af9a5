// Package ascii holds the pieces of HTTP's ASCII syntax (RFC 9110 §5.6)
// that the root package and the feature packages (static, web,
// websocket) all need: case folding of ASCII letters only, optional
// whitespace, comma-separated lists and tokens. Each works on []byte and
// string alike and allocates nothing.
//
// Folding is ASCII-only on purpose: Unicode folding (bytes.EqualFold)
// would take "ſ" for "s" and "K" (Kelvin) for "k", and so let a peer
// spell a protocol token in a way other HTTP software does not read.
package ascii

import "iter"

// Lower returns c with an ASCII capital letter made small.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether b equals lower, which must be lower-case,
// ignoring the case of b's ASCII letters.
func EqualFold[T []byte | string](b T, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if Lower(b[i]) != lower[i] {
			return false
		}
	}
	return true
}

// EqualFoldBoth reports whether a and b are equal, ignoring the case of
// ASCII letters on both sides.
func EqualFoldBoth[T []byte | string](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}

// TrimOWS removes leading and trailing optional whitespace, spaces and
// tabs (RFC 9110 §5.6.3).
func TrimOWS[T []byte | string](b T) T {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// Elements returns an iterator over the non-empty elements of the
// comma-separated list v (RFC 9110 §5.6.1), each trimmed of optional
// whitespace. Commas inside quoted strings are not special: none of the
// lists read with it can hold one where it matters.
func Elements[T []byte | string](v T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for len(v) > 0 {
			i := 0
			for i < len(v) && v[i] != ',' {
				i++
			}
			if e := TrimOWS(v[:i]); len(e) > 0 && !yield(e) {
				return
			}
			if i == len(v) {
				return
			}
			v = v[i+1:]
		}
	}
}

// NextElement returns the first non-empty element of the comma-separated
// list v, trimmed of optional whitespace, and what follows it; e is empty
// when v has no more. It is Elements without an iterator, for hot paths:
// a loop over an iterator allocates its body's closure under TinyGo.
//
//	for e, rest := NextElement(v); len(e) > 0; e, rest = NextElement(rest) {
func NextElement[T []byte | string](v T) (e, rest T) {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		e = TrimOWS(v[:i])
		if i == len(v) {
			return e, v[i:]
		}
		v = v[i+1:]
		if len(e) > 0 {
			return e, v
		}
	}
	return v[:0], v
}

// IsTokenChar reports whether c is a tchar (RFC 9110 §5.6.2):
//
//	tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//	        "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
func IsTokenChar(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// IsToken reports whether s is a token: one or more tchars.
func IsToken[T []byte | string](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}
