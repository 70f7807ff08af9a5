//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/web"
)

// hasher is a Receiver that hashes the body. While held is set it takes
// nothing; it records the largest piece it was given.
type hasher struct {
	h        hash.Hash
	n        int64
	largest  int
	held     bool
	deferred bool
	ended    chan error // gets nil from Done, or Abort's error
}

func newHasher() *hasher { return &hasher{h: sha256.New(), ended: make(chan error, 2)} }

func (r *hasher) Write(p []byte) (int, error) {
	if r.held {
		return 0, biplane.ErrWouldBlock
	}
	r.largest = max(r.largest, len(p))
	r.h.Write(p)
	r.n += int64(len(p))
	return len(p), nil
}

func (r *hasher) Done() (biplane.Response, error) {
	if r.deferred {
		return biplane.Response{}, biplane.ErrWouldBlock
	}
	r.ended <- nil
	return biplane.Response{ContentType: "text/plain",
		Body: fmt.Appendf(nil, "%d %x", r.n, r.h.Sum(nil))}, nil
}

func (r *hasher) Abort(err error) { r.ended <- err }

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// uploadServer serves PUT /up into a fresh hasher each time (the last one
// is kept in *last), with a 64 MiB limit, behind a Bearer token, and GET /.
func uploadServer(t *testing.T, lim biplane.Limits, last **hasher, wk *biplane.Wakeup) *servertest.Harness {
	return uploadServerHeld(t, lim, last, wk, false)
}

// uploadServerHeld is uploadServer, whose hashers start held back and
// deferred if held.
func uploadServerHeld(t *testing.T, lim biplane.Limits, last **hasher, wk *biplane.Wakeup, held bool) *servertest.Harness {
	var mux biplane.Mux
	mux.Handle("PUT /up", web.BearerAuth(web.CheckToken("good"), biplane.Receive(func(r *biplane.Request) biplane.Response {
		r.LimitBody(biplane.BodyLimits{MaxBytes: 64 << 20})
		*last = newHasher()
		(*last).held, (*last).deferred = held, held
		*wk = r.Wakeup()
		return biplane.Response{Receive: *last}
	})))
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: []byte("hello")}
	})
	return servertest.Start(t, &biplane.Server{Handler: &mux, Limits: lim})
}

// TestUploadStreamed: bodies of 8 MiB, by Content-Length and chunked, from
// net/http and curl, reach the receiver whole in pieces no larger than the
// read buffer, so memory stays bounded by it, whatever the body's size.
func TestUploadStreamed(t *testing.T) {
	var last *hasher
	var wk biplane.Wakeup
	h := uploadServer(t, biplane.Limits{}, &last, &wk)
	body := make([]byte, 8<<20)
	for i := range body {
		body[i] = byte(i*7 + i>>9)
	}
	want := fmt.Sprintf("%d %s", len(body), sum(body))
	c := servertest.NewClient(t)
	for _, chunked := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // unknown length: net/http sends it chunked
		}
		req, _ := http.NewRequest("PUT", h.URL+"/up", r)
		req.Header.Set("Authorization", "Bearer good")
		resp, got := servertest.RoundTrip(t, c, req)
		if resp.StatusCode != 200 || got != want {
			t.Fatalf("chunked=%v: got %d %q, want 200 %q", chunked, resp.StatusCode, got, want)
		}
		var largest int
		h.Do(func() { largest = last.largest })
		if largest > biplane.DefaultReadBufferSize {
			t.Errorf("chunked=%v: a piece of %d bytes, larger than the read buffer", chunked, largest)
		}
	}
	f := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	// curl sends "Expect: 100-continue" for a body this large, and so
	// waits for the server to accept it.
	if got := servertest.Curl(t, "-H", "Authorization: Bearer good", "-T", f, h.URL+"/up"); got != want {
		t.Fatalf("curl: got %q, want %q", got, want)
	}
}

// TestUploadRefusedOnHead: a refused upload's body is never read. A wrong
// token with Expect: 100-continue gets 401 and no 100, and the connection
// closes; a declared size over the route's limit gets 413 before any body
// byte; a small body refused on its head is discarded and the connection
// kept for the next request.
func TestUploadRefusedOnHead(t *testing.T) {
	var last *hasher
	var wk biplane.Wakeup
	h := uploadServer(t, biplane.Limits{}, &last, &wk)

	c := h.Dial(t)
	c.Send("PUT /up HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer bad\r\nContent-Length: 67108864\r\nExpect: 100-continue\r\n\r\n")
	if head := c.Head(); !strings.HasPrefix(head, "HTTP/1.1 401 ") || !strings.Contains(head, "Connection: close\r\n") {
		t.Fatalf("got %q, want a 401 that closes (and no 100 before it)", head)
	}

	c = h.Dial(t)
	c.Send("PUT /up HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\nContent-Length: 67108865\r\n\r\n")
	if head := c.Head(); !strings.HasPrefix(head, "HTTP/1.1 413 ") {
		t.Fatalf("got %q, want 413", head)
	}

	c = h.Dial(t)
	c.Send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp, _ := c.Response("PUT"); resp.StatusCode != 401 || resp.Close {
		t.Fatalf("got %d close=%v, want 401 keeping the connection", resp.StatusCode, resp.Close)
	}
	if resp, body := c.Response("GET"); resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("next request: got %d %q", resp.StatusCode, body)
	}

	// curl with a wrong token stops sending when the 401 comes.
	f := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(f, make([]byte, 64<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	out := servertest.Curl(t, "-o", "/dev/null", "-w", "%{http_code} %{size_upload}", "-H", "Authorization: Bearer bad", "-T", f, h.URL+"/up")
	code, sent, _ := strings.Cut(out, " ")
	if n, _ := strconv.ParseFloat(sent, 64); code != "401" || n >= 1<<20 {
		t.Fatalf("curl: %q, want 401 with under 1 MiB sent", out)
	}
}

// TestUploadContinue: 100 Continue goes out once the handler has accepted
// the body, and the body then arrives.
func TestUploadContinue(t *testing.T) {
	var last *hasher
	var wk biplane.Wakeup
	h := uploadServer(t, biplane.Limits{}, &last, &wk)
	c := h.Dial(t)
	c.Send("PUT /up HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	if head := c.Head(); head != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("got %q, want 100 Continue", head)
	}
	c.Send("hello")
	if resp, body := c.Response("PUT"); resp.StatusCode != 200 || body != "5 "+sum([]byte("hello")) {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

// TestUploadBackpressure: while the receiver holds back, the server stops
// reading the upload and serves other clients; after Wake the body
// arrives whole. Then a deferred Done answers after its Wake.
func TestUploadBackpressure(t *testing.T) {
	var last *hasher
	var wk biplane.Wakeup
	h := uploadServerHeld(t, biplane.Limits{}, &last, &wk, true)
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("PUT", h.URL+"/up", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer good")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- string(b)
	}()
	h.WaitFor(t, "the upload's head", func() bool { return last != nil })
	// Other clients are served meanwhile.
	if _, got := servertest.RoundTrip(t, servertest.NewClient(t), mustRequest("GET", h.URL+"/")); got != "hello" {
		t.Fatalf("other client: %q", got)
	}
	var received int64
	h.Do(func() { received, _ = wk.Progress() })
	if received != 0 {
		t.Fatalf("the held receiver took %d bytes", received)
	}
	h.Do(func() { last.held = false; wk.Wake() })
	h.WaitFor(t, "the whole body taken", func() bool { return last.n == int64(len(body)) })
	select {
	case got := <-done:
		t.Fatalf("answered %q before Done gave a response", got)
	default:
	}
	h.Do(func() { last.deferred = false; wk.Wake() })
	if got, want := <-done, fmt.Sprintf("%d %s", len(body), sum(body)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestUploadAbort: a client that vanishes mid-upload, and a receiver that
// fails, end the receiver with Abort; the failing one's client gets the
// error's status and a close.
func TestUploadAbort(t *testing.T) {
	var last *hasher
	var wk biplane.Wakeup
	h := uploadServer(t, biplane.Limits{}, &last, &wk)
	c := h.Dial(t)
	c.Send("PUT /up HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer good\r\nContent-Length: 1000000\r\n\r\n" + strings.Repeat("x", 5000))
	h.WaitFor(t, "5000 bytes taken", func() bool { return last != nil && last.n == 5000 })
	c.Close()
	var ended chan error
	h.Do(func() { ended = last.ended })
	if err := <-ended; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("aborted with %v, want io.ErrUnexpectedEOF", err)
	}

	var mux biplane.Mux
	mux.Handle("PUT /full", biplane.Receive(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Receive: diskFull{}}
	}))
	h = servertest.Start(t, &biplane.Server{Handler: &mux})
	c = h.Dial(t)
	c.Send("PUT /full HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100))
	resp, _ := c.Response("PUT")
	if resp.StatusCode != 507 || !resp.Close {
		t.Fatalf("got %d close=%v, want 507 and a close", resp.StatusCode, resp.Close)
	}
}

// diskFull is a receiver whose disk is full.
type diskFull struct{}

func (diskFull) Write(p []byte) (int, error)     { return 0, &web.Error{Status: 507, Reason: "disk full"} }
func (diskFull) Done() (biplane.Response, error) { return biplane.Response{}, nil }
func (diskFull) Abort(error)                     {}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}
