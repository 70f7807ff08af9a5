package web

import (
	"errors"
	"strconv"

	"github.com/biplane-go/biplane"
)

// An Error is a request that a helper refuses, with the status to answer
// it with.
type Error struct {
	Status int    // 400, 413 or 415
	Reason string // what was wrong, e.g. `Content-Type "text/plain" is not JSON`
	Err    error  // the underlying error, if any (a *json.SyntaxError, say)
}

// Error returns "web: <status> <reason>", followed by the underlying error.
func (e *Error) Error() string {
	s := "web: " + strconv.Itoa(e.Status) + " " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func refuse(status int, reason string, err error) *Error {
	return &Error{Status: status, Reason: reason, Err: err}
}

// ErrorResponse returns a plain-text response for err: if err is or wraps
// an [*Error], with its status and reason (and the underlying error, which
// says where a JSON body went wrong); otherwise 500, without err's text,
// which may hold details meant for the server's log only.
func ErrorResponse(err error) biplane.Response {
	var e *Error
	if !errors.As(err, &e) {
		return biplane.Response{Status: 500, ContentType: textPlain, Body: []byte("500 Internal Server Error\n")}
	}
	body := strconv.Itoa(e.Status) + " " + biplane.StatusText(e.Status) + ": " + e.Reason
	if e.Err != nil {
		body += ": " + e.Err.Error()
	}
	return biplane.Response{Status: e.Status, ContentType: textPlain, Body: []byte(body + "\n")}
}

const textPlain = "text/plain; charset=utf-8"

// StatusCode returns e.Status. The core answers a [biplane.Receiver]'s
// error with the status of an error that has this method.
func (e *Error) StatusCode() int { return e.Status }
