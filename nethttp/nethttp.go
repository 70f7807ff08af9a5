package nethttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/biplane-go/biplane"
)

// DefaultMaxResponseBytes is the largest response body an [Adapter] buffers
// when its MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 1 << 20

// ErrResponseTooLarge is returned by the ResponseWriter's Write once the
// body passes [Adapter].MaxResponseBytes; the client is then answered 500.
var ErrResponseTooLarge = errors.New("nethttp: response body larger than MaxResponseBytes")

// An Adapter is a [biplane.Handler] that runs an [http.Handler] on the
// server's loop. Its fields are read on every request; set them before
// serving.
type Adapter struct {
	// Handler is the net/http handler to run. Required.
	Handler http.Handler

	// MaxResponseBytes bounds the response body held in memory. A handler
	// that writes more gets [ErrResponseTooLarge] from Write, and the
	// client a 500 (nothing has been sent yet: the response is buffered
	// whole). For HEAD requests the bound applies to the length the body
	// would have, so that HEAD and GET agree. If zero,
	// [DefaultMaxResponseBytes] is used.
	MaxResponseBytes int

	// BaseContext, if not nil, is the parent of every request's context;
	// else context.Background is. Each request's context is canceled when
	// ServeHTTP returns, as with net/http.
	BaseContext context.Context
}

// Handler returns an [Adapter] running h with the default settings.
func Handler(h http.Handler) biplane.Handler { return &Adapter{Handler: h} }

// HandlerFunc returns an [Adapter] running f with the default settings.
func HandlerFunc(f func(http.ResponseWriter, *http.Request)) biplane.Handler {
	return &Adapter{Handler: http.HandlerFunc(f)}
}

var (
	textPlain      = "text/plain; charset=utf-8"
	badRequestBody = []byte("400 bad request: request target not understood by net/url\n")
	tooLargeBody   = []byte("500 internal server error: response larger than MaxResponseBytes\n")
	lengthBody     = []byte("500 internal server error: body length differs from the handler's Content-Length\n")
)

// Respond builds an [*http.Request] from r, runs a.Handler, and returns
// what it wrote. The request has, as net/http's server gives them:
//
//   - Method, RequestURI (the target as received), URL from
//     [url.ParseRequestURI] (a target it refuses is answered 400), Proto,
//     ProtoMajor and ProtoMinor.
//   - Header, with keys in canonical form, every field and value in the
//     order received; Host and Transfer-Encoding move out of Header to the
//     Host and TransferEncoding fields (the authority of an absolute-form
//     target wins over Host).
//   - ContentLength, the body's length, known also for a chunked body
//     (TransferEncoding is then ["chunked"]); Body, a reader over the
//     complete body ([http.NoBody] when empty), which reads nothing once
//     ServeHTTP has returned.
//   - RemoteAddr, the peer as "ip:port" ("[ip]:port" for IPv6), or "" when
//     the transport has no address; Close; TLS nil.
//   - A context canceled when ServeHTTP returns. It does not hold
//     [http.ServerContextKey] or [http.LocalAddrContextKey].
//   - Pattern and path values ([http.Request.PathValue]) from a
//     [biplane.Mux] pattern that routed to the adapter, so
//     mux.Handle("GET /items/{id}", adapter) works; an [http.ServeMux]
//     inside replaces both with its own.
//
// The response is built as net/http's would be, with these differences:
// the core writes Content-Length (from the bytes written), Date and
// Connection itself, so a handler's Date and Transfer-Encoding fields are
// dropped, while "Connection: close" closes the connection after the
// response. A Content-Length the handler sets must match what it writes:
// writing more makes Write return [http.ErrContentLength], and either
// mismatch answers 500. On HEAD it is sent as it is (the length the GET
// would have), and a HEAD handler that neither writes nor sets it gets no
// Content-Length. Without a Content-Type the body's first 512 bytes are
// sniffed with [http.DetectContentType]. Field names that are not tokens
// are dropped and CR or LF in values become spaces, as net/http does;
// other control bytes in a value make the core answer 500.
func (a *Adapter) Respond(r *biplane.Request) biplane.Response {
	uri, hdr, host := strs(r)
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return biplane.Response{Status: 400, ContentType: textPlain, Body: badRequestBody}
	}
	if u.Host != "" {
		host = u.Host // absolute-form: the target's authority wins (RFC 9112 §3.2.2)
	}
	parent := a.BaseContext
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var empty http.Request
	req := empty.WithContext(ctx)

	method := r.Method()
	req.Method = method
	req.URL = u
	req.RequestURI = uri
	req.Proto, req.ProtoMajor, req.ProtoMinor = r.Proto(), 1, 1
	if req.Proto == "HTTP/1.0" {
		req.ProtoMinor = 0
	}
	req.Header = hdr
	req.Host = host
	req.ContentLength = r.ContentLength()
	if r.Chunked() {
		req.TransferEncoding = []string{"chunked"}
	}
	req.Close = r.Close()
	if ap := r.RemoteAddr(); ap.IsValid() {
		req.RemoteAddr = ap.String()
	}
	if p := r.Pattern(); p != "" {
		req.Pattern = p
		setPathValues(req, r, p)
	}

	max := a.MaxResponseBytes
	if max <= 0 {
		max = DefaultMaxResponseBytes
	}
	// One allocation for the body reader and the writer.
	ex := &exchange{
		body: requestBody{b: r.Body()},
		w:    responseWriter{max: max, head: method == "HEAD", declared: -1},
	}
	defer ex.body.expire()
	if len(ex.body.b) == 0 {
		req.Body = http.NoBody
	} else {
		req.Body = &ex.body
	}
	a.Handler.ServeHTTP(&ex.w, req)
	return ex.w.response()
}

// An exchange is the adapter's per-request state.
type exchange struct {
	body requestBody
	w    responseWriter
}

// strs returns r's target, its header fields as an http.Header, and the
// Host field's value. They all share one string, and all single values one
// slice, so a request with n fields costs a handful of allocations rather
// than 2n.
func strs(r *biplane.Request) (target string, h http.Header, host string) {
	n, size := 0, len(r.Target())
	for name, value := range r.Headers() {
		n++
		size += len(name) + len(value)
	}
	var sb strings.Builder
	sb.Grow(size)
	sb.Write(r.Target())
	for name, value := range r.Headers() {
		canonicalInto(&sb, name)
		sb.Write(value)
	}
	all := sb.String()
	target = all[:len(r.Target())]
	h = make(http.Header, n)
	slab := make([]string, n)
	off, i := len(target), 0
	for name, value := range r.Headers() {
		key := all[off : off+len(name)]
		v := all[off+len(name) : off+len(name)+len(value)]
		off += len(name) + len(value)
		switch key {
		case "Host":
			host = v // net/http moves it to Request.Host
			continue
		case "Transfer-Encoding":
			continue // net/http moves it to Request.TransferEncoding
		}
		if vs, ok := h[key]; ok {
			h[key] = append(vs, v)
			continue
		}
		slab[i] = v
		h[key] = slab[i : i+1 : i+1] // an append copies instead of overwriting the next
		i++
	}
	return target, h, host
}

// canonicalInto writes name in the canonical form of
// [http.CanonicalHeaderKey]: upper case first and after each hyphen, lower
// case elsewhere. The core has already checked that name is a token.
func canonicalInto(sb *strings.Builder, name []byte) {
	upper := true
	for _, c := range name {
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		sb.WriteByte(c)
		upper = c == '-'
	}
}

// setPathValues gives req the values of the wildcards in the biplane Mux
// pattern p that routed r here.
func setPathValues(req *http.Request, r *biplane.Request, p string) {
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return
		}
		name := strings.TrimSuffix(p[i+1:i+j], "...")
		if name != "$" {
			req.SetPathValue(name, r.PathValue(name))
		}
		p = p[i+j+1:]
	}
}

// requestBody reads the complete request body, a view into the
// connection's buffer. It is expired when ServeHTTP returns, so that a
// goroutine that kept it reads an error, not the next request's bytes.
type requestBody struct {
	b      []byte
	off    int
	closed bool
}

var errBodyExpired = errors.New("nethttp: request body read after ServeHTTP returned")

func (b *requestBody) Read(p []byte) (int, error) {
	if b.closed {
		if b.b == nil {
			return 0, errBodyExpired
		}
		return 0, http.ErrBodyReadAfterClose
	}
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

// WriteTo lets io.Copy skip an intermediate buffer.
func (b *requestBody) WriteTo(w io.Writer) (int64, error) {
	if b.closed {
		_, err := b.Read(nil)
		return 0, err
	}
	n, err := w.Write(b.b[b.off:])
	b.off += n
	return int64(n), err
}

func (b *requestBody) Close() error {
	b.closed = true
	return nil
}

func (b *requestBody) expire() { b.b, b.closed = nil, true }

// bodyless reports whether a response with this status has no content
// (RFC 9110 §6.4.1): 1xx, 204 and 304.
func bodyless(status int) bool { return status < 200 || status == 204 || status == 304 }

// responseWriter buffers a response in memory, up to max body bytes.
type responseWriter struct {
	h           http.Header
	fields      []biplane.Field // the header as it was at WriteHeader
	status      int
	wroteHeader bool
	head        bool  // a HEAD request: count the body, keep only what sniffing needs
	declared    int64 // the handler's Content-Length, or -1
	haveType    bool  // Content-Type present (even empty) at WriteHeader: no sniffing
	encoded     bool  // Content-Encoding set: no sniffing (as net/http, issue 31753)
	written     int64
	buf         []byte
	max         int
	err         error // sticky: ErrResponseTooLarge or http.ErrContentLength
}

// Header implements [http.ResponseWriter].
func (w *responseWriter) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header)
	}
	return w.h
}

// WriteHeader implements [http.ResponseWriter]. As with net/http, a code
// outside 100–999 panics, a second final status is ignored, and the header
// map is captured now: changes after it do not count.
func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("nethttp: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 && code != 101 {
		return // informational: nothing can be sent before the final response
	}
	w.wroteHeader, w.status = true, code
	w.fields = w.snapshot()
}

// snapshot turns the header map into the response's fields, sorted by
// name as net/http writes them, leaving out what the core owns.
func (w *responseWriter) snapshot() []biplane.Field {
	if len(w.h) == 0 {
		return nil
	}
	keys := make([]string, 0, len(w.h))
	n := 0
	for k, vs := range w.h {
		keys = append(keys, k)
		n += len(vs)
	}
	slices.Sort(keys)
	fields := make([]biplane.Field, 0, n)
	for _, k := range keys {
		vs := w.h[k]
		switch {
		case k == "Content-Length":
			if len(vs) > 0 {
				// An invalid value is dropped, as net/http does.
				if v, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64); err == nil && v >= 0 {
					w.declared = v
				}
			}
			continue
		case k == "Content-Type":
			w.haveType = true
			if w.status == 304 {
				continue // RFC 9110 §15.4.5, and net/http's suppressedHeaders304
			}
		case k == "Content-Encoding":
			w.encoded = len(vs) > 0 && vs[0] != ""
		case k == "Transfer-Encoding", k == "Date", k == "Trailer",
			strings.HasPrefix(k, http.TrailerPrefix), !validName(k):
			continue
		}
		for _, v := range vs {
			fields = append(fields, biplane.Field{Name: k, Value: cleanValue(v)})
		}
	}
	return fields
}

// validName reports whether k is a token (RFC 9110 §5.6.2).
func validName(k string) bool { return biplane.ValidField(k, "") }

var newlineToSpace = strings.NewReplacer("\r", " ", "\n", " ")

// cleanValue replaces CR and LF with spaces and trims surrounding
// whitespace, as net/http does, so that a value cannot split the response.
func cleanValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v)
	}
	return strings.Trim(v, " \t")
}

// Write implements [http.ResponseWriter] and [io.Writer].
func (w *responseWriter) Write(p []byte) (int, error) {
	if err := w.accept(len(p)); err != nil || len(p) == 0 {
		return 0, err
	}
	w.keep(p)
	return len(p), nil
}

// WriteString implements [io.StringWriter], so io.WriteString and
// fmt.Fprint need no conversion.
func (w *responseWriter) WriteString(s string) (int, error) {
	if err := w.accept(len(s)); err != nil || len(s) == 0 {
		return 0, err
	}
	if w.head {
		w.keep([]byte(s[:min(len(s), 512)]))
		return len(s), nil
	}
	w.grow(len(s))
	w.buf = append(w.buf, s...)
	return len(s), nil
}

// accept checks whether n more body bytes may be written, and counts them.
func (w *responseWriter) accept(n int) error {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	switch {
	case n == 0:
		return nil
	case bodyless(w.status):
		return http.ErrBodyNotAllowed
	case w.err != nil:
		return w.err
	}
	w.written += int64(n)
	switch {
	case w.declared >= 0 && w.written > w.declared:
		w.err = http.ErrContentLength
	case w.written > int64(w.max):
		w.err = ErrResponseTooLarge
	}
	return w.err
}

// keep appends p to the buffer; for HEAD only the first 512 bytes, which
// sniffing may need.
func (w *responseWriter) keep(p []byte) {
	if w.head {
		if len(w.buf) < 512 {
			w.buf = append(w.buf, p[:min(len(p), 512-len(w.buf))]...)
		}
		return
	}
	w.grow(len(p))
	w.buf = append(w.buf, p...)
}

// grow makes room for n more bytes, never past the bound: doubling, but
// at most to max.
func (w *responseWriter) grow(n int) {
	if w.head || len(w.buf)+n <= cap(w.buf) {
		return
	}
	c := max(2*cap(w.buf), len(w.buf)+n, 512)
	c = min(c, max(w.max, len(w.buf)+n))
	nb := make([]byte, len(w.buf), c)
	copy(nb, w.buf)
	w.buf = nb
}

// ReadFrom implements [io.ReaderFrom], so io.Copy (and http.ServeContent,
// for files) reads straight into the buffer.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.head || bodyless(w.status) || w.err != nil {
		return io.Copy(writerOnly{w}, r)
	}
	var total int64
	for {
		if len(w.buf) == cap(w.buf) {
			w.grow(1)
		}
		room := w.buf[len(w.buf):cap(w.buf)]
		// Read at most one byte past what may be written, so that the
		// bounds are noticed without reading further.
		limit := int64(w.max) - w.written
		if w.declared >= 0 {
			limit = min(limit, w.declared-w.written)
		}
		room = room[:min(int64(len(room)), max(limit, 0)+1)]
		n, err := r.Read(room)
		if n > 0 {
			if aerr := w.accept(n); aerr != nil {
				return total, aerr
			}
			w.buf = w.buf[:len(w.buf)+n]
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// writerOnly hides ReadFrom, for io.Copy's generic path.
type writerOnly struct{ io.Writer }

// emptyStream is the Stream of a HEAD response, never read: it makes the
// core send Content-Length only when the handler gave one.
type emptyStream struct{}

func (emptyStream) Read([]byte) (int, error) { return 0, io.EOF }

// response turns what the handler wrote into the biplane response.
func (w *responseWriter) response() biplane.Response {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	switch {
	case w.err == ErrResponseTooLarge:
		return biplane.Response{Status: 500, ContentType: textPlain, Body: tooLargeBody}
	case w.err != nil:
		return biplane.Response{Status: 500, ContentType: textPlain, Body: lengthBody}
	}
	resp := biplane.Response{Status: w.status, Header: w.fields}
	if bodyless(w.status) {
		return resp
	}
	if !w.haveType && !w.encoded && len(w.buf) > 0 {
		resp.ContentType = http.DetectContentType(w.buf[:min(len(w.buf), 512)])
	}
	if w.head {
		n := w.written
		if w.declared >= 0 {
			n = w.declared
		}
		switch {
		case n > int64(w.max):
			return biplane.Response{Status: 500, ContentType: textPlain, Body: tooLargeBody}
		case n > 0:
			resp.Stream, resp.Length = emptyStream{}, n
		case w.declared < 0:
			// Nothing written, no length given: the handler may just have
			// skipped the body for HEAD, so claim no length (as net/http).
			resp.Stream = emptyStream{}
		}
		return resp
	}
	if w.declared >= 0 && w.written != w.declared {
		return biplane.Response{Status: 500, ContentType: textPlain, Body: lengthBody}
	}
	resp.Body = w.buf
	return resp
}
