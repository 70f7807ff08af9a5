package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// BasicAuth returns a handler that calls next only for requests with
// Basic credentials (RFC 7617) that check accepts, and answers the rest
// 401 with `WWW-Authenticate: Basic realm="<realm>", charset="UTF-8"`
// (RFC 7617 §2, §2.1; RFC 9110 §11.6.1), so that browsers ask for a user
// name and password. Missing, malformed or repeated Authorization fields,
// another scheme, and rejected credentials all get the 401.
//
// check runs on the loop for every request, so it must not block. It
// should compare in constant time, so that timing does not reveal how
// much of a password was right: see [CheckUser]. Basic sends the password
// in clear: use it only over TLS (a proxy in front) or on a trusted link.
// A realm holding a control character is a programming error, and panics.
//
// The handler is a [biplane.HeadHandler]: a request with a body is
// checked on its head, so a refused client's body is never read and it
// gets no "100 Continue"; an accepted one goes on to next's RespondHead
// if next is a HeadHandler too (a route that streams its body), else its
// body is buffered and next's Respond called as usual.
func BasicAuth(realm string, check func(user, pass string) bool, next biplane.Handler) biplane.Handler {
	q, ok := quote(realm)
	if !ok {
		panic("web: BasicAuth realm holds a control character")
	}
	challenge := []biplane.Field{{Name: "WWW-Authenticate", Value: "Basic realm=" + q + `, charset="UTF-8"`}}
	return guard{next: next, refuse: func(r *biplane.Request) (biplane.Response, bool) {
		if user, pass, ok := BasicCredentials(r); ok && check(user, pass) {
			return biplane.Response{}, false
		}
		return biplane.Response{Status: 401, ContentType: textPlain, Header: challenge[:1:1], Body: unauthorized}, true
	}}
}

// A guard is a handler that refuses some requests and passes the rest to
// next, on the head where the server offers it (see BasicAuth).
type guard struct {
	next   biplane.Handler
	refuse func(r *biplane.Request) (biplane.Response, bool)
}

// Respond answers r with the refusal, or passes it to next.
func (g guard) Respond(r *biplane.Request) biplane.Response {
	if resp, refused := g.refuse(r); refused {
		return resp
	}
	return g.next.Respond(r)
}

// RespondHead answers r's head with the refusal, or passes it to next's
// RespondHead, or lets the body be buffered.
func (g guard) RespondHead(r *biplane.Request) (biplane.Response, bool) {
	if resp, refused := g.refuse(r); refused {
		return resp, true
	}
	if hh, ok := g.next.(biplane.HeadHandler); ok {
		return hh.RespondHead(r)
	}
	return biplane.Response{}, false
}

var (
	unauthorized = []byte("401 Unauthorized\n")
	badRequest   = []byte("400 Bad Request\n")
)

// BasicCredentials returns the user name and password of the request's
// Basic credentials (RFC 7617 §2): one Authorization field whose scheme
// is "Basic" in any case (RFC 9110 §11.1), then a base64 (RFC 4648 §4,
// padded) encoding of user-id ":" password. The user name ends at the
// first colon; the password may hold colons.
func BasicCredentials(r *biplane.Request) (user, pass string, ok bool) {
	v, n := authorization(r)
	if n != 1 {
		return "", "", false
	}
	return parseBasic(v)
}

// parseBasic parses an Authorization value holding Basic credentials.
func parseBasic(v []byte) (user, pass string, ok bool) {
	scheme, cred, ok := parseAuthorization(v)
	if !ok || !ascii.EqualFold(scheme, "basic") || !isToken68(cred) {
		return "", "", false
	}
	var buf [128]byte
	dst := buf[:]
	if n := base64.StdEncoding.DecodedLen(len(cred)); n > len(dst) {
		dst = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(dst, cred)
	if err != nil {
		return "", "", false
	}
	dst = dst[:n]
	for i, c := range dst {
		if c == ':' {
			return string(dst[:i]), string(dst[i+1:]), true
		}
	}
	return "", "", false // RFC 7617 §2: the colon is required
}

// BearerAuth returns a handler that calls next only for requests with a
// Bearer token (RFC 6750 §2.1) that check accepts. It answers the rest as
// RFC 6750 §3 and §3.1 say:
//
//   - no Authorization field, or another scheme: 401 with
//     "WWW-Authenticate: Bearer", no error code;
//   - a Bearer field without a token, or with one that is not token68
//     syntax, or repeated Authorization fields: 400 with
//     `WWW-Authenticate: Bearer error="invalid_request"`;
//   - a token that check rejects: 401 with
//     `WWW-Authenticate: Bearer error="invalid_token"`.
//
// check runs on the loop, so it must not block, and should compare in
// constant time: see [CheckToken]. Tokens are taken from the
// Authorization field only, not from a form body or the query (RFC 6750
// §2.2, §2.3).
//
// Like [BasicAuth]'s, the handler checks a request with a body on its
// head, before the body is read.
func BearerAuth(check func(token string) bool, next biplane.Handler) biplane.Handler {
	return guard{next: next, refuse: func(r *biplane.Request) (biplane.Response, bool) {
		v, n := authorization(r)
		if n == 0 {
			return bearerRefusal(401, bearerNone), true
		}
		if n > 1 {
			return bearerRefusal(400, bearerInvalidRequest), true
		}
		scheme, token, ok := parseAuthorization(v)
		switch {
		case !ok:
			return bearerRefusal(400, bearerInvalidRequest), true
		case !ascii.EqualFold(scheme, "bearer"):
			return bearerRefusal(401, bearerNone), true
		case !isToken68(token):
			return bearerRefusal(400, bearerInvalidRequest), true
		case !check(string(token)):
			return bearerRefusal(401, bearerInvalidToken), true
		}
		return biplane.Response{}, false
	}}
}

var (
	bearerNone           = []biplane.Field{{Name: "WWW-Authenticate", Value: "Bearer"}}
	bearerInvalidRequest = []biplane.Field{{Name: "WWW-Authenticate", Value: `Bearer error="invalid_request"`}}
	bearerInvalidToken   = []biplane.Field{{Name: "WWW-Authenticate", Value: `Bearer error="invalid_token"`}}
)

func bearerRefusal(status int, challenge []biplane.Field) biplane.Response {
	body := unauthorized
	if status == 400 {
		body = badRequest
	}
	return biplane.Response{Status: status, ContentType: textPlain, Header: challenge[:1:1], Body: body}
}

// BearerToken returns the request's Bearer token (RFC 6750 §2.1): that of
// its one Authorization field, if its scheme is "Bearer" in any case and
// the token has token68 syntax.
func BearerToken(r *biplane.Request) (string, bool) {
	v, n := authorization(r)
	if n != 1 {
		return "", false
	}
	scheme, token, ok := parseAuthorization(v)
	if !ok || !ascii.EqualFold(scheme, "bearer") || !isToken68(token) {
		return "", false
	}
	return string(token), true
}

// CheckUser returns a check for [BasicAuth] that accepts exactly user and
// pass. It compares SHA-256 digests in constant time, both of them every
// time, so that neither a prefix nor the length of either leaks through
// timing.
func CheckUser(user, pass string) func(user, pass string) bool {
	wantUser, wantPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	return func(user, pass string) bool {
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		return subtle.ConstantTimeCompare(u[:], wantUser[:])&subtle.ConstantTimeCompare(p[:], wantPass[:]) == 1
	}
}

// CheckToken returns a check for [BearerAuth] that accepts exactly token,
// compared as [CheckUser] does.
func CheckToken(token string) func(token string) bool {
	want := sha256.Sum256([]byte(token))
	return func(token string) bool {
		got := sha256.Sum256([]byte(token))
		return subtle.ConstantTimeCompare(got[:], want[:]) == 1
	}
}

// authorization returns the first Authorization field's value and how many
// there are: the field is not a list (RFC 9110 §11.6.2), so more than one
// is ambiguous, and refused.
func authorization(r *biplane.Request) (v []byte, n int) {
	for name, value := range r.Headers() {
		if ascii.EqualFold(name, "authorization") {
			if n == 0 {
				v = value
			}
			n++
		}
	}
	return v, n
}

// parseAuthorization splits credentials = auth-scheme [ 1*SP ( token68 /
// #auth-param ) ] (RFC 9110 §11.4) into the scheme and what follows it.
// The core has already trimmed whitespace around the field's value.
func parseAuthorization(v []byte) (scheme, rest []byte, ok bool) {
	i := 0
	for i < len(v) && ascii.IsTokenChar(v[i]) {
		i++
	}
	if i == 0 || i < len(v) && v[i] != ' ' {
		return nil, nil, false
	}
	scheme = v[:i]
	for i < len(v) && v[i] == ' ' {
		i++
	}
	return scheme, v[i:], true
}

// isToken68 reports whether b is token68 = 1*( ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/" ) *"=" (RFC 9110 §11.2), the syntax of Basic
// credentials and of a Bearer token (RFC 6750 §2.1's b64token).
func isToken68(b []byte) bool {
	i := 0
	for i < len(b) && (isAlnum(b[i]) || b[i] == '-' || b[i] == '.' || b[i] == '_' || b[i] == '~' || b[i] == '+' || b[i] == '/') {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(b) && b[i] == '=' {
		i++
	}
	return i == len(b)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// quote returns s as a quoted-string (RFC 9110 §5.6.4), escaping '"' and
// '\'. It reports false if s holds a control character other than HTAB.
func quote(s string) (string, bool) {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 && c != '\t' || c == 0x7f:
			return "", false
		case c == '"' || c == '\\':
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return string(append(b, '"')), true
}
