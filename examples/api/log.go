package main

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/biplane-go/biplane"
)

// A logger writes a Common Log Format line for every response the server
// reports to Server.OnResponse, its own refusals included, as
// examples/hello -log does.
type logger struct {
	w    *bufio.Writer
	line []byte
}

func newLogger(w io.Writer) *logger { return &logger{w: bufio.NewWriterSize(w, 4096)} }

// log writes ri as host ident authuser [date] "request line" status
// bytes, where bytes counts the whole response, head included; "-" for
// what the server did not have (a request refused before its line was
// read). Each line is written at once, a small write: a server that logs
// to a slow device should hand lines to a goroutine instead, since the
// loop must not block.
func (l *logger) log(ri *biplane.ResponseInfo) {
	b := l.line[:0]
	if ri.Remote.IsValid() {
		b = ri.Remote.Addr().AppendTo(b)
	} else {
		b = append(b, '-')
	}
	b = append(b, " - - ["...)
	b = time.Now().AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	if len(ri.Method) > 0 {
		b = append(b, ri.Method...)
		b = append(b, ' ')
		b = append(b, ri.Target...)
		b = append(b, ' ')
		b = append(b, ri.Proto...)
	} else {
		b = append(b, '-')
	}
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(ri.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, ri.Bytes, 10)
	b = append(b, '\n')
	l.w.Write(b)
	l.w.Flush()
	l.line = b
}
