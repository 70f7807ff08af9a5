package biplane

import "strconv"

// A ProtocolError is a request the server refuses: malformed, over a limit,
// or asking for something it does not implement. Status is the response
// status the server answers with before it closes the connection.
type ProtocolError struct {
	Status int    // 400, 408, 413, 414, 417, 431, 501 or 505
	Reason string // what was wrong, e.g. "invalid header field name"
	Input  string // up to 32 bytes of the offending input, if any
}

// Error returns "biplane: <status> <reason>", followed by the offending
// input, quoted.
func (e *ProtocolError) Error() string {
	s := "biplane: " + strconv.Itoa(e.Status) + " " + e.Reason
	if e.Input != "" {
		s += ": " + strconv.Quote(e.Input)
	}
	return s
}

// protoErr returns a ProtocolError quoting at most 32 bytes of input.
func protoErr(status int, reason string, input []byte) *ProtocolError {
	if len(input) > 32 {
		input = input[:32]
	}
	return &ProtocolError{Status: status, Reason: reason, Input: string(input)}
}

// StatusCode returns e.Status: the status the server answers with.
func (e *ProtocolError) StatusCode() int { return e.Status }
