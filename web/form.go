package web

import (
	"net/url"
	"strconv"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// DefaultMaxFormBytes bounds a form body when ParseForm or PostForm is
// given no bound: the core's default [biplane.Limits].MaxBodyBytes.
const DefaultMaxFormBytes = biplane.DefaultMaxBodyBytes

// ParseForm returns the request's form values: those of an
// application/x-www-form-urlencoded body first, then those of the query,
// as net/http's Request.Form orders them. See [PostForm] for the body's
// rules; a malformed query is answered 400 too.
func ParseForm(r *biplane.Request, maxBytes int) (url.Values, error) {
	v, err := PostForm(r, maxBytes)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(string(r.RawQuery()))
	if err != nil {
		return nil, refuse(400, "malformed query", err)
	}
	for k, vs := range q {
		v[k] = append(v[k], vs...)
	}
	return v, nil
}

// PostForm returns the values of an application/x-www-form-urlencoded
// body (the HTML form encoding: WHATWG URL §5), never the query's. An
// empty body gives empty values whatever its Content-Type. Otherwise it
// refuses, with an [*Error]:
//
//   - another Content-Type, or none, with 415 Unsupported Media Type
//     (RFC 9110 §15.5.16); multipart/form-data is not supported;
//   - a body over maxBytes with 413 Content Too Large (RFC 9110 §15.5.14),
//     before parsing it. If maxBytes is zero or less, [DefaultMaxFormBytes]
//     is used; the core's MaxBodyBytes bounds the body in any case;
//   - a malformed body (a bad %-escape, or ';' as a separator) with 400.
func PostForm(r *biplane.Request, maxBytes int) (url.Values, error) {
	body := r.Body()
	if len(body) == 0 {
		return url.Values{}, nil
	}
	ct := r.Header("Content-Type")
	switch {
	case isMediaType(ct, "application/x-www-form-urlencoded"):
	case isMediaType(ct, "multipart/form-data"):
		return nil, refuse(415, "multipart/form-data is not supported", nil)
	default:
		return nil, refuse(415, "Content-Type "+strconv.Quote(string(ct))+" is not application/x-www-form-urlencoded", nil)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFormBytes
	}
	if len(body) > maxBytes {
		return nil, refuse(413, "form body of "+strconv.Itoa(len(body))+" bytes is over the limit of "+strconv.Itoa(maxBytes), nil)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, refuse(400, "malformed form body", err)
	}
	return v, nil
}

// isMediaType reports whether the Content-Type value ct names the media
// type want, given in lower case, whatever its parameters (RFC 9110
// §8.3.1: type and subtype are case-insensitive).
func isMediaType(ct []byte, want string) bool {
	return ascii.EqualFold(mediaType(ct), want)
}

// mediaType returns the type/subtype part of a Content-Type value: up to
// the first ';', without surrounding whitespace.
func mediaType(ct []byte) []byte {
	for i, c := range ct {
		if c == ';' {
			ct = ct[:i]
			break
		}
	}
	return ascii.TrimOWS(ct)
}
