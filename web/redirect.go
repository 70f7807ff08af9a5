package web

import (
	"html"
	"strconv"

	"github.com/biplane-go/biplane"
)

// Redirect returns a redirect to location with status 301, 302, 303, 307
// or 308 (RFC 9110 §15.4); any other status is a programming error, and
// panics. Location is a URI reference (RFC 9110 §10.2.2), relative ones
// being resolved by the client against the request's URI. Bytes outside
// ASCII and spaces are percent-encoded, as browsers do; a location with a
// control character (CR, LF, NUL, …) cannot be sent in a field and gets a
// 500 instead, so a location built from request data cannot split the
// response. Where location comes from the client (a "?next=" parameter),
// checking that it stays on your site is yours to do.
//
// The body is a short HTML note linking to the location, as RFC 9110 §15.4
// suggests and net/http sends; a HEAD response leaves it out.
func Redirect(status int, location string) biplane.Response {
	switch status {
	case 301, 302, 303, 307, 308:
	default:
		panic("web: Redirect with status " + strconv.Itoa(status) + ", not 301, 302, 303, 307 or 308")
	}
	loc, ok := escapeLocation(location)
	if !ok {
		return biplane.Response{Status: 500, ContentType: textPlain, Body: []byte("500 Internal Server Error\n")}
	}
	body := `<a href="` + html.EscapeString(loc) + `">` + biplane.StatusText(status) + "</a>.\n"
	return biplane.Response{
		Status:      status,
		ContentType: "text/html; charset=utf-8",
		Header:      []biplane.Field{{Name: "Location", Value: loc}},
		Body:        []byte(body),
	}
}

// escapeLocation percent-encodes bytes above 0x7E and spaces, and reports
// false for control characters.
func escapeLocation(s string) (string, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return "", false
		case c == ' ' || c > 0x7f:
			n++
		}
	}
	if n == 0 {
		return s, true
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c > 0x7f {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b), true
}
