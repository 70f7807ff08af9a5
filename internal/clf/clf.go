// Package clf writes a line of Common Log Format for every response a
// biplane.Server reports to its OnResponse hook, the server's own refusals
// included. examples/hello and examples/api log with it.
package clf

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/biplane-go/biplane"
)

// A Logger writes Common Log Format lines to one writer, for one loop:
// each line leaves in one Write, so lines of several loops sharing a file
// never interleave.
type Logger struct {
	w    *bufio.Writer
	line []byte
}

// New returns a Logger writing to w.
func New(w io.Writer) *Logger { return &Logger{w: bufio.NewWriterSize(w, 4096)} }

// Log writes ri as host ident authuser [date] "request line" status
// bytes, where bytes counts the whole response, head included; "-" for
// what the server did not have (a request refused before its line was
// read). Each line is written at once, a small write: a server that logs
// to a slow device should hand lines to a goroutine instead, since the
// loop must not block. Set it as Server.OnResponse.
func (l *Logger) Log(ri *biplane.ResponseInfo) {
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
