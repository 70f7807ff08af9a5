package sse

import (
	"bytes"
	"strings"
)

// A specParser parses a text/event-stream the way HTML §9.2.5 and §9.2.6
// say a user agent does, byte by byte, so that tests can check what an
// EventSource would see. It works on bytes rather than decoded UTF-8,
// which changes nothing about the framing.
type specParser struct {
	line     []byte
	cr       bool // the previous byte was CR: an LF right after it ends no line
	first    bool // the first line has been processed (for the BOM)
	data     []byte
	typ      string
	lastID   string // the last event ID buffer
	retry    int64  // reconnection time in ms; -1 until a retry field
	events   []specEvent
	comments []string
}

// A specEvent is one dispatched event, as an EventSource's MessageEvent
// would carry it.
type specEvent struct {
	Type, Data, LastID string
	Retry              int64 // the reconnection time when it was dispatched, or -1
}

func newSpecParser() *specParser { return &specParser{retry: -1} }

// feed parses p. Lines end at CRLF, LF or CR, even when CR and LF arrive
// in different calls.
func (p *specParser) feed(b []byte) {
	for len(b) > 0 {
		if p.cr {
			p.cr = false
			if b[0] == '\n' {
				b = b[1:]
				continue
			}
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			p.line = append(p.line, b...)
			return
		}
		p.line = append(p.line, b[:i]...)
		p.cr = b[i] == '\r'
		p.processLine()
		b = b[i+1:]
	}
}

func (p *specParser) processLine() {
	line := string(p.line)
	p.line = p.line[:0]
	if !p.first {
		// §9.2.5: one leading U+FEFF BYTE ORDER MARK is ignored.
		p.first = true
		line = strings.TrimPrefix(line, "\uFEFF")
	}
	switch {
	case line == "":
		p.dispatch()
		return
	case line[0] == ':':
		p.comments = append(p.comments, strings.TrimPrefix(line[1:], " "))
		return
	}
	name, value, ok := strings.Cut(line, ":")
	if ok {
		value = strings.TrimPrefix(value, " ")
	}
	switch name {
	case "event":
		p.typ = value
	case "data":
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	case "id":
		if !strings.Contains(value, "\x00") {
			p.lastID = value
		}
	case "retry":
		if value != "" && strings.Trim(value, "0123456789") == "" {
			var n int64
			for _, d := range value {
				n = n*10 + int64(d-'0')
			}
			p.retry = n
		}
	}
}

// dispatch follows §9.2.6 "dispatch the event".
func (p *specParser) dispatch() {
	if len(p.data) == 0 {
		p.typ = ""
		return
	}
	data := strings.TrimSuffix(string(p.data), "\n")
	typ := p.typ
	if typ == "" {
		typ = "message"
	}
	p.events = append(p.events, specEvent{Type: typ, Data: data, LastID: p.lastID, Retry: p.retry})
	p.data, p.typ = p.data[:0], ""
}

// parseStream parses a whole stream.
func parseStream(s string) *specParser {
	p := newSpecParser()
	p.feed([]byte(s))
	return p
}
