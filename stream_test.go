//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// pattern is a reader of n bytes of a repeating, position-dependent
// pattern, so that a byte lost, repeated or reordered shows. It gives at
// most step bytes per Read, if step > 0.
type pattern struct {
	off, n int64
	step   int
	closed chan struct{} // Close sends on it, if not nil
}

func patternByte(i int64) byte { return byte(i*7 + i>>8) }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if p.step > 0 && len(b) > p.step {
		b = b[:p.step]
	}
	k := 0
	for ; k < len(b) && p.off < p.n; k++ {
		b[k] = patternByte(p.off)
		p.off++
	}
	return k, nil
}

func (p *pattern) Close() error {
	if p.closed != nil {
		p.closed <- struct{}{}
	}
	return nil
}

func checkPattern(t *testing.T, got []byte, n int64) {
	t.Helper()
	if int64(len(got)) != n {
		t.Fatalf("body: %d bytes, want %d", len(got), n)
	}
	for i, b := range got {
		if b != patternByte(int64(i)) {
			t.Fatalf("body byte %d: %#x, want %#x", i, b, patternByte(int64(i)))
		}
	}
}

// streamHandler answers /len/N with N pattern bytes and Length set, and
// /chunked/N with N pattern bytes of unknown length, one Read at most
// ?step= bytes.
func streamHandler(closed chan struct{}) biplane.Handler {
	return biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		parts := strings.Split(string(r.Path()), "/")
		n, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
		step, _ := strconv.Atoi(r.Query().Get("step"))
		p := &pattern{n: n, step: step, closed: closed}
		resp := biplane.Response{ContentType: "application/octet-stream", Stream: p}
		if parts[1] == "len" {
			resp.Length = n
		}
		return resp
	})
}

// TestStreamNetHTTP streams bodies of several sizes and framings to Go's
// net/http client, which checks the framing (RFC 9112 §6.3, §7.1).
func TestStreamNetHTTP(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: streamHandler(nil)})
	cases := []struct {
		path    string
		n       int64
		chunked bool
	}{
		{"/len/1", 1, false},
		{"/len/100", 100, false},
		{"/len/4096", 4096, false},
		{"/len/5000000", 5000000, false},
		{"/len/100000?step=1", 100000, false},
		{"/chunked/0", 0, true},
		{"/chunked/1", 1, true},
		{"/chunked/3000", 3000, true},
		{"/chunked/5000000", 5000000, true},
		{"/chunked/70000?step=3", 70000, true},
	}
	client := servertest.NewClient(t)
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", hs.URL+tc.path, nil)
			resp, body := servertest.RoundTrip(t, client, req)
			checkPattern(t, []byte(body), tc.n)
			if got := len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"; got != tc.chunked {
				t.Errorf("chunked: %v, want %v (Transfer-Encoding %q)", got, tc.chunked, resp.TransferEncoding)
			}
			if !tc.chunked && resp.ContentLength != tc.n {
				t.Errorf("Content-Length: %d, want %d", resp.ContentLength, tc.n)
			}
		})
	}
}

// TestStreamSmallWriteBuffer streams through a 64-byte write buffer, where
// chunk size lines and trailing CRLFs crowd the room, and checks the
// chunked framing byte for byte with httputil's decoder.
func TestStreamSmallWriteBuffer(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: streamHandler(nil), Limits: biplane.Limits{WriteBufferSize: 64}})
	for _, n := range []int{0, 1, 15, 16, 17, 40, 41, 63, 64, 65, 1000, 12345} {
		c := hs.Dial(t)
		c.Send(get("/chunked/" + strconv.Itoa(n)))
		resp, err := http.ReadResponse(c.Reader, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TransferEncoding == nil {
			t.Fatalf("n=%d: not chunked", n)
		}
		// http.ReadResponse has already wrapped the body in a chunked
		// reader; read the raw bytes instead through our own.
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		checkPattern(t, body, int64(n))
		c.Close()
	}
	// The raw framing too: every chunk has a valid size line.
	c := hs.Dial(t)
	c.Send("GET /chunked/300 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	raw, err := io.ReadAll(c.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no head end in %q", raw)
	}
	body, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(rest)))
	if err != nil {
		t.Fatalf("chunked framing: %v in %q", err, rest)
	}
	checkPattern(t, body, 300)
}

// TestStreamHTTP10 sends a stream of unknown length to an HTTP/1.0 client
// by closing the connection at its end (RFC 9112 §6.3): no chunked coding.
func TestStreamHTTP10(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: streamHandler(nil)})
	c := hs.Dial(t)
	c.Send("GET /chunked/10000 HTTP/1.0\r\n\r\n")
	raw, err := io.ReadAll(c.Reader)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if bytes.Contains(bytes.ToLower(head), []byte("transfer-encoding")) || bytes.Contains(bytes.ToLower(head), []byte("content-length")) {
		t.Errorf("head frames the body: %q", head)
	}
	if !bytes.Contains(head, []byte("Connection: close")) {
		t.Errorf("head lacks Connection: close: %q", head)
	}
	checkPattern(t, body, 10000)
}

// TestStreamHead answers HEAD with the GET's Content-Length and no body,
// and closes the stream without reading it (RFC 9110 §9.3.2).
func TestStreamHead(t *testing.T) {
	closed := make(chan struct{}, 2)
	hs := servertest.Start(t, &biplane.Server{Handler: streamHandler(closed)})
	c := hs.Dial(t)
	c.Send("HEAD /len/5000 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/len/10"))
	resp, body := c.Response("HEAD")
	if resp.ContentLength != 5000 || body != "" {
		t.Errorf("HEAD: Content-Length %d, body %q; want 5000, none", resp.ContentLength, body)
	}
	<-closed
	resp, body = c.Response("GET")
	checkPattern(t, []byte(body), 10)
	_ = resp
}

// TestStreamPipelined answers requests pipelined behind streamed ones in
// order, on the same connection (RFC 9112 §9.3.2).
func TestStreamPipelined(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: streamHandler(nil)})
	c := hs.Dial(t)
	var reqs strings.Builder
	sizes := []int{5, 20000, 0, 70000, 1}
	for i, n := range sizes {
		kind := "len"
		if i%2 == 1 || n == 0 {
			kind = "chunked"
		}
		reqs.WriteString(get("/" + kind + "/" + strconv.Itoa(n) + "?step=1000"))
	}
	c.Send(reqs.String())
	for _, n := range sizes {
		_, body := c.Response("GET")
		checkPattern(t, []byte(body), int64(n))
	}
}

// queue is a Stream fed from the loop: Read returns ErrWouldBlock until
// push adds bytes, and io.EOF after end.
type queue struct {
	buf    []byte
	ended  bool
	wake   biplane.Wakeup
	closed chan struct{}
}

func (q *queue) Read(p []byte) (int, error) {
	if len(q.buf) == 0 {
		if q.ended {
			return 0, io.EOF
		}
		return 0, biplane.ErrWouldBlock
	}
	n := copy(p, q.buf)
	q.buf = q.buf[n:]
	return n, nil
}

func (q *queue) Close() error { close(q.closed); return nil }

// TestStreamWakeup feeds a stream from outside the handler, as a program
// pushes events from its own loop: nothing is sent until Wake, each push
// reaches the client, and the connection serves the next request once the
// stream ends.
func TestStreamWakeup(t *testing.T) {
	queues := make(chan *queue, 1)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		if string(r.Path()) != "/events" {
			return biplane.Response{Body: []byte("next")}
		}
		q := &queue{wake: r.Wakeup(), closed: make(chan struct{})}
		queues <- q
		return biplane.Response{ContentType: "text/event-stream", Stream: q}
	})})
	c := hs.Dial(t)
	c.Send(get("/events") + get("/next"))
	q := <-queues
	resp, err := http.ReadResponse(c.Reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for i := range 5 {
		msg := "data: " + strconv.Itoa(i) + "\n\n"
		hs.Do(func() {
			q.buf = append(q.buf, msg...)
			q.wake.Wake()
		})
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(br, got); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if string(got) != msg {
			t.Fatalf("event %d: %q, want %q", i, got, msg)
		}
	}
	var closedNow bool
	hs.Do(func() {
		q.ended = true
		q.wake.Wake()
		closedNow = q.wake.Closed()
	})
	if closedNow {
		t.Error("Wakeup.Closed before the stream ended")
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("end of stream: %q, %v", rest, err)
	}
	<-q.closed
	if _, body := c.Response("GET"); body != "next" {
		t.Errorf("request after the stream: %q, want %q", body, "next")
	}
	hs.Do(func() {
		if !q.wake.Closed() {
			t.Error("Wakeup.Closed is false after the stream ended")
		}
		q.wake.Wake() // does nothing
	})
}

// TestStreamPeerGone closes a waiting stream's connection once its peer
// has gone and a write fails, and closes the stream.
func TestStreamPeerGone(t *testing.T) {
	queues := make(chan *queue, 1)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		q := &queue{wake: r.Wakeup(), closed: make(chan struct{})}
		queues <- q
		return biplane.Response{Stream: q}
	})})
	c := hs.Dial(t)
	c.Send(get("/"))
	q := <-queues
	if _, err := http.ReadResponse(c.Reader, nil); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// The first write after the peer's close may succeed (the kernel takes
	// it, the peer answers with a reset); a later one fails.
	for i := 0; ; i++ {
		select {
		case <-q.closed:
			hs.WaitConns(t, 0)
			return
		default:
		}
		if i == 1000 {
			t.Fatal("stream still open after 1000 pushes to a closed peer")
		}
		hs.Do(func() {
			q.buf = append(q.buf, "data: x\n\n"...)
			q.wake.Wake()
		})
	}
}

// failing is a Stream that fails, or ends early, after some bytes.
type failing struct {
	n   int
	err error
}

func (f *failing) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range k {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

// TestStreamAbort closes the connection when a stream fails or ends before
// its Length, so the client sees an incomplete response rather than a
// wrong one.
func TestStreamAbort(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		switch string(r.Path()) {
		case "/short":
			return biplane.Response{Stream: &failing{n: 100, err: io.EOF}, Length: 1000}
		case "/error-len":
			return biplane.Response{Stream: &failing{n: 10000, err: errors.New("disk on fire")}, Length: 20000}
		}
		return biplane.Response{Stream: &failing{n: 10000, err: errors.New("disk on fire")}}
	})})
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for _, path := range []string{"/short", "/error-len", "/error-chunked"} {
		resp, err := client.Get("http://" + hs.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: reading body: %v, want unexpected EOF", path, err)
		}
	}
	hs.WaitConns(t, 0)
}

// TestStreamIdleTimeout closes a stream that moves no byte for the idle
// timeout, and closes the stream.
func TestStreamIdleTimeout(t *testing.T) {
	queues := make(chan *queue, 1)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		q := &queue{wake: r.Wakeup(), closed: make(chan struct{}), buf: []byte("hello")}
		queues <- q
		return biplane.Response{Stream: q}
	}), Limits: biplane.Limits{IdleTimeout: 300 * time.Millisecond}})
	c := hs.Dial(t)
	c.Send(get("/"))
	q := <-queues
	resp, err := http.ReadResponse(c.Reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != "hello" {
		t.Fatalf("first bytes: %q, %v", got, err)
	}
	<-q.closed // the timeout's signal; the test's own deadline bounds it
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("after the idle timeout: %v, want unexpected EOF", err)
	}
	hs.Do(func() {
		if n := hs.Server.Stats().IdleTimeouts; n != 1 {
			t.Errorf("IdleTimeouts = %d, want 1", n)
		}
	})
}

// shout is an Upgrade that answers each line it receives in upper case,
// and ends the connection on "bye".
type shout struct {
	line   []byte
	out    []byte
	done   bool
	closed chan struct{}
}

func (s *shout) Write(p []byte) (int, error) {
	for i, b := range p {
		if b != '\n' {
			s.line = append(s.line, b)
			continue
		}
		if string(s.line) == "bye" {
			s.out = append(s.out, "BYE\n"...)
			s.done = true
			return i + 1, nil
		}
		s.out = append(s.out, bytes.ToUpper(s.line)...)
		s.out = append(s.out, '\n')
		s.line = s.line[:0]
	}
	return len(p), nil
}

func (s *shout) Read(p []byte) (int, error) {
	if len(s.out) == 0 {
		if s.done {
			return 0, io.EOF
		}
		return 0, biplane.ErrWouldBlock
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

func (s *shout) Close() error { close(s.closed); return nil }

// TestUpgrade switches a connection to another protocol with 101 (RFC 9110
// §7.8), including bytes the client sent right behind its request.
func TestUpgrade(t *testing.T) {
	upgrades := make(chan *shout, 1)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		s := &shout{closed: make(chan struct{})}
		upgrades <- s
		return biplane.Response{Status: 101, Upgrade: s, Header: []biplane.Field{
			{Name: "Upgrade", Value: "shout"}, {Name: "Connection", Value: "Upgrade"}}}
	})})

	t.Run("bye", func(t *testing.T) {
		c := hs.Dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: t\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nhello\n")
		s := <-upgrades
		resp, err := http.ReadResponse(c.Reader, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "shout" || resp.Header.Get("Connection") != "Upgrade" {
			t.Fatalf("response %d %v, want 101 with Upgrade and Connection", resp.StatusCode, resp.Header)
		}
		if resp.Header.Get("Content-Length") != "" {
			t.Errorf("101 with Content-Length %q", resp.Header.Get("Content-Length"))
		}
		for _, want := range []string{"HELLO\n", "WORLD\n", "BYE\n"} {
			switch want {
			case "WORLD\n":
				c.Send("wor")
				c.Send("ld\n")
			case "BYE\n":
				c.Send("bye\n")
			}
			line, err := c.Reader.ReadString('\n')
			if err != nil || line != want {
				t.Fatalf("got %q, %v; want %q", line, err, want)
			}
		}
		c.ExpectEOF()
		<-s.closed
	})

	t.Run("peer shuts down sending", func(t *testing.T) {
		// Its last input is still answered before the close.
		c := hs.Dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: t\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\nlast words\n")
		s := <-upgrades
		if err := c.Conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if _, err := http.ReadResponse(c.Reader, nil); err != nil {
			t.Fatal(err)
		}
		if line, err := c.Reader.ReadString('\n'); err != nil || line != "LAST WORDS\n" {
			t.Fatalf("got %q, %v; want the answer to the last input", line, err)
		}
		c.ExpectEOF()
		<-s.closed
	})

	t.Run("peer closes", func(t *testing.T) {
		c := hs.Dial(t)
		c.Send("GET / HTTP/1.1\r\nHost: t\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n")
		s := <-upgrades
		if _, err := http.ReadResponse(c.Reader, nil); err != nil {
			t.Fatal(err)
		}
		c.Close()
		<-s.closed
		hs.WaitConns(t, 0)
	})
}

// TestUpgradeRefused answers a handler's inconsistent upgrade with 500: a
// 101 without an Upgrade, an Upgrade without 101, an upgrade of an
// HTTP/1.0 request (RFC 9110 §7.8), and a 1xx other than 101.
func TestUpgradeRefused(t *testing.T) {
	closed := make(chan struct{}, 4)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		s := &shout{closed: make(chan struct{})}
		go func() { <-s.closed; closed <- struct{}{} }()
		switch string(r.Path()) {
		case "/no-upgrade":
			s.Close()
			return biplane.Response{Status: 101}
		case "/not-101":
			return biplane.Response{Upgrade: s}
		case "/102":
			return biplane.Response{Status: 102, Upgrade: s}
		}
		return biplane.Response{Status: 101, Upgrade: s}
	})})
	for _, req := range []string{
		get("/no-upgrade"),
		get("/not-101"),
		get("/102"),
		"GET /http10 HTTP/1.0\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n",
	} {
		c := hs.Dial(t)
		c.Send(req)
		resp, _ := c.Response("GET")
		if resp.StatusCode != 500 {
			t.Errorf("%q: status %d, want 500", req, resp.StatusCode)
		}
		<-closed // the unused Upgrade was closed
	}
}

// TestWakeupClose closes a stream's connection at once, output still
// queued, and a Wakeup reaches only its own response: after that response
// ends, the next one on the same connection is out of its reach.
func TestWakeupClose(t *testing.T) {
	queues := make(chan *queue, 2)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		q := &queue{wake: r.Wakeup(), closed: make(chan struct{})}
		queues <- q
		return biplane.Response{Stream: q}
	})})

	c := hs.Dial(t)
	c.Send(get("/a"))
	first := <-queues
	hs.Do(func() { first.ended = true; first.wake.Wake() })
	<-first.closed
	c.Response("GET")
	c.Send(get("/b"))
	second := <-queues
	hs.Do(func() {
		if !first.wake.Closed() {
			t.Error("the first response's Wakeup is not Closed during the second response")
		}
		first.wake.Close() // must not touch the second response
		if second.wake.Closed() {
			t.Error("the second response's Wakeup is Closed while it streams")
		}
	})
	// The client reads nothing more: queue far more than the socket
	// buffers hold, then close from the program.
	for range 64 {
		hs.Do(func() {
			second.buf = append(second.buf, make([]byte, 64<<10)...)
			second.wake.Wake()
		})
	}
	hs.Do(func() { second.wake.Close() })
	<-second.closed
	hs.WaitConns(t, 0)
}
