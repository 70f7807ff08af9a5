package static

import (
	"math"

	"github.com/biplane-go/biplane/internal/ascii"
)

// rangeResult says what to do with a Range field.
type rangeResult uint8

const (
	rangeIgnore        rangeResult = iota // serve the whole representation: 200
	rangeOK                               // serve [start, end]: 206
	rangeUnsatisfiable                    // 416 with Content-Range: bytes */size
)

// parseRange interprets a Range field value for a representation of size
// bytes (RFC 9110 §14.1.2, §14.2):
//
//	Range          = ranges-specifier
//	ranges-specifier = range-unit "=" range-set
//	range-set      = 1#range-spec
//	range-spec     = int-range / suffix-range / other-range
//	int-range      = first-pos "-" [ last-pos ]
//	suffix-range   = "-" suffix-length
//
// It returns rangeOK with the inclusive byte positions of a single
// satisfiable range, last-pos clamped to the last byte and a suffix longer
// than the representation meaning all of it (§14.1.1). A single range that
// is well-formed but starts past the end, or a zero suffix-length, is
// rangeUnsatisfiable (§15.5.17). Everything else is rangeIgnore, which
// §14.2 allows ("A server MAY ignore the Range header field"): a unit
// other than bytes, a malformed or invalid value (last-pos below
// first-pos), an other-range, more than one range (no multipart
// responses), or an empty representation (size <= 0).
func parseRange(v []byte, size int64) (start, end int64, res rangeResult) {
	if size <= 0 {
		return 0, 0, rangeIgnore
	}
	// The unit is a token compared without regard to case (§14.1).
	const unit = "bytes="
	if len(v) < len(unit) || !ascii.EqualFold(v[:len(unit)], unit) {
		return 0, 0, rangeIgnore
	}
	// range-set is a list (§5.6.1): elements separated by commas and
	// optional whitespace; empty elements are allowed and skipped.
	var spec []byte
	n := 0
	for elem := range ascii.Elements(v[len(unit):]) {
		spec = elem
		n++
		if n > 1 {
			return 0, 0, rangeIgnore // several ranges: the whole file, documented
		}
	}
	if n == 0 {
		return 0, 0, rangeIgnore
	}
	dash := -1
	for i, c := range spec {
		if c == '-' {
			dash = i
			break
		}
	}
	if dash < 0 {
		return 0, 0, rangeIgnore
	}
	if dash == 0 {
		// suffix-range: the last suffix-length bytes (§14.1.1).
		k, ok := parseDigits(spec[1:])
		if !ok {
			return 0, 0, rangeIgnore
		}
		if k == 0 {
			return 0, 0, rangeUnsatisfiable
		}
		return size - min(k, size), size - 1, rangeOK
	}
	first, ok := parseDigits(spec[:dash])
	if !ok {
		return 0, 0, rangeIgnore
	}
	last := int64(math.MaxInt64)
	if len(spec) > dash+1 {
		if last, ok = parseDigits(spec[dash+1:]); !ok {
			return 0, 0, rangeIgnore
		}
		if last < first {
			return 0, 0, rangeIgnore // an invalid int-range (§14.1.1)
		}
	}
	if first >= size {
		return 0, 0, rangeUnsatisfiable
	}
	return first, min(last, size-1), rangeOK
}

// parseDigits parses 1*DIGIT. A value too large for int64 saturates at
// math.MaxInt64: it is still a valid position, beyond any file's end.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + d
		}
	}
	return n, true
}
