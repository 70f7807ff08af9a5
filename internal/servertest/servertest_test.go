//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package servertest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/unixsock"
)

var hello = biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
	return biplane.Response{Body: []byte("hello " + string(r.Path()))}
})

// plainListener hides a listener's Waiter and Waker, so that Do cannot
// wake the loop and the harness must bound its waits instead.
type plainListener struct{ biplane.Listener }

// TestHarness drives a server through everything the harness offers,
// over a listener that wakes and over one that cannot.
func TestHarness(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) *servertest.Harness
	}{
		{"Waker", func(t *testing.T) *servertest.Harness {
			return servertest.Start(t, &biplane.Server{Handler: hello})
		}},
		{"no Waiter", func(t *testing.T) *servertest.Harness {
			ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			return servertest.StartOn(t, &biplane.Server{Listener: plainListener{ln}, Handler: hello}, ln.Addr().String())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := tc.start(t)
			if hs.URL != "http://"+hs.Addr {
				t.Errorf("URL %q for Addr %q", hs.URL, hs.Addr)
			}

			c := hs.Dial(t)
			c.Send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nHEAD /b HTTP/1.1\r\nHost: t\r\n\r\n")
			if resp, body := c.Response("GET"); resp.StatusCode != 200 || body != "hello /a" {
				t.Errorf("GET: %d %q", resp.StatusCode, body)
			}
			if head := c.Head(); !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(head, "\r\n\r\n") {
				t.Errorf("HEAD: head %q", head)
			}
			hs.WaitConns(t, 1)
			c.Send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
			c.Response("GET")
			c.ExpectEOF()
			hs.WaitConns(t, 0)

			req, err := http.NewRequest("GET", hs.URL+"/c", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := servertest.RoundTrip(t, servertest.NewClient(t), req)
			if resp.StatusCode != 200 || body != "hello /c" {
				t.Errorf("net/http client: %d %q", resp.StatusCode, body)
			}

			// BetweenSteps runs on the loop, as Do does: no race.
			steps := 0
			hs.BetweenSteps(func() { steps++ })
			hs.WaitFor(t, "ten steps", func() bool { return steps >= 10 })

			hs.Close()
			select {
			case <-hs.Done():
			default:
				t.Error("Done not closed after Close")
			}
			ran := false
			hs.Do(func() { ran = true })
			if ran {
				t.Error("Do ran a call after the loop ended")
			}
			hs.Close() // again: nothing
		})
	}
}

// TestShutdownEndsLoop: Done is closed when the server stops on its own.
func TestShutdownEndsLoop(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: hello})
	hs.Server.Shutdown(0) // safe from any goroutine
	select {
	case <-hs.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not end within 20 s of Shutdown")
	}
	if err := hs.Server.Err(); err != nil {
		t.Errorf("Err after Shutdown: %v", err)
	}
}

// TestLoopClient: a response through a server stepped in this goroutine.
func TestLoopClient(t *testing.T) {
	c := servertest.NewLoopClient(t, hello)
	req := []byte("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
	resp := string(c.RoundTrip(req, 0, []byte("hello /x")))
	if !strings.HasPrefix(resp, "HTTP/1.1 200 OK\r\n") {
		t.Fatalf("response %q", resp)
	}
	if again := string(c.RoundTrip(req, len(resp), nil)); len(again) != len(resp) {
		t.Errorf("second response %q, want %d bytes", again, len(resp))
	}
	c.Download(req, len(resp))
}
