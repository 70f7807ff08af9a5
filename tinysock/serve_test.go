package tinysock

import (
	"io"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
)

// deviceLimits are limits a board with tens of KiB of RAM would set.
var deviceLimits = biplane.Limits{
	MaxRequestLine:  256,
	MaxHeaderBytes:  512,
	MaxHeaderFields: 16,
	MaxBodyBytes:    1024,
	ReadBufferSize:  512,
	WriteBufferSize: 512,
}

// serveCases drive the core's parser and connection state machine
// through this transport; they also run on cortex-m-qemu (see
// scripts/tinygo-ci.sh), where the root package's own tests do not fit in
// the 64 KiB of RAM.
var serveCases = []struct {
	name string
	in   string
	want []string // status lines, in order
}{
	{name: "GET", in: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		want: []string{"HTTP/1.1 200 OK"}},
	{name: "keep-alive then close", in: "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		want: []string{"HTTP/1.1 200 OK", "HTTP/1.1 200 OK"}},
	{name: "HTTP/1.0 closes", in: "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n",
		want: []string{"HTTP/1.1 200 OK"}},
	{name: "chunked body", in: "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		want: []string{"HTTP/1.1 200 OK"}},
	{name: "no Host §3.2", in: "GET / HTTP/1.1\r\n\r\n",
		want: []string{"HTTP/1.1 400 Bad Request"}},
	{name: "bare LF", in: "GET / HTTP/1.1\nHost: a\n\n",
		want: []string{"HTTP/1.1 400 Bad Request"}},
	{name: "CL and TE §6.1", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		want: []string{"HTTP/1.1 400 Bad Request"}},
	{name: "request line too long §3", in: "GET /" + strings.Repeat("a", 300) + " HTTP/1.1\r\nHost: a\r\n\r\n",
		want: []string{"HTTP/1.1 414 URI Too Long"}},
	{name: "header section too large", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("v", 600) + "\r\n\r\n",
		want: []string{"HTTP/1.1 431 Request Header Fields Too Large"}},
	{name: "body too large", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n",
		want: []string{"HTTP/1.1 413 Content Too Large"}},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		want: []string{"HTTP/1.1 505 HTTP Version Not Supported"}},
	{name: "unknown transfer coding", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
		want: []string{"HTTP/1.1 501 Not Implemented"}},
}

// TestServeCases feeds each case in pieces of 7 bytes, with a timeout
// between pieces, and checks the status lines the server sent.
func TestServeCases(t *testing.T) {
	for _, tc := range serveCases {
		t.Run(tc.name, func(t *testing.T) {
			d, l, queued := listen(t, Config{Chunk: 64})
			var in [][]byte
			for s := tc.in; len(s) > 0; {
				n := min(7, len(s))
				in = append(in, []byte(s[:n]), nil)
				s = s[n:]
			}
			s := &fakeSock{in: in, end: io.EOF}
			srv := &biplane.Server{Listener: l, Limits: deviceLimits, NoDate: true,
				Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
					return biplane.Response{Body: r.Body()}
				})}
			defer srv.Close()
			d.clients <- s
			<-queued
			for i := 0; ; i++ {
				if i == 2000 {
					t.Fatalf("not closed after 2000 steps; sent %q", s.out)
				}
				srv.Step()
				if i > 0 && srv.Conns() == 0 {
					break
				}
			}
			var got []string
			for _, line := range strings.Split(string(s.out), "\r\n") {
				if strings.HasPrefix(line, "HTTP/1.1 ") {
					got = append(got, line)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q; sent %q", got, tc.want, s.out)
			}
		})
	}
}
