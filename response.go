package biplane

import (
	"io"
	"strconv"

	"github.com/biplane-go/biplane/internal/ascii"
)

// A Response is what a [Handler] answers with. The server adds the status
// line, Content-Length, Connection and Date; the handler supplies the rest.
type Response struct {
	// Status is the status code. If zero, 200 is used. 1xx codes are not
	// final responses and are refused with a 500, except 101 together
	// with Upgrade.
	Status int

	// ContentType is the Content-Type field's value, if not empty.
	ContentType string

	// Header holds further header fields. The server owns Content-Length,
	// Transfer-Encoding and Date; a handler that sets them, or a field
	// whose name is not a token or whose value holds a control byte but tab,
	// gets a 500 instead of a corrupted response. "Connection: close"
	// is honoured: the connection closes after the response.
	Header []Field

	// Body is the content. It is written as it is, without a copy where it
	// does not fit in the write buffer, so it must stay unchanged until the
	// response is sent: a slice of static data or of the request's body
	// is fine, a buffer the handler reuses is not. Not sent for HEAD
	// requests or statuses that have no content (1xx, 204, 304).
	Body []byte

	// Stream, if not nil, is the content instead of Body, produced as the
	// connection has room for it: the server calls Read with the free
	// part of the connection's write buffer whenever the previous bytes
	// have left, so a body of any size costs no more memory than that
	// buffer. Read must not block. When it has nothing to give yet (a
	// queue of events, say) it returns [ErrWouldBlock], and the server
	// calls it again after [Wakeup.Wake]; io.EOF ends the body; any other
	// error abandons the response and closes the connection. If Stream is
	// an io.Closer, the server closes it once the response ends, sent or
	// not. A Stream is sent with Content-Length if Length says its size,
	// else chunked (RFC 9112 §7.1), or to an HTTP/1.0 client by closing
	// the connection at its end (RFC 9112 §6.3).
	Stream io.Reader

	// Length is the size of Stream in bytes, if known. Zero or negative
	// means unknown: use Body, not Stream, for a known empty body. A
	// Stream that ends before Length bytes abandons the response, and the
	// connection is closed, since its framing can no longer be kept;
	// bytes past Length are not read.
	Length int64

	// Upgrade, with Status 101, takes the connection over once the
	// response's head is sent (RFC 9110 §7.8, §15.2.2): see [Upgrade]. The
	// response must name the new protocol in its Upgrade and Connection
	// fields, and is refused with a 500 on an HTTP/1.0 request.
	Upgrade Upgrade

	// Receive, if not nil, takes the request's body instead of an answer:
	// the server hands it the body as it arrives, then sends the
	// response its Done returns (see [Receiver]). The response's other
	// fields are ignored. Returned from [HeadHandler.RespondHead], it is
	// how a route takes a body larger than memory; returned from Respond,
	// it is given the body that was buffered.
	Receive Receiver
}

// An Upgrade is the protocol a connection speaks after a 101 (Switching
// Protocols) response, such as WebSocket. The server moves bytes between
// it and the connection in the same non-blocking loop, with no HTTP
// framing:
//
//   - Write is given what the peer sent, including bytes that arrived
//     right after the request. It returns how many bytes it consumed;
//     returning fewer than len(p) with [ErrWouldBlock] keeps the rest for a
//     later call (once more bytes arrive, or after [Wakeup.Wake]); the
//     server reads more from the peer only as its read buffer has room.
//   - Read fills p with bytes to send; [ErrWouldBlock] means nothing now
//     (call [Wakeup.Wake] when there is); io.EOF closes the connection
//     once what was sent has been written, with a lingering close
//     (RFC 9112 §9.6).
//
// Once the peer has finished sending (its EOF) and Write has taken all it
// sent, the connection closes as soon as Read has nothing more. Any other
// error from either closes the connection at once. If the
// Upgrade is an io.Closer, the server closes it when the connection
// closes, whatever the reason: the peer's EOF, an error, a timeout, or the
// server's Close. A connection on which no byte moves in either direction
// for [Limits].IdleTimeout is closed; send pings to keep it open.
type Upgrade interface {
	io.Reader
	io.Writer
}

// A head is what the server decided about a response while checking it,
// for encoding its head and going on.
type head struct {
	status  int
	upgrade bool  // 101 with an Upgrade
	stream  uint8 // the Stream's framing, or 0 when the Body (or nothing) is sent
	noBody  bool  // send no content: HEAD, a bodyless status, or a Stream
	closing bool  // Connection: close
	minor   uint8
}

// checkResponse checks the handler's resp against req and decides how to
// frame it. It reports false if resp is invalid: a status out of range,
// a 1xx other than 101 with an Upgrade, an Upgrade without 101 or to an
// HTTP/1.0 request, or a header field that is malformed or one the server
// owns. resp.Stream is closed if it will not be read.
func checkResponse(req *Request, resp *Response, closing bool) (h head, ok bool) {
	h.status, h.closing, h.minor = resp.Status, closing, req.minor
	if h.status == 0 {
		h.status = 200
	}
	h.upgrade = h.status == 101
	switch {
	case h.upgrade:
		// RFC 9110 §7.8: a server that receives Upgrade in an HTTP/1.0
		// request must ignore it, so it never switches such a one.
		if resp.Upgrade == nil || req.minor == 0 {
			return h, false
		}
	case h.status < 200 || h.status > 999 || resp.Upgrade != nil:
		return h, false
	}
	for _, f := range resp.Header {
		if !ValidField(f.Name, f.Value) {
			return h, false
		}
		switch {
		case ascii.EqualFoldBoth(f.Name, "Content-Length"),
			ascii.EqualFoldBoth(f.Name, "Transfer-Encoding"),
			ascii.EqualFoldBoth(f.Name, "Date"):
			return h, false
		case ascii.EqualFoldBoth(f.Name, "Connection") && !h.upgrade:
			for e, rest := ascii.NextElement(f.Value); len(e) > 0; e, rest = ascii.NextElement(rest) {
				h.closing = h.closing || ascii.EqualFold(e, "close")
			}
		}
	}
	isHead := eqString(req.method.of(req.buf), "HEAD")
	h.noBody = isHead || bodyless(h.status)
	if resp.Stream != nil {
		if h.noBody {
			closeResponse(resp) // never read: no content for HEAD, 1xx, 204, 304
		} else {
			switch {
			case resp.Length > 0:
				h.stream = modeLength
			case req.minor == 0:
				h.stream = modeUntilClose // RFC 9112 §6.3: no chunked for HTTP/1.0
				h.closing = true
			default:
				h.stream = modeChunked
			}
		}
		h.noBody = true
	}
	return h, true
}

// appendHead appends resp's head, as h says, to w: the status line, Date
// (if date is not nil), the framing fields, Connection, the handler's
// fields, and the empty line.
func appendHead(w []byte, resp *Response, h *head, date []byte) []byte {
	w = AppendStatusLine(w, h.status)
	if date != nil {
		w = append(w, "Date: "...)
		w = append(w, date...)
		w = append(w, "\r\n"...)
	}
	if resp.ContentType != "" {
		w = AppendField(w, "Content-Type", resp.ContentType)
	}
	switch {
	case bodyless(h.status):
	case resp.Stream == nil:
		w = appendContentLength(w, int64(len(resp.Body)))
	case resp.Length > 0:
		// Also for HEAD: the length the GET would have (RFC 9110 §9.3.2).
		w = appendContentLength(w, resp.Length)
	case h.stream == modeChunked:
		w = append(w, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case h.upgrade:
		// The handler's Connection field names the upgrade (RFC 9110 §7.6.1).
	case h.closing:
		w = append(w, "Connection: close\r\n"...)
	case h.minor == 0:
		w = append(w, "Connection: keep-alive\r\n"...)
	}
	for _, f := range resp.Header {
		if h.upgrade || !ascii.EqualFoldBoth(f.Name, "Connection") {
			w = AppendField(w, f.Name, f.Value)
		}
	}
	return append(w, "\r\n"...)
}

// appendError appends the server's own answer with status, with
// Connection: close, and extra, if not empty, as further header lines. Its
// content is body, of type ct.
func appendError(w []byte, status int, ct string, body []byte, extra string, date []byte) []byte {
	w = AppendStatusLine(w, status)
	if date != nil {
		w = append(w, "Date: "...)
		w = append(w, date...)
		w = append(w, "\r\n"...)
	}
	w = append(w, extra...)
	w = AppendField(w, "Content-Type", ct)
	w = append(w, "Connection: close\r\n"...)
	w = appendContentLength(w, int64(len(body)))
	w = append(w, "\r\n"...)
	return append(w, body...)
}

// appendContentLength appends the Content-Length field for n bytes.
func appendContentLength(w []byte, n int64) []byte {
	w = append(w, "Content-Length: "...)
	if n >= 0 && n < 10000 {
		// Most bodies: four digits at most, without strconv's loop.
		switch {
		case n >= 1000:
			w = append(w, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
		case n >= 100:
			w = append(w, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
		case n >= 10:
			w = append(w, byte('0'+n/10), byte('0'+n%10))
		default:
			w = append(w, byte('0'+n))
		}
	} else {
		w = strconv.AppendInt(w, n, 10)
	}
	return append(w, "\r\n"...)
}

// WithHeader returns r with the field name: value added to its Header,
// for a short way to add fields where a Response is returned:
//
//	return web.JSON(200, v).WithHeader("Cache-Control", "no-store")
//
// It never changes the array of r's Header (a package-level slice of
// fields, say): it appends to a copy when there is no room of r's own.
func (r Response) WithHeader(name, value string) Response {
	r.Header = append(r.Header[:len(r.Header):len(r.Header)], Field{Name: name, Value: value})
	return r
}

// closeResponse closes the Stream or Upgrade of a response that will not
// be sent, if it is an io.Closer.
func closeResponse(resp *Response) {
	var r any = resp.Stream
	if resp.Upgrade != nil {
		r = resp.Upgrade
	}
	if cl, ok := r.(io.Closer); ok {
		cl.Close()
	}
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
	507: "Insufficient Storage", 511: "Network Authentication Required",
}

// StatusText returns the reason phrase for code, or "" if it is unknown.
func StatusText(code int) string { return statusText[code] }

// AppendStatusLine appends an HTTP/1.1 status line for code, CRLF included,
// to dst (RFC 9112 §4). An unknown code gets an empty reason phrase.
func AppendStatusLine(dst []byte, code int) []byte {
	// The common ones whole, without the table or a conversion.
	switch code {
	case 200:
		return append(dst, "HTTP/1.1 200 OK\r\n"...)
	case 204:
		return append(dst, "HTTP/1.1 204 No Content\r\n"...)
	case 304:
		return append(dst, "HTTP/1.1 304 Not Modified\r\n"...)
	case 404:
		return append(dst, "HTTP/1.1 404 Not Found\r\n"...)
	}
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
