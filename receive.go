package biplane

import (
	"errors"
	"time"
)

// A Receiver takes a request body as it arrives, for a handler that
// accepted the body with [Response.Receive] instead of having it buffered.
// The server calls its methods from the loop, so none may block.
//
// Write is given each decoded piece of the body (chunked framing removed)
// straight from the connection's read buffer: p is valid only during the
// call. It returns how much it took. When it cannot take more now (a
// flash page still erasing, a queue full) it returns the count it did take
// and [ErrWouldBlock]: the server keeps the rest, stops reading from the
// connection, so that TCP flow control holds the client back, and calls
// Write again after [Wakeup.Wake]. Any other error ends the body: the
// client is answered with the error's status if it has one (a
// [*ProtocolError], or any error with a method StatusCode() int), else
// 500, and the connection is closed.
//
// Done is called once the body has arrived whole and Write has taken all
// of it. It returns the final response; [ErrWouldBlock] means it is not
// ready yet (a signature still being checked, a last page being
// written), and Done is called again after [Wakeup.Wake]. Any other error
// is answered as Write's are.
//
// Abort is called, at most once, when the body will not arrive whole: the
// client went away or sent malformed framing, the body passed its limit,
// it stalled ([Limits].RequestTimeout), Write or Done failed, the program
// closed the connection ([Wakeup.Close]), or the server closed or
// finished shutting down ([ErrServerClosed]). err says which. The
// receiver should discard what it took: nothing it received is complete.
//
// A Receiver is ended exactly once: either Done returns a response with a
// nil error, or Abort is called. After that the server calls none of its
// methods again.
type Receiver interface {
	Write(p []byte) (n int, err error)
	Done() (Response, error)
	Abort(err error)
}

// A HeadHandler is a [Handler] that sees a request as soon as its head has
// arrived, before any byte of its body is read. The server calls
// RespondHead for each request that has a body (a Content-Length above
// zero, or chunked): to refuse it at once (401, 404, 413, …), or to take
// the body as it arrives ([Response.Receive]), or, with ok false, to let
// the server read the body into memory and call Respond as for any
// Handler. [Mux] is one: it routes on the head, answers 404 and 405
// there, and asks the matched route's handler if that is a HeadHandler
// too.
//
// A response from RespondHead without Receive is sent without reading the
// body, and does not invite it: no "100 Continue" goes out (RFC 9110
// §10.1.1). The connection is then kept open only if the body is small
// enough to discard ([DrainBytes] at most, and within the request's time
// limit); otherwise it closes after the response.
type HeadHandler interface {
	Handler
	RespondHead(r *Request) (resp Response, ok bool)
}

// DrainBytes is the most body a request refused at its head may have for
// the server to read and discard it and keep the connection open. A
// larger or chunked body is not read: the connection closes after the
// response, with a lingering close.
const DrainBytes = 64 << 10

// Receive returns a [HeadHandler] for a route that takes its request
// bodies as they arrive: accept is called on each request's head (or,
// for a request without a body, as a plain handler) and returns either a
// refusal or a response whose Receive field takes the body, after setting
// the request's own limits with [Request.LimitBody] if the defaults do
// not fit.
func Receive(accept func(r *Request) Response) HeadHandler {
	return receiveFunc(accept)
}

type receiveFunc func(r *Request) Response

func (f receiveFunc) Respond(r *Request) Response { return f(r) }

func (f receiveFunc) RespondHead(r *Request) (Response, bool) { return f(r), true }

// BodyLimits are one request's own bounds on its body, set with
// [Request.LimitBody] by a [HeadHandler] on the request's head. Zero
// fields mean the server's [Limits].
type BodyLimits struct {
	// MaxBytes bounds the body: a Content-Length above it is answered 413
	// Content Too Large before any byte of the body is read (RFC 9110
	// §15.5.14); a chunked body is cut off with 413 as soon as it passes
	// it. If zero, [Limits].MaxBodyBytes is used.
	MaxBytes int64

	// MinRate is the slowest a body may arrive, in bytes per second,
	// beyond its first Timeout: see [Limits].MinBodyRate. If zero,
	// [Limits].MinBodyRate is used.
	MinRate int

	// Timeout is the longest a body may go without a byte arriving, and
	// the time it is given before MinRate starts to count. If zero,
	// [Limits].RequestTimeout is used.
	Timeout time.Duration
}

// LimitBody sets the request's own limits on its body, replacing the
// server's [Limits] for it: a firmware route may take 64 MiB while the
// rest keep the default 1 MiB. It has an effect only when called from
// [HeadHandler.RespondHead], before the body is read; a body that is
// buffered (RespondHead returned ok false) is held in memory up to the
// new MaxBytes.
func (r *Request) LimitBody(l BodyLimits) {
	if r.conn == nil || r.conn.state != stateHandler || r.conn.ex == nil {
		return
	}
	r.conn.ex.body.setLimits(l, &r.srv.lim)
}

// ErrServerClosed is the error a [Receiver] is aborted with when the
// server closes ([Server.Close], or the end of a [Server.Shutdown]'s
// timeout) before its body has arrived whole.
var ErrServerClosed = errors.New("biplane: server closed")

// ErrConnClosed is the error a [Receiver] is aborted with when the
// program closed its connection with [Wakeup.Close].
var ErrConnClosed = errors.New("biplane: connection closed by the program")

// errorStatus returns the status to answer a receiver's error with.
func errorStatus(err error) int {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		if s := sc.StatusCode(); s >= 400 && s <= 599 {
			return s
		}
	}
	return 500
}
