package static

import (
	"testing"
	"time"
)

// Tests of the parsers alone, without sockets; TinyGo builds them.

func TestParseRange(t *testing.T) {
	const size = 1000
	for _, tc := range []struct {
		v          string
		size       int64
		start, end int64
		res        rangeResult
	}{
		// RFC 9110 §14.1.2's examples, for a 10000-byte representation.
		{"bytes=0-499", 10000, 0, 499, rangeOK},
		{"bytes=500-999", 10000, 500, 999, rangeOK},
		{"bytes=-500", 10000, 9500, 9999, rangeOK},
		{"bytes=9500-", 10000, 9500, 9999, rangeOK},
		{"bytes=0-0,-1", 10000, 0, 0, rangeIgnore}, // several ranges: whole file
		{"bytes= 0-999, 4500-5499, -1000", 10000, 0, 0, rangeIgnore},
		{"bytes=500-600,601-999", 10000, 0, 0, rangeIgnore},

		{"bytes=0-", size, 0, 999, rangeOK},
		{"bytes=0-0", size, 0, 0, rangeOK},
		{"bytes=999-999", size, 999, 999, rangeOK},
		{"bytes=999-", size, 999, 999, rangeOK},
		{"bytes=0-5000", size, 0, 999, rangeOK},             // §14.1.1: clamped
		{"bytes=-5000", size, 0, 999, rangeOK},              // whole
		{"bytes=-1", size, 999, 999, rangeOK},               //
		{"Bytes=1-2", size, 1, 2, rangeOK},                  // §14.1: unit case-insensitive
		{"bytes=1-2,", size, 1, 2, rangeOK},                 // §5.6.1: empty elements
		{"bytes=, 1-2", size, 1, 2, rangeOK},                //
		{"bytes=1-2 ", size, 1, 2, rangeOK},                 //
		{"bytes=007-008", size, 7, 8, rangeOK},              // leading zeros are digits
		{"bytes=1000-", size, 0, 0, rangeUnsatisfiable},     // §15.5.17
		{"bytes=1000-2000", size, 0, 0, rangeUnsatisfiable}, //
		{"bytes=-0", size, 0, 0, rangeUnsatisfiable},        // §14.1.1: zero suffix
		{"bytes=99999999999999999999-", size, 0, 0, rangeUnsatisfiable},
		{"bytes=0-99999999999999999999", size, 0, 999, rangeOK},
		{"bytes=-99999999999999999999", size, 0, 999, rangeOK},
		{"bytes=5-4", size, 0, 0, rangeIgnore}, // §14.1.1: invalid int-range
		{"bytes=", size, 0, 0, rangeIgnore},
		{"bytes=,", size, 0, 0, rangeIgnore},
		{"bytes=-", size, 0, 0, rangeIgnore},
		{"bytes=--1", size, 0, 0, rangeIgnore},
		{"bytes=1--2", size, 0, 0, rangeIgnore},
		{"bytes=a-b", size, 0, 0, rangeIgnore},
		{"bytes=1-b", size, 0, 0, rangeIgnore},
		{"bytes=+1-2", size, 0, 0, rangeIgnore},
		{"bytes=1 - 2", size, 0, 0, rangeIgnore},
		{"bytes=0x10-", size, 0, 0, rangeIgnore},
		{"bytes=1", size, 0, 0, rangeIgnore},
		{"bytes 1-2", size, 0, 0, rangeIgnore},
		{"bytes=1-2;x", size, 0, 0, rangeIgnore},
		{"items=1-2", size, 0, 0, rangeIgnore},
		{"bytesx=1-2", size, 0, 0, rangeIgnore},
		{"", size, 0, 0, rangeIgnore},
		{"bytes=0-0", 0, 0, 0, rangeIgnore}, // an empty file: Range ignored
		{"bytes=-1", 0, 0, 0, rangeIgnore},
	} {
		start, end, res := parseRange([]byte(tc.v), tc.size)
		if res != tc.res || res == rangeOK && (start != tc.start || end != tc.end) {
			t.Errorf("parseRange(%q, %d) = %d, %d, %d; want %d, %d, %d", tc.v, tc.size, start, end, res, tc.start, tc.end, tc.res)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for _, tc := range []struct {
		p        string
		dotfiles bool
		name     string
		dir      bool
		status   int
	}{
		{"/", false, ".", true, pathOK},
		{"/a", false, "a", false, pathOK},
		{"/a/", false, "a", true, pathOK},
		{"/a/b.txt", false, "a/b.txt", false, pathOK},
		{"/a b/ü.txt", false, "a b/ü.txt", false, pathOK},
		{"/a..b", false, "a..b", false, pathOK},
		{"/...", false, "", false, pathHidden},
		{"/..", false, "", false, pathBad},
		{"/../", false, "", false, pathBad},
		{"/../a", false, "", false, pathBad},
		{"/a/../b", false, "", false, pathBad},
		{"/a/..", false, "", false, pathBad},
		{"/.", false, "", false, pathBad},
		{"/./", false, "", false, pathBad},
		{"/a/./b", true, "", false, pathBad},
		{"//", false, "", false, pathBad},
		{"//a", false, "", false, pathBad},
		{"/a//b", false, "", false, pathBad},
		{"/a//", false, "", false, pathBad},
		{"/a\\b", false, "", false, pathBad},
		{"/\\..\\a", false, "", false, pathBad},
		{"/a\x00b", false, "", false, pathBad},
		{"/a\nb", false, "", false, pathBad},
		{"/a\x7f", false, "", false, pathBad},
		{"/\xc0\xae\xc0\xae/a", false, "", false, pathBad}, // invalid UTF-8
		{"/\xff", false, "", false, pathBad},
		{"", false, "", false, pathBad},
		{"a", false, "", false, pathBad},
		{"*", false, "", false, pathBad},
		{"/.git/config", false, "", false, pathHidden},
		{"/a/.env", false, "", false, pathHidden},
		{"/.well-known/", false, "", false, pathHidden},
		{"/.git/config", true, ".git/config", false, pathOK},
		{"/.well-known/", true, ".well-known", true, pathOK},
	} {
		name, dir, status := cleanPath([]byte(tc.p), tc.dotfiles)
		if name != tc.name || dir != tc.dir || status != tc.status {
			t.Errorf("cleanPath(%q, %v) = %q, %v, %d; want %q, %v, %d", tc.p, tc.dotfiles, name, dir, status, tc.name, tc.dir, tc.status)
		}
	}
}

func TestHasEncodedSlash(t *testing.T) {
	for raw, want := range map[string]bool{
		"/a%2fb": true, "/a%2Fb": true, "%2f": true, "/a%2": false, "/a%20b": false,
		"/a/b": false, "/%252f": false, "/%5c": false,
	} {
		if got := hasEncodedSlash([]byte(raw)); got != want {
			t.Errorf("hasEncodedSlash(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestMatchETag(t *testing.T) {
	const tag = `"abc"`
	for _, tc := range []struct {
		v            string
		strong, weak bool // results of the strong and weak comparisons
	}{
		{`"abc"`, true, true},
		{`W/"abc"`, false, true}, // §8.8.3.2
		{`*`, true, true},
		{` "x" , "abc"`, true, true},
		{`"x",W/"abc"`, false, true},
		{`,,"abc",`, true, true},
		{`"x"`, false, false},
		{``, false, false},
		{`abc`, false, false},
		{`"abc`, false, false},
		{`"ab"c"`, false, false},
		{`"x" "abc"`, false, false}, // not a list: stop at the malformed element
		{`w/"abc"`, false, false},   // %s"W/": case-sensitive
		{`"a bc"`, false, false},
		{`"abc" junk`, true, true}, // matched before the junk
	} {
		if got := matchETag([]byte(tc.v), tag, true); got != tc.strong {
			t.Errorf("strong matchETag(%q) = %v, want %v", tc.v, got, tc.strong)
		}
		if got := matchETag([]byte(tc.v), tag, false); got != tc.weak {
			t.Errorf("weak matchETag(%q) = %v, want %v", tc.v, got, tc.weak)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"gzip":                      true,
		"GZIP":                      true,
		"x-gzip":                    true,
		"gzip, deflate, br":         true,
		"br;q=1.0, gzip;q=0.5":      true,
		"gzip;q=1":                  true,
		"gzip;q=1.000":              true,
		"gzip ; q=0.001":            true,
		"gzip;Q=0.5":                true,
		"gzip;level=1":              true, // unknown parameter, no weight
		"*":                         true,
		"br, *;q=0.1":               true,
		"":                          false,
		"identity":                  false,
		"br, deflate":               false,
		"gzip;q=0":                  false, // §12.4.2: not acceptable
		"gzip;q=0.0":                false,
		"gzip;q=0.000":              false,
		"*;q=0":                     false,
		"gzip;q=0, *":               false, // explicitly refused beats "*"
		"*, gzip;q=0":               false,
		"gzip;q=0, gzip":            true,  // listed twice: the higher weight
		"gzip;q=2":                  false, // malformed qvalues refuse
		"gzip;q=1.5":                false,
		"gzip;q=0.0001":             false,
		"gzip;q=":                   false,
		"gzip;q=.5":                 false,
		"gzip;q=0.5x":               false,
		"gzipx":                     false,
		"gzip2, x-gzipx":            false,
		"deflate;q=0.5, gzip;q=0.4": true,
	} {
		if got := acceptsGzip([]byte(v)); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestHTTPDate(t *testing.T) {
	want := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	// RFC 9110 §5.6.7's three forms of one date.
	for _, v := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
		" Sun, 06 Nov 1994 08:49:37 GMT ",
	} {
		got, ok := parseHTTPDate([]byte(v))
		if !ok || !got.Equal(want) {
			t.Errorf("parseHTTPDate(%q) = %v, %v; want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "1994-11-06T08:49:37Z", "Sun, 06 Nov 1994 25:49:37 GMT"} {
		if got, ok := parseHTTPDate([]byte(v)); ok {
			t.Errorf("parseHTTPDate(%q) = %v, want failure", v, got)
		}
	}
	if got := string(appendHTTPDate(nil, want.In(time.FixedZone("X", 3600)))); got != "Sun, 06 Nov 1994 08:49:37 GMT" {
		t.Errorf("appendHTTPDate = %q", got)
	}
}

func TestTypeByExtension(t *testing.T) {
	for name, want := range map[string]string{
		"index.html":           "text/html; charset=utf-8",
		"a/b/INDEX.HTM":        "text/html; charset=utf-8",
		"site.css":             "text/css; charset=utf-8",
		"app.js":               "text/javascript; charset=utf-8",
		"mod.mjs":              "text/javascript; charset=utf-8",
		"data.json":            "application/json",
		"app.js.map":           "application/json",
		"logo.svg":             "image/svg+xml",
		"a.png":                "image/png",
		"a.JPG":                "image/jpeg",
		"a.jpeg":               "image/jpeg",
		"a.gif":                "image/gif",
		"a.webp":               "image/webp",
		"favicon.ico":          "image/x-icon",
		"notes.txt":            "text/plain; charset=utf-8",
		"feed.xml":             "text/xml; charset=utf-8",
		"doc.pdf":              "application/pdf",
		"main.wasm":            "application/wasm",
		"f.woff":               "font/woff",
		"f.woff2":              "font/woff2",
		"v.mp4":                "video/mp4",
		"v.webm":               "video/webm",
		"s.mp3":                "audio/mpeg",
		"s.wav":                "audio/wav",
		"t.csv":                "text/csv; charset=utf-8",
		"x.gz":                 "application/gzip",
		"README":               "application/octet-stream",
		"a.unknown":            "application/octet-stream",
		"dir.d/file":           "application/octet-stream",
		"trailing.":            "application/octet-stream",
		".html":                "text/html; charset=utf-8",
		"a.tar.gz":             "application/gzip",
		"manifest.webmanifest": "application/manifest+json",
	} {
		if got := TypeByExtension(name); got != want {
			t.Errorf("TypeByExtension(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestIfRangeMatches(t *testing.T) {
	const tag = `"abc"`
	mod := time.Date(2024, 5, 8, 7, 8, 9, 500, time.UTC) // a Wednesday
	now := mod.Add(time.Hour)
	for _, tc := range []struct {
		v    string
		mod  time.Time
		now  time.Time
		want bool
	}{
		{`"abc"`, mod, now, true},
		{` "abc" `, mod, now, true},
		{`W/"abc"`, mod, now, false}, // §13.1.5: strong comparison
		{`"x"`, mod, now, false},
		{"Wed, 08 May 2024 07:08:09 GMT", mod, now, true},
		{"Wednesday, 08-May-24 07:08:09 GMT", mod, now, true},
		{"Wed May  8 07:08:09 2024", mod, now, true},
		{"Wed, 08 May 2024 07:08:10 GMT", mod, now, false}, // exact match only
		{"Wed, 08 May 2024 07:08:08 GMT", mod, now, false},
		{"Wed, 08 May 2024 07:08:09 GMT", mod, mod.Add(time.Second / 2), false}, // §8.8.2.2: weak when that recent
		{"Wed, 08 May 2024 07:08:09 GMT", time.Time{}, now, false},              // no modification time
		{"yesterday", mod, now, false},
		{"", mod, now, false},
	} {
		if got := ifRangeMatches([]byte(tc.v), tag, tc.mod, tc.now); got != tc.want {
			t.Errorf("ifRangeMatches(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
