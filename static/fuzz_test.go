package static

import (
	"bytes"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseRange compares parseRange with refRange, a plainer rendering
// of RFC 9110 §14.1.2 over strings, and checks that a range it accepts
// lies within the representation.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{
		"bytes=0-499", "bytes=-500", "bytes=9500-", "bytes=0-0,-1", "bytes=5-4",
		"bytes=-0", "BYTES=1-2,", "bytes=, 1-2 ", "bytes=99999999999999999999-",
		"bytes=0-99999999999999999999", "items=1-2", "bytes=", "bytes=1--2", "bytes=\t3-4\t",
	} {
		for _, size := range []int64{0, 1, 1000, 10000, math.MaxInt64} {
			f.Add(s, size)
		}
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		start, end, res := parseRange([]byte(v), size)
		rs, re, rr := refRange(v, size)
		if res != rr || res == rangeOK && (start != rs || end != re) {
			t.Fatalf("parseRange(%q, %d) = %d, %d, %d; reference says %d, %d, %d", v, size, start, end, res, rs, re, rr)
		}
		if res == rangeOK && !(0 <= start && start <= end && end < size) {
			t.Fatalf("parseRange(%q, %d) = [%d, %d], outside the representation", v, size, start, end)
		}
		if res == rangeUnsatisfiable && size <= 0 {
			t.Fatalf("parseRange(%q, %d): unsatisfiable for an empty representation, want ignored", v, size)
		}
	})
}

// refRange is parseRange written the obvious way, for FuzzParseRange.
func refRange(v string, size int64) (int64, int64, rangeResult) {
	if size <= 0 || len(v) < 6 || strings.ToLower(v[:6]) != "bytes=" {
		return 0, 0, rangeIgnore
	}
	var specs []string
	for _, e := range strings.Split(v[6:], ",") {
		if e = strings.Trim(e, " \t"); e != "" {
			specs = append(specs, e)
		}
	}
	if len(specs) != 1 {
		return 0, 0, rangeIgnore
	}
	num := func(s string) (int64, bool) {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return math.MaxInt64, true // only ErrRange is left
		}
		return n, true
	}
	first, last, _ := strings.Cut(specs[0], "-")
	if !strings.Contains(specs[0], "-") {
		return 0, 0, rangeIgnore
	}
	if first == "" {
		k, ok := num(last)
		switch {
		case !ok:
			return 0, 0, rangeIgnore
		case k == 0:
			return 0, 0, rangeUnsatisfiable
		case k >= size:
			return 0, size - 1, rangeOK
		}
		return size - k, size - 1, rangeOK
	}
	a, ok := num(first)
	if !ok {
		return 0, 0, rangeIgnore
	}
	b := int64(math.MaxInt64)
	if last != "" {
		if b, ok = num(last); !ok || b < a {
			return 0, 0, rangeIgnore
		}
	}
	if a >= size {
		return 0, 0, rangeUnsatisfiable
	}
	return a, min(b, size-1), rangeOK
}

// FuzzCleanPath checks, for any raw request path, that a name cleanPath
// accepts is the decoded path itself (nothing is cleaned away), valid for
// fs.FS, and cannot leave the root; that dotfiles are hidden unless asked
// for; and that an encoded slash is always noticed.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{
		"/", "/index.html", "/a/b/", "/../etc/passwd", "/%2e%2e/", "/a%2fb", "/a%00b",
		`/\..\`, "//x", "/./x", "/.git/config", "/%c0%ae%c0%ae/", "/a%20b/%C3%BC.txt", "/..%5c..%5c",
		"/.well-known/x", "/a/..", "/...", "/%2E%2E%2F",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := hasEncodedSlash([]byte(raw)), strings.Contains(strings.ToLower(raw), "%2f"); got != want {
			t.Fatalf("hasEncodedSlash(%q) = %v, want %v", raw, got, want)
		}
		p, ok := unescapePath(raw)
		if !ok {
			return // the core's parser refuses the request
		}
		for _, dotfiles := range []bool{false, true} {
			name, dir, status := cleanPath([]byte(p), dotfiles)
			switch status {
			case pathOK:
			case pathBad, pathHidden:
				if name != "" {
					t.Fatalf("cleanPath(%q) refused with %d but named %q", p, status, name)
				}
				continue
			default:
				t.Fatalf("cleanPath(%q): status %d", p, status)
			}
			if name == "." {
				if p != "/" || !dir {
					t.Fatalf("cleanPath(%q) = the root", p)
				}
				continue
			}
			again := "/" + name
			if dir {
				again += "/"
			}
			if again != p {
				t.Fatalf("cleanPath(%q) = %q, %v: not the path itself", p, name, dir)
			}
			if !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") {
				t.Fatalf("cleanPath(%q) = %q: not a valid fs name", p, name)
			}
			for _, c := range []byte(name) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("cleanPath(%q) = %q: control byte", p, name)
				}
			}
			if j := path.Join("/root", name); !strings.HasPrefix(j, "/root/") {
				t.Fatalf("cleanPath(%q) = %q, which leaves the root: %s", p, name, j)
			}
			for _, seg := range strings.Split(name, "/") {
				if seg == ".." || seg == "." || !dotfiles && strings.HasPrefix(seg, ".") {
					t.Fatalf("cleanPath(%q, %v) = %q: segment %q", p, dotfiles, name, seg)
				}
			}
		}
		// Hiding dotfiles only ever refuses more.
		if n1, _, s1 := cleanPath([]byte(p), false); s1 == pathOK {
			if n2, _, s2 := cleanPath([]byte(p), true); s2 != pathOK || n2 != n1 {
				t.Fatalf("cleanPath(%q): %q without dotfiles, %q (%d) with", p, n1, n2, s2)
			}
		}
	})
}

// unescapePath decodes %XX as the core does, failing where its parser
// would refuse the request: a '%' not followed by two hex digits.
func unescapePath(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return "", false
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil || strings.ContainsAny(s[i+1:i+3], "+-") {
				return "", false
			}
			c = byte(n)
			i += 2
		}
		b = append(b, c)
	}
	return string(b), true
}

// FuzzAcceptsGzip compares acceptsGzip with a reference written over
// strings, for any Accept-Encoding value.
func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{
		"gzip", "gzip;q=0", "gzip, deflate, br", "*;q=0.5", "gzip;q=0, *", "x-gzip;q=0.001",
		"gzip;q=2", "gzip ; Q=1.000", "br;q=1.0, gzip;q=0.5, *;q=0", "gzip;level=9;q=0.3", ",,gzip,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := acceptsGzip([]byte(v)), refAcceptsGzip(v); got != want {
			t.Fatalf("acceptsGzip(%q) = %v, reference says %v", v, got, want)
		}
	})
}

func refAcceptsGzip(v string) bool {
	gzipQ, starQ := -1, -1
	for _, e := range strings.Split(v, ",") {
		parts := strings.Split(e, ";")
		name := strings.ToLower(strings.Trim(parts[0], " \t"))
		q := 1000
		for _, p := range parts[1:] {
			p = strings.Trim(p, " \t")
			if len(p) >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
				q = refQValue(p[2:])
				break
			}
		}
		switch name {
		case "gzip", "x-gzip":
			gzipQ = max(gzipQ, q)
		case "*":
			starQ = max(starQ, q)
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// refQValue parses a qvalue (RFC 9110 §12.4.2) in thousandths, 0 if
// malformed.
func refQValue(s string) int {
	whole, frac, dot := strings.Cut(s, ".")
	if whole != "0" && whole != "1" || dot && len(frac) > 3 || strings.Trim(frac, "0123456789") != "" {
		return 0
	}
	for len(frac) < 3 {
		frac += "0"
	}
	n, _ := strconv.Atoi(frac)
	q := int(whole[0]-'0')*1000 + n
	if q > 1000 {
		return 0
	}
	return q
}

// FuzzMatchETag checks that a strong match is also a weak one, and that a
// match needs "*" or the tag in the value.
func FuzzMatchETag(f *testing.F) {
	for _, s := range []string{`"abc"`, `W/"abc"`, `*`, `"x", "abc"`, `"x" "abc"`, `W/`, `"`, `,,,`} {
		f.Add(s)
	}
	const tag = `"abc"`
	f.Fuzz(func(t *testing.T, v string) {
		strong := matchETag([]byte(v), tag, true)
		weak := matchETag([]byte(v), tag, false)
		if strong && !weak {
			t.Fatalf("matchETag(%q): strong match but no weak one", v)
		}
		if weak && !strings.Contains(v, "*") && !strings.Contains(v, tag) {
			t.Fatalf("matchETag(%q) matched %s", v, tag)
		}
	})
}

// FuzzHTTPDate checks that a date parseHTTPDate accepts is written back
// as an IMF-fixdate that parses to the same second.
func FuzzHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Mon, 31 Dec 9999 23:59:59 GMT", "x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseHTTPDate([]byte(v))
		if !ok || d.Year() < 0 || d.Year() > 9999 {
			return
		}
		out := appendHTTPDate(nil, d)
		d2, ok := parseHTTPDate(out)
		if !ok || d2.Unix() != d.Unix() {
			t.Fatalf("parseHTTPDate(%q) = %v, written %q, read back %v, %v", v, d, out, d2, ok)
		}
		if bytes.ContainsAny(out, "\r\n") {
			t.Fatalf("appendHTTPDate wrote %q", out)
		}
	})
}
