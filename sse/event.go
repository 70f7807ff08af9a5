package sse

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// An Event is one server-sent event. Every Event is dispatched to the
// client's EventSource as one message, whatever its fields hold.
type Event struct {
	// Type is the event type, sent as the "event" field if not empty:
	// EventSource hands the event to listeners of that name, and to
	// onmessage when it is empty ("message"). It must not contain CR or
	// LF, which would end the field early.
	Type string

	// ID, if not empty, is sent as the "id" field: the client keeps it as
	// its last event ID and sends it back in the Last-Event-ID header
	// when it reconnects ([Subscriber.LastEventID]). It must not contain
	// CR or LF, nor NUL, which makes clients ignore the field (HTML
	// §9.2.6).
	ID string

	// Data is the payload. Each CRLF, CR or LF in it ends a line, and each
	// line is sent as a "data" field, so the client sees Data with every
	// line ending turned into LF. Data should be UTF-8: clients decode
	// the stream as UTF-8 and show other bytes as U+FFFD; the framing is
	// safe either way. An empty Data is sent as one empty data field, so
	// the event is still dispatched.
	Data string

	// Retry, if positive, is sent as the "retry" field, in whole
	// milliseconds: how long the client waits before it reconnects after
	// the connection is lost.
	Retry time.Duration
}

// Errors of [Broker.Publish] and [Subscriber.Send]. The errors returned
// for a particular event say more, and match these with errors.Is.
var (
	// ErrInvalidEvent is an event whose Type or ID holds a byte that
	// would break the stream's framing.
	ErrInvalidEvent = errors.New("sse: invalid event")

	// ErrTooLarge is an event whose encoding does not fit in a
	// subscriber's buffer ([Broker].BufferSize). It is sent to no one.
	ErrTooLarge = errors.New("sse: event larger than the subscriber buffer")

	// ErrClosed is returned by Publish after [Broker.Close], and by Send
	// once the subscriber has left.
	ErrClosed = errors.New("sse: closed")
)

// An eventError is one of the errors above with what was wrong.
type eventError struct {
	err    error
	detail string
}

func (e *eventError) Error() string { return e.err.Error() + ": " + e.detail }
func (e *eventError) Unwrap() error { return e.err }

// AppendEvent appends ev in the text/event-stream format to dst (HTML
// §9.2.5): an "id", "event" and "retry" field as ev has them, one "data"
// field per line of Data, and the empty line that dispatches the event.
// Each field is written "name: value", so a value that begins with a
// space keeps it (the parser removes one space after the colon). If ev
// cannot be encoded, it returns dst unchanged and an error matching
// [ErrInvalidEvent].
func AppendEvent(dst []byte, ev Event) ([]byte, error) {
	if i := strings.IndexAny(ev.Type, "\r\n"); i >= 0 {
		return dst, &eventError{ErrInvalidEvent, "type " + strconv.Quote(ev.Type) + " contains a line break"}
	}
	// HTML §9.2.6: an "id" field whose value contains NUL is ignored,
	// so refuse it rather than send an ID that clients drop.
	if i := strings.IndexAny(ev.ID, "\r\n\x00"); i >= 0 {
		return dst, &eventError{ErrInvalidEvent, "id " + strconv.Quote(ev.ID) + " contains a line break or NUL"}
	}
	if ev.ID != "" {
		dst = appendField(dst, "id", ev.ID)
	}
	if ev.Type != "" {
		dst = appendField(dst, "event", ev.Type)
	}
	if ev.Retry > 0 {
		// HTML §9.2.6: only ASCII digits, a count of milliseconds.
		dst = append(dst, "retry: "...)
		dst = strconv.AppendInt(dst, ev.Retry.Milliseconds(), 10)
		dst = append(dst, '\n')
	}
	// HTML §9.2.5: a line ends at CRLF, LF or CR.
	data := ev.Data
	for {
		i := strings.IndexAny(data, "\r\n")
		if i < 0 {
			dst = appendField(dst, "data", data)
			break
		}
		dst = appendField(dst, "data", data[:i])
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n'), nil
}

// appendField appends one field line. An empty value is written without
// the space, which the parser would remove anyway.
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	if value == "" {
		return append(dst, ":\n"...)
	}
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, '\n')
}
