//go:build !tinygo

// Not built by TinyGo: it serves over real sockets (unixsock). See README.md, "TinyGo".

package biplane_test

import (
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

var helloBody = []byte("<b>Hello, world!</b>")

func helloMux() *biplane.Mux {
	var m biplane.Mux
	m.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: helloBody}
	})
	m.HandleFunc("POST /echo", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "application/octet-stream", Body: r.Body()}
	})
	return &m
}

// TestSteadyStateAllocs: a keep-alive GET and a small POST through the
// whole loop, over a real socket, allocate nothing once warm.
func TestSteadyStateAllocs(t *testing.T) {
	for _, tc := range []struct {
		name, req, end string
	}{
		{"GET", "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: alloc-test\r\nAccept: */*\r\n\r\n", "</b>"},
		{"POST", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world", "hello world"},
		{"POST chunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := servertest.NewLoopClient(t, helloMux())
			req := []byte(tc.req)
			n := len(c.RoundTrip(req, 0, []byte(tc.end)))
			for range 10 {
				c.RoundTrip(req, n, nil)
			}
			if allocs := testing.AllocsPerRun(500, func() { c.RoundTrip(req, n, nil) }); allocs != 0 {
				t.Errorf("got %v allocs per request, want 0", allocs)
			}
		})
	}
}

// BenchmarkKeepAlive measures one keep-alive request through the whole
// loop over loopback, client and server in one goroutine.
func BenchmarkKeepAlive(b *testing.B) {
	for _, bc := range []struct {
		name, req, end string
		hook           bool // with a Server.OnResponse that does not allocate
	}{
		{"GET", "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", "</b>", false},
		{"GET with OnResponse", "GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", "</b>", true},
		{"POST", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world", "hello world", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := servertest.NewLoopClient(b, helloMux())
			var logged int64
			if bc.hook {
				c.Server().OnResponse = func(ri *biplane.ResponseInfo) { logged += ri.Bytes }
			}
			req := []byte(bc.req)
			n := len(c.RoundTrip(req, 0, []byte(bc.end)))
			b.SetBytes(int64(len(req) + n))
			b.ReportAllocs()
			for b.Loop() {
				c.RoundTrip(req, n, nil)
			}
		})
	}
}
