//go:build !tinygo

// Not built by TinyGo: net/textproto imports net, which TinyGo lacks here. See README.md, "TinyGo".

package biplane

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
)

// seedRequests seed the fuzz targets besides the parse table.
var seedRequests = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
	"POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"HEAD / HTTP/1.0\r\n\r\n",
	"PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
	"PUT /no HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"PUT /no HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), uint8(0))
	}
	for _, s := range seedRequests {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var whole Parser
		n, err := whole.Parse(data)
		// Invariants: a complete head lies within the input and ends in
		// an empty line; errors carry a 4xx or 5xx status.
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Status < 400 || pe.Status > 599 {
				t.Fatalf("error without a 4xx/5xx status: %v", err)
			}
		}
		if n > 0 && (n > len(data) || !bytes.HasSuffix(data[:n], []byte("\r\n\r\n"))) {
			t.Fatalf("head length %d does not end in an empty line", n)
		}
		// Feeding in pieces must agree with feeding whole.
		var piecewise Parser
		var n2 int
		var err2 error
		s := int(step%16) + 1
		for end := min(s, len(data)); ; end = min(end+s, len(data)) {
			n2, err2 = piecewise.Parse(data[:end])
			if err2 != nil || n2 > 0 || end == len(data) {
				break
			}
		}
		if n != n2 || (err == nil) != (err2 == nil) {
			t.Fatalf("whole: %d, %v; in pieces of %d: %d, %v", n, err, s, n2, err2)
		}
		if n > 0 {
			r := whole.Request()
			_ = r.Method()
			_ = r.Path()
			_ = r.Host()
			for range r.Headers() {
			}
		}
	})
}

func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"3;a=b;c=\"d\"\r\nabc\r\n0\r\nX: y\r\n\r\n",
		"ffffffffffffffffff\r\n",
		"1\r\nab\r\n0\r\n\r\n",
		"0\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		lim := Limits{MaxBodyBytes: 1 << 12}.withDefaults()
		var d chunkedDecoder
		s := int(step%32) + 1
		var raw []byte // undecoded bytes, passed again with more
		total := 0
		for fed := 0; ; {
			next := min(fed+s, len(data))
			raw = append(raw, data[fed:next]...)
			fed = next
			n, used, err := d.decode(raw, int64(lim.MaxBodyBytes), &lim)
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Status < 400 {
					t.Fatalf("error without a 4xx status: %v", err)
				}
				return
			}
			total += n
			raw = append(raw[:0], raw[n:used]...)
			if total > lim.MaxBodyBytes {
				t.Fatalf("decoded %d bytes past the limit %d", total, lim.MaxBodyBytes)
			}
			if !d.done() && len(raw) > maxChunkLine+lim.MaxHeaderBytes {
				t.Fatalf("holds %d undecoded bytes", len(raw))
			}
			if d.done() || fed == len(data) {
				return
			}
		}
	})
}

// FuzzConn drives a whole connection with input split at points chosen by
// the fuzzer and checks that every response is well formed, that errors
// close the connection, and that buffers stay within the limits.
func FuzzConn(f *testing.F) {
	for _, s := range seedRequests {
		f.Add([]byte(s), []byte{1, 7, 64})
	}
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), []byte{3})
	}
	f.Fuzz(func(t *testing.T, in, splits []byte) {
		sp := make([]int, len(splits))
		for i, b := range splits {
			sp[i] = int(b)
		}
		fc := &fakeConn{in: in, splits: sp, writeMax: 7}
		lim := Limits{MaxBodyBytes: 1 << 12, MaxRequestLine: 256, MaxHeaderBytes: 512, ReadBufferSize: 64, WriteBufferSize: 128}
		// Bodies go to /up's receivers, which hold back now and then and
		// answer late; /no refuses on the head; the rest echo.
		var receivers []*testReceiver
		var wakeups []Wakeup
		var mux Mux
		mux.Handle("PUT /up", Receive(func(r *Request) Response {
			rc := &testReceiver{take: 1 + len(receivers)%5, deferred: len(receivers)%2 == 1}
			receivers = append(receivers, rc)
			wakeups = append(wakeups, r.Wakeup())
			return Response{Receive: rc}
		}))
		mux.Handle("PUT /no", Receive(func(r *Request) Response { return Response{Status: 403} }))
		mux.HandleFunc("/", func(r *Request) Response {
			return Response{ContentType: "application/octet-stream", Body: r.Body()}
		})
		srv := &Server{Listener: &fakeListener{conn: fc}, Limits: lim, NoDate: true, Handler: &mux}
		maxBuf := 0
		for i := 0; srv.Step(); i++ {
			for j, rc := range receivers {
				rc.deferred = rc.deferred && i%3 != 0
				wakeups[j].Wake()
			}
			for _, c := range srv.conns {
				if c.ex != nil {
					maxBuf = max(maxBuf, len(c.ex.rbuf))
				}
			}
			if fc.closed {
				break
			}
			if i > 100000 {
				t.Fatalf("connection not finished after %d steps", i)
			}
		}
		lim = lim.withDefaults()
		if bound := 2 + lim.MaxRequestLine + lim.MaxHeaderBytes + 1 + lim.MaxBodyBytes + maxChunkLine; maxBuf > bound {
			t.Fatalf("read buffer grew to %d, bound %d", maxBuf, bound)
		}
		checkResponses(t, fc.out)
		srv.Close()
		for i, rc := range receivers {
			if rc.ended() != 1 {
				t.Fatalf("receiver %d ended %d times (done %d, aborted %v)", i, rc.ended(), rc.done, rc.aborted)
			}
		}
	})
}

// checkResponses parses a stream of responses and checks each: a valid
// status line, a Content-Length matching the body, and nothing after a
// response that says Connection: close.
func checkResponses(t *testing.T, out []byte) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(out))
	tp := textproto.NewReader(br)
	for {
		line, err := tp.ReadLine()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("reading status line: %v in %q", err, out)
		}
		proto, rest, _ := strings.Cut(line, " ")
		code, _, _ := strings.Cut(rest, " ")
		status, err := strconv.Atoi(code)
		if proto != "HTTP/1.1" || err != nil || status < 100 || status > 599 {
			t.Fatalf("bad status line %q", line)
		}
		h, err := tp.ReadMIMEHeader()
		if err != nil {
			t.Fatalf("reading header: %v", err)
		}
		if status == 100 {
			continue
		}
		n, err := strconv.Atoi(h.Get("Content-Length"))
		if err != nil {
			t.Fatalf("status %d without a valid Content-Length: %q", status, h.Get("Content-Length"))
		}
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			t.Fatalf("body shorter than Content-Length %d", n)
		}
		if h.Get("Connection") == "close" {
			if rest, _ := io.ReadAll(br); len(rest) > 0 {
				t.Fatalf("%d bytes after a response with Connection: close", len(rest))
			}
			return
		}
		// The server's own refusals close; a handler's (the Mux's 404 and
		// 405, /no's 403, all on the head) may keep a connection whose
		// small body it discards.
		if status >= 400 && status != 403 && status != 404 && status != 405 {
			t.Fatalf("error status %d without Connection: close", status)
		}
	}
}
