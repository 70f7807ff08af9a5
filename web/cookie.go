package web

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// CookieValue returns the value of the request cookie called name, and
// whether there is one. It reads the Cookie fields as RFC 6265 §4.2.1 and
// §5.4 shape them: "name=value" pairs separated by ";" and a space (any
// spaces or tabs around a pair or its "=" are tolerated). Names are
// compared case-sensitively. When a name occurs more than once the first
// wins: user agents send cookies with longer paths first (RFC 6265 §5.4),
// so it is the most specific. One pair of double quotes around a value is
// removed. A pair whose name is not a token or whose value holds other
// than cookie-octets (RFC 6265 §4.1.1: no space, DQUOTE inside, comma,
// semicolon, backslash or control) is skipped.
//
// Parsing allocates nothing; the returned string is the one allocation,
// none when the value is empty.
func CookieValue(r *biplane.Request, name string) (string, bool) {
	if !ascii.IsToken(name) {
		return "", false
	}
	for n, v := range r.Headers() {
		if !ascii.EqualFold(n, "cookie") {
			continue
		}
		if val, ok := cookieValue(v, name); ok {
			return string(val), true
		}
	}
	return "", false
}

// cookieValue finds the first valid pair called name in a Cookie field's
// value.
func cookieValue(field []byte, name string) ([]byte, bool) {
	for len(field) > 0 {
		var pair []byte
		pair, field, _ = bytes.Cut(field, []byte(";"))
		n, v, ok := bytes.Cut(pair, []byte("="))
		if !ok {
			continue // no "=": a nameless cookie (RFC 6265bis §5.7.3), never ours
		}
		if string(ascii.TrimOWS(n)) != name {
			continue
		}
		v = ascii.TrimOWS(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if validCookieOctets(v) {
			return v, true
		}
	}
	return nil, false
}

// isCookieOctet: cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B /
// %x5D-7E (RFC 6265 §4.1.1): US-ASCII visible characters except DQUOTE,
// comma, semicolon and backslash.
func isCookieOctet(c byte) bool {
	return 0x21 <= c && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\'
}

func validCookieOctets[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if !isCookieOctet(v[i]) {
			return false
		}
	}
	return true
}

// A Cookie is a cookie to set with a Set-Cookie field: see [SetCookie].
type Cookie struct {
	Name  string // a token (RFC 9110 §5.6.2)
	Value string // cookie-octets, possibly wrapped in one pair of double quotes

	Path   string // if not empty, starts with "/"; no control characters or ";"
	Domain string // if not empty, a host name; a leading "." is dropped

	// Expires, if not zero, is when the cookie expires, at a whole
	// second, from the year 1601 on.
	Expires time.Time

	// MaxAge, if positive, is the cookie's lifetime in seconds. If
	// negative, the cookie is deleted at once ("Max-Age=0"). Zero means
	// no Max-Age attribute. Where both are sent, user agents prefer
	// Max-Age to Expires (RFC 6265 §5.3).
	MaxAge int

	Secure   bool     // only over HTTPS
	HttpOnly bool     // hidden from scripts
	SameSite SameSite // whether cross-site requests carry it
}

// SameSite is the SameSite attribute of a cookie (RFC 6265bis §4.1.2.7).
type SameSite uint8

// SameSite values. The zero value sends no attribute, leaving the user
// agent's default (Lax in current browsers).
const (
	SameSiteDefault SameSite = iota
	SameSiteLax
	SameSiteStrict
	SameSiteNone // requires Secure
)

// maxCookieBytes bounds a cookie's name and value together: user agents
// ignore larger ones (RFC 6265bis §5.6; RFC 6265 §6.1 asks them to keep
// at least 4096 bytes).
const maxCookieBytes = 4096

// SetCookie returns the Set-Cookie field (RFC 6265 §4.1) that sets c. It
// checks c against the grammar of RFC 6265 §4.1.1 rather than mending it:
// a name that is not a token, a value with other than cookie-octets (no
// spaces, commas, semicolons, backslashes or inner double quotes: encode
// such data, with base64.RawURLEncoding say), a bad path or domain, an
// Expires before 1601, a name and value over 4096 bytes, SameSite=None
// without Secure, or a "__Secure-" or "__Host-" prefix whose rules c
// breaks (RFC 6265bis §4.1.3) is an error, and no field is returned.
func SetCookie(c Cookie) (biplane.Field, error) {
	if err := c.check(); err != nil {
		return biplane.Field{}, err
	}
	domain := strings.TrimPrefix(c.Domain, ".")
	b := make([]byte, 0, len(c.Name)+len(c.Value)+len(c.Path)+len(domain)+110)
	b = append(b, c.Name...)
	b = append(b, '=')
	b = append(b, c.Value...)
	if c.Path != "" {
		b = append(b, "; Path="...)
		b = append(b, c.Path...)
	}
	if domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, domain...)
	}
	if !c.Expires.IsZero() {
		// sane-cookie-date = rfc1123-date, always in GMT (RFC 6265 §4.1.1).
		b = append(b, "; Expires="...)
		b = c.Expires.UTC().AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT")
	}
	switch {
	case c.MaxAge > 0:
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, int64(c.MaxAge), 10)
	case c.MaxAge < 0:
		// RFC 6265 §5.2.2: zero or less expires the cookie at once.
		b = append(b, "; Max-Age=0"...)
	}
	if c.HttpOnly {
		b = append(b, "; HttpOnly"...)
	}
	if c.Secure {
		b = append(b, "; Secure"...)
	}
	switch c.SameSite {
	case SameSiteLax:
		b = append(b, "; SameSite=Lax"...)
	case SameSiteStrict:
		b = append(b, "; SameSite=Strict"...)
	case SameSiteNone:
		b = append(b, "; SameSite=None"...)
	}
	return biplane.Field{Name: "Set-Cookie", Value: string(b)}, nil
}

// check reports what is wrong with c, if anything.
func (c *Cookie) check() error {
	if !ascii.IsToken(c.Name) {
		return errors.New("web: cookie name " + strconv.Quote(c.Name) + " is not a token")
	}
	v := c.Value
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if !validCookieOctets(v) {
		return errors.New("web: cookie " + c.Name + ": value " + strconv.Quote(c.Value) + " holds a byte other than a cookie-octet")
	}
	if len(c.Name)+len(c.Value) > maxCookieBytes {
		return errors.New("web: cookie " + c.Name + ": name and value are over 4096 bytes")
	}
	if c.Path != "" {
		if c.Path[0] != '/' {
			return errors.New("web: cookie " + c.Name + ": path " + strconv.Quote(c.Path) + " does not start with /")
		}
		for i := 0; i < len(c.Path); i++ {
			// path-value = <any CHAR except CTLs or ";">
			if ch := c.Path[i]; ch < 0x20 || ch >= 0x7f || ch == ';' {
				return errors.New("web: cookie " + c.Name + ": path " + strconv.Quote(c.Path) + " holds a control character, a non-ASCII byte or ;")
			}
		}
	}
	if c.Domain != "" && !validDomain(strings.TrimPrefix(c.Domain, ".")) {
		return errors.New("web: cookie " + c.Name + ": domain " + strconv.Quote(c.Domain) + " is not a host name")
	}
	if !c.Expires.IsZero() && c.Expires.UTC().Year() < 1601 {
		return errors.New("web: cookie " + c.Name + ": Expires is before 1601")
	}
	if c.SameSite > SameSiteNone {
		return errors.New("web: cookie " + c.Name + ": unknown SameSite value " + strconv.Itoa(int(c.SameSite)))
	}
	if c.SameSite == SameSiteNone && !c.Secure {
		return errors.New("web: cookie " + c.Name + ": SameSite=None without Secure is refused by browsers")
	}
	// RFC 6265bis §4.1.3: user agents check the prefixes case-insensitively.
	if hasPrefixFold(c.Name, "__secure-") && !c.Secure {
		return errors.New("web: cookie " + c.Name + ": a __Secure- cookie needs Secure")
	}
	if hasPrefixFold(c.Name, "__host-") && (!c.Secure || c.Domain != "" || c.Path != "/") {
		return errors.New("web: cookie " + c.Name + ": a __Host- cookie needs Secure, Path=/ and no Domain")
	}
	return nil
}

// validDomain reports whether d is a host name: dot-separated labels of
// letters, digits and hyphens, each 1 to 63 bytes, not starting or ending
// with a hyphen (RFC 6265 §4.1.1 domain-value: RFC 1034 §3.5 as relaxed by
// RFC 1123 §2.1), 253 bytes at most.
func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func hasPrefixFold(s, lowerPrefix string) bool {
	return len(s) >= len(lowerPrefix) && ascii.EqualFold(s[:len(lowerPrefix)], lowerPrefix)
}
