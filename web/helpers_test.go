package web_test

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// serve sends the raw request to h over an in-memory connection, closes
// the client's side, and returns the whole response as text with "\n" for
// CRLF. No sockets: it runs wherever memsock does.
func serve(h biplane.Handler, raw string) string {
	ln := memsock.NewListener()
	ln.BufferSize = 4 << 10 // small enough for a board's RAM
	srv := &biplane.Server{Listener: ln, Handler: h, NoDate: true,
		Limits: biplane.Limits{ReadBufferSize: 1 << 10, WriteBufferSize: 1 << 10}}
	client, _ := ln.Dial()
	client.Write([]byte(raw))
	client.CloseWrite()
	for range 20 {
		srv.Step()
	}
	resp, _ := io.ReadAll(client)
	srv.Close()
	return strings.ReplaceAll(string(resp), "\r\n", "\n")
}

// withRequest runs f on the request the server builds from raw (with its
// body, which a bare Parser does not give).
func withRequest(t *testing.T, raw string, f func(r *biplane.Request)) {
	t.Helper()
	ran := false
	serve(biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		ran = true
		f(r)
		return biplane.Response{}
	}), raw)
	if !ran {
		t.Fatalf("the server did not accept %q", raw)
	}
}

// parsed returns the request whose head is raw, parsed without a server:
// enough for helpers that read header fields only. ok is false if the core
// refuses the head.
func parsed(raw string) (r *biplane.Request, ok bool) {
	var p biplane.Parser
	n, err := p.Parse([]byte(raw))
	if err != nil || n == 0 {
		return nil, false
	}
	return p.Request(), true
}

func mustParse(t testing.TB, raw string) *biplane.Request {
	t.Helper()
	r, ok := parsed(raw)
	if !ok {
		t.Fatalf("the core refuses %q", raw)
	}
	return r
}

// head is a GET request head with the given extra field lines.
func head(fields ...string) string {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: example\r\n")
	for _, f := range fields {
		b.WriteString(f + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// post is a POST request with the given Content-Type (none if empty) and
// body.
func post(target, contentType, body string) string {
	s := "POST " + target + " HTTP/1.1\r\nHost: example\r\n"
	if contentType != "" {
		s += "Content-Type: " + contentType + "\r\n"
	}
	return s + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}
