package web

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// DecodeJSON decodes the request's JSON body into v, with the default
// [JSONDecoder]: see its Decode method for the rules.
func DecodeJSON(r *biplane.Request, v any) error { return JSONDecoder{}.Decode(r, v) }

// A JSONDecoder decodes JSON request bodies. The zero value is ready to
// use.
type JSONDecoder struct {
	// MaxBytes bounds the body. If zero, the core's
	// [biplane.Limits].MaxBodyBytes is the only bound.
	MaxBytes int

	// DisallowUnknownFields refuses an object key that matches no field
	// of the struct decoded into, as [json.Decoder.DisallowUnknownFields].
	DisallowUnknownFields bool
}

// Decode decodes the request body, which must be exactly one JSON value
// (RFC 8259 §2) and nothing after it but whitespace, into v. It refuses,
// with an [*Error]:
//
//   - a Content-Type other than application/json or a type ending in
//     "+json" (RFC 6839 §3.1), or none, with 415;
//   - a body over MaxBytes with 413, before decoding it;
//   - an empty body, invalid JSON, a value that does not fit v, an
//     unknown field when DisallowUnknownFields is set, or anything but
//     whitespace after the value, with 400; the *Error wraps
//     encoding/json's error where there is one.
func (d JSONDecoder) Decode(r *biplane.Request, v any) error {
	ct := r.Header("Content-Type")
	if !isJSON(ct) {
		return refuse(415, "Content-Type "+strconv.Quote(string(ct))+" is not JSON", nil)
	}
	body := r.Body()
	if d.MaxBytes > 0 && len(body) > d.MaxBytes {
		return refuse(413, "JSON body of "+strconv.Itoa(len(body))+" bytes is over the limit of "+strconv.Itoa(d.MaxBytes), nil)
	}
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return refuse(400, "empty JSON body", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if d.DisallowUnknownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return refuse(400, "invalid JSON body", err)
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return refuse(400, "JSON body has more after its value", nil)
	}
	return nil
}

// isJSON reports whether ct is application/json or a structured syntax
// suffix type ending in "+json" (RFC 6839 §3.1), such as
// application/problem+json.
func isJSON(ct []byte) bool {
	mt := mediaType(ct)
	if ascii.EqualFold(mt, "application/json") {
		return true
	}
	slash := bytes.IndexByte(mt, '/')
	// A suffix needs a name before it: "application/+json" is not one.
	return slash > 0 && len(mt) > slash+1+len("+json") && ascii.EqualFold(mt[len(mt)-len("+json"):], "+json")
}

// JSON returns a response with status and v encoded as JSON, with
// Content-Type application/json (RFC 8259 §11: no charset parameter;
// JSON is UTF-8) and a final newline. If v cannot be encoded (a channel,
// a cycle, a failing MarshalJSON), the response is a plain 500 instead.
// (TinyGo on WebAssembly has no recover(), which encoding/json uses to
// report such errors: there they abort the program. Encode only types
// that always encode: structs, maps with string keys, slices, numbers
// other than NaN and infinities.)
func JSON(status int, v any) biplane.Response {
	b, err := json.Marshal(v)
	if err != nil {
		return biplane.Response{Status: 500, ContentType: textPlain, Body: []byte("500 Internal Server Error\n")}
	}
	return biplane.Response{Status: status, ContentType: "application/json", Body: append(b, '\n')}
}
