package sse_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/sse"
)

// TestCloseOnShutdown: with the broker's Close registered as a shutdown
// hook, Shutdown ends every stream after its queued events, and the drain
// ends as soon as they are sent, long before its timeout. No sockets: the
// server runs over memsock, stepped here.
func TestCloseOnShutdown(t *testing.T) {
	var broker sse.Broker
	var mux biplane.Mux
	mux.Handle("GET /events", &broker)
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	srv.OnShutdown(broker.Close)

	client, _ := ln.Dial()
	client.Write([]byte("GET /events HTTP/1.1\r\nHost: a\r\n\r\n"))
	for i := 0; broker.Len() == 0; i++ {
		if i == 100 {
			t.Fatal("no subscriber after 100 steps")
		}
		srv.Step()
	}
	broker.PublishData("last words")
	srv.Shutdown(time.Hour)
	steps := 0
	for srv.Step() {
		if steps++; steps == 1000 {
			t.Fatal("still draining after 1000 steps")
		}
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := io.ReadAll(client)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	got := string(resp)
	if !strings.Contains(got, "data: last words\n\n") || !strings.HasSuffix(got, "\r\n0\r\n\r\n") || broker.Len() != 0 {
		t.Errorf("after Shutdown, %d subscribers; the stream was %q, want the event and the chunked body's end", broker.Len(), got)
	}
	if err := broker.PublishData("too late"); err != sse.ErrClosed {
		t.Errorf("Publish after the hook: %v, want ErrClosed", err)
	}
}
