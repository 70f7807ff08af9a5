//go:build !tinygo

// Not built by TinyGo: it imports net/http.

package nethttp_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/nethttp"
)

const benchRequest = "GET /items/42?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench/1.0\r\n" +
	"Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nCookie: a=1; b=2\r\n\r\n"

// BenchmarkRespond measures the adapter alone: building the http.Request,
// running the handler and turning its output into a biplane.Response,
// against a native biplane handler answering the same.
func BenchmarkRespond(b *testing.B) {
	hello := []byte("Hello, world!")
	big := []byte(strings.Repeat("x", 4096))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "item "+r.PathValue("id"))
	})
	cases := []struct {
		name string
		h    biplane.Handler
	}{
		{"native", biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return biplane.Response{ContentType: "text/plain", Body: hello}
		})},
		{"hello", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		})},
		{"sniffed", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(hello) })},
		{"4KiB", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(big)
		})},
		{"ServeMux", nethttp.Handler(mux)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var p biplane.Parser
			if n, err := p.Parse([]byte(benchRequest)); n == 0 || err != nil {
				b.Fatalf("parse: %d %v", n, err)
			}
			req := p.Request()
			b.ReportAllocs()
			for b.Loop() {
				if resp := tc.h.Respond(req); resp.Status != 0 && resp.Status != 200 {
					b.Fatalf("status %d", resp.Status)
				}
			}
		})
	}
}

// BenchmarkServe runs whole keep-alive requests through a server over
// memsock, with and without the adapter.
func BenchmarkServe(b *testing.B) {
	hello := []byte("Hello, world!")
	for _, tc := range []struct {
		name string
		h    biplane.Handler
	}{
		{"native", biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return biplane.Response{ContentType: "text/plain", Body: hello}
		})},
		{"adapter", nethttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ln := memsock.NewListener()
			srv := &biplane.Server{Listener: ln, Handler: tc.h, NoDate: true}
			defer srv.Close()
			client, _ := ln.Dial()
			buf := make([]byte, 4096)
			req := []byte(benchRequest)
			b.SetBytes(int64(len(benchRequest)))
			b.ReportAllocs()
			for b.Loop() {
				client.Write(req)
				for range 4 {
					srv.Step()
				}
				n, err := client.Read(buf)
				if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200")) {
					b.Fatalf("read %q, %v", buf[:n], err)
				}
			}
		})
	}
}

func ExampleAdapter_Respond() {
	var p biplane.Parser
	p.Parse([]byte("GET /hi HTTP/1.1\r\nHost: example\r\n\r\n"))
	a := &nethttp.Adapter{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		io.WriteString(w, "hi")
	})}
	resp := a.Respond(p.Request())
	fmt.Println(resp.Status, resp.ContentType, resp.Header, string(resp.Body))
	// Output:
	// 200 text/plain; charset=utf-8 [{X-Path /hi}] hi
}
