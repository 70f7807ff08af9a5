package biplane

import (
	"strconv"
)

// A Response is what a [Handler] answers with. The server adds the status
// line, Content-Length, Connection and Date; the handler supplies the rest.
type Response struct {
	// Status is the status code. If zero, 200 is used. 1xx codes other
	// than 101 are not final responses and are refused with a 500.
	Status int

	// ContentType is the Content-Type field's value, if not empty.
	ContentType string

	// Header holds further header fields. The server owns Content-Length,
	// Transfer-Encoding and Date; a handler that sets them, or a field
	// whose name is not a token or whose value holds CR, LF or NUL,
	// gets a 500 instead of a corrupted response. "Connection: close"
	// is honoured: the connection closes after the response.
	Header []Field

	// Body is the content. It is written as it is, without a copy where it
	// does not fit in the write buffer, so it must stay unchanged until the
	// response is sent: a slice of static data or of the request's body
	// is fine, a buffer the handler reuses is not. Not sent for HEAD
	// requests or statuses that have no content (1xx, 204, 304).
	Body []byte
}

// A Field is one response header field.
type Field struct {
	Name, Value string
}

// statusText holds the reason phrases of RFC 9110 §15 and RFC 6585.
var statusText = map[int]string{
	100: "Continue", 101: "Switching Protocols",
	200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
	204: "No Content", 205: "Reset Content", 206: "Partial Content",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
	407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
	410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
	414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
	417: "Expectation Failed", 421: "Misdirected Request", 422: "Unprocessable Content",
	426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
	511: "Network Authentication Required",
}

// StatusText returns the reason phrase for code, or "" if it is unknown.
func StatusText(code int) string { return statusText[code] }

// AppendStatusLine appends an HTTP/1.1 status line for code, CRLF included,
// to dst (RFC 9112 §4). An unknown code gets an empty reason phrase.
func AppendStatusLine(dst []byte, code int) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	dst = append(dst, statusText[code]...)
	return append(dst, "\r\n"...)
}

// AppendField appends "name: value" and CRLF to dst. It does not validate
// its input; see [ValidField].
func AppendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// ValidField reports whether name is a token and value holds only
// field-vchar, SP and HTAB (RFC 9110 §5.1, §5.5), so that writing the field
// cannot split the response.
func ValidField(name, value string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if chars[name[i]]&cToken == 0 {
			return false
		}
	}
	for i := 0; i < len(value); i++ {
		if chars[value[i]]&cValue == 0 {
			return false
		}
	}
	return true
}

// bodyless reports whether responses with this status carry no content
// and no Content-Length (RFC 9110 §6.4.1, §8.6).
func bodyless(status int) bool {
	return status < 200 || status == 204 || status == 304
}
