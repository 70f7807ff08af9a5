package biplane_test

import (
	"strconv"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

// pollingListener hides a listener's Waiter, so the server must poll every
// connection in turn, as it does over transports without readiness.
type pollingListener struct{ biplane.Listener }

// exercise runs a little of everything over hs: keep-alive, pipelining, a
// body, a refusal.
func exercise(t *testing.T, hs *harness) {
	t.Helper()
	c := hs.dial()
	for i := range 5 {
		body := strconv.Itoa(i)
		c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n" + body + get("/"))
		if resp, got := c.response("POST"); resp.StatusCode != 200 || got != body {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, got, body)
		}
		c.response("GET")
	}
	c.send("GET / HTTP/1.1\r\n\r\n") // no Host
	if resp, _ := c.response("GET"); resp.StatusCode != 400 {
		t.Fatalf("got %d, want 400", resp.StatusCode)
	}
	c.expectEOF()
}

func TestPollingMode(t *testing.T) {
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := startServerOn(t, pollingListener{ln}, ln.Addr().String(), echo, biplane.Limits{})
	exercise(t, hs)
}

func TestPollMode(t *testing.T) {
	ln, err := unixsock.Config{UsePoll: true}.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, startServerOn(t, ln, ln.Addr().String(), echo, biplane.Limits{}))
}
