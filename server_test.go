//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// TestPipelined: RFC 9112 §9.3.2, responses in the order of the requests.
func TestPipelined(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	c := hs.Dial(t)
	c.Send("POST /1 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none" +
		"POST /2 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n" +
		"POST /3 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthree")
	for _, want := range []string{"one", "two", "three"} {
		resp, body := c.Response("POST")
		if resp.StatusCode != 200 || body != want {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, want)
		}
	}
	hs.WaitConns(t, 1) // all three on one connection, still open
}

// TestKeepAlive covers RFC 9112 §9.3: persistence on 1.1, close on request,
// 1.0 only when asked.
func TestKeepAlive(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	for _, tc := range []struct {
		name, req, conn string
		open            bool
	}{
		{"1.1 default", "GET / HTTP/1.1\r\nHost: t\r\n\r\n", "", true},
		{"1.1 close", "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", "close", false},
		{"1.0 default", "GET / HTTP/1.0\r\n\r\n", "close", false},
		{"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "keep-alive", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := hs.Dial(t)
			c.Send(tc.req)
			resp, _ := c.Response("GET")
			// net/http reports "Connection: close" as resp.Close.
			if got := resp.Header.Get("Connection"); got != tc.conn && !(tc.conn == "close" && resp.Close) {
				t.Errorf("Connection: got %q (Close %v), want %q", got, resp.Close, tc.conn)
			}
			if tc.open {
				c.Send(get("/again"))
				if resp, _ := c.Response("GET"); resp.StatusCode != 200 {
					t.Errorf("second request: %d", resp.StatusCode)
				}
			} else {
				c.ExpectEOF()
			}
			c.Close()
		})
	}
}

// TestHandlerClose: a handler's "Connection: close" closes after its response.
func TestHandlerClose(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Header: []biplane.Field{{Name: "Connection", Value: "close"}}, Body: []byte("bye")}
	})})
	c := hs.Dial(t)
	c.Send(get("/"))
	resp, body := c.Response("GET")
	if !resp.Close || body != "bye" {
		t.Fatalf("got %v %q", resp.Header, body)
	}
	c.ExpectEOF()
}

// TestHead: RFC 9110 §9.3.2, the same head as GET and no content.
func TestHead(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/plain", Body: []byte("twelve bytes")}
	})})
	c := hs.Dial(t)
	c.Send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + get("/"))
	resp, body := c.Response("HEAD")
	if resp.ContentLength != 12 || body != "" {
		t.Fatalf("HEAD: Content-Length %d, body %q", resp.ContentLength, body)
	}
	// The GET behind it parses cleanly only if HEAD sent no body.
	if _, body := c.Response("GET"); body != "twelve bytes" {
		t.Fatalf("GET after HEAD: %q", body)
	}
}

// TestStatuses: statuses without content get neither body nor
// Content-Length (RFC 9110 §8.6, §15.3.5).
func TestStatuses(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		code, _ := strconv.Atoi(string(r.Path()[1:]))
		return biplane.Response{Status: code, Body: []byte("x")}
	})})
	c := hs.Dial(t)
	for _, tc := range []struct {
		code  int
		clen  string
		body  string
		line  string
		valid bool
	}{
		{200, "1", "x", "200 OK", true},
		{204, "", "", "204 No Content", true},
		{304, "", "", "304 Not Modified", true},
		{418, "1", "x", "418 ", true},
		{100, "26", "500 internal server error\n", "500 Internal Server Error", false},
	} {
		c.Send(get("/" + strconv.Itoa(tc.code)))
		line, err := c.Reader.ReadString('\n')
		if err != nil || line != "HTTP/1.1 "+tc.line+"\r\n" {
			t.Fatalf("%d: status line %q, %v", tc.code, line, err)
		}
		var clen string
		for {
			l, _ := c.Reader.ReadString('\n')
			if l == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
				clen = strings.TrimSpace(v)
			}
		}
		if clen != tc.clen {
			t.Errorf("%d: Content-Length %q, want %q", tc.code, clen, tc.clen)
		}
		body := make([]byte, len(tc.body))
		io.ReadFull(c.Reader, body)
		if string(body) != tc.body {
			t.Errorf("%d: body %q, want %q", tc.code, body, tc.body)
		}
	}
}

// TestInvalidHandlerHeaders: a handler cannot split the response or take
// over framing; it gets a 500 instead.
func TestInvalidHandlerHeaders(t *testing.T) {
	var fields []biplane.Field
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Header: fields, Body: []byte("ok")}
	})})
	for _, f := range []biplane.Field{
		{Name: "X", Value: "a\r\nInjected: yes"},
		{Name: "X", Value: "a\x00"},
		{Name: "Bad Name", Value: "v"},
		{Name: "", Value: "v"},
		{Name: "Content-Length", Value: "5"},
		{Name: "transfer-encoding", Value: "chunked"},
	} {
		hs.Do(func() { fields = []biplane.Field{f} })
		c := hs.Dial(t)
		c.Send(get("/"))
		if resp, _ := c.Response("GET"); resp.StatusCode != 500 || resp.Header.Get("Injected") != "" {
			t.Errorf("%q: %q: got %d", f.Name, f.Value, resp.StatusCode)
		}
	}
}

// TestLimits: each limit answers its status and closes (RFC 9110 §15.5,
// RFC 6585 §5), the body unread.
func TestLimits(t *testing.T) {
	var handled int
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		handled++
		return biplane.Response{}
	})})
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"16 KiB target → 414", "GET /" + strings.Repeat("a", 16<<10) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
		{"500 fields → 431", "GET / HTTP/1.1\r\nHost: t\r\n" + strings.Repeat("X-A: b\r\n", 500) + "\r\n", 431},
		{"9 KiB field → 431", "GET / HTTP/1.1\r\nHost: t\r\nX: " + strings.Repeat("b", 9<<10) + "\r\n\r\n", 431},
		{"Content-Length 1e9 → 413", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n\r\n", 413},
		{"chunked over 1 MiB → 413", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413},
		{"HTTP/2.0 → 505", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
		{"gzip coding → 501", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"CL and TE → 400", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"Expect → 417", "POST / HTTP/1.1\r\nHost: t\r\nExpect: nothing\r\n\r\n", 417},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := hs.Dial(t)
			c.Send(tc.req)
			resp, _ := c.Response("GET")
			if resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("got %d Close=%v, want %d and Connection: close", resp.StatusCode, resp.Close, tc.status)
			}
			c.ExpectEOF()
			c.Close()
		})
	}
	hs.Do(func() {
		if handled != 0 {
			t.Errorf("the handler ran %d times for refused requests", handled)
		}
		st := hs.Server.Stats()
		for status, want := range map[int]uint64{400: 1, 413: 2, 414: 1, 417: 1, 431: 2, 501: 1, 505: 1, 408: 0} {
			if got := st.Refused(status); got != want {
				t.Errorf("Stats.Refused(%d) = %d, want %d", status, got, want)
			}
		}
	})
	hs.WaitConns(t, 0)
}

// TestExpectContinue: RFC 9110 §10.1.1, 100 Continue only when the body
// will be read.
func TestExpectContinue(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo, Limits: biplane.Limits{MaxBodyBytes: 10}})
	c := hs.Dial(t)
	c.Send("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	if line, _ := c.Reader.ReadString('\n'); line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("got %q, want 100 Continue", line)
	}
	if line, _ := c.Reader.ReadString('\n'); line != "\r\n" {
		t.Fatalf("got %q after 100 Continue", line)
	}
	c.Send("hello")
	if resp, body := c.Response("POST"); resp.StatusCode != 200 || body != "hello" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	// Too large: the final status at once, no 100.
	c.Send("POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
	if resp, _ := c.Response("POST"); resp.StatusCode != 413 {
		t.Fatalf("got %d, want 413", resp.StatusCode)
	}
}

// TestBinaryBodyOneBytePerWrite: every byte value, sent one byte per write.
func TestBinaryBodyOneBytePerWrite(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	size := 1 << 20
	if testing.Short() {
		size = 64 << 10
	}
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i*7 + i>>8)
	}
	c := hs.Dial(t)
	c.Conn.(*net.TCPConn).SetNoDelay(true)
	c.Send("POST /bin HTTP/1.1\r\nHost: t\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n")
	for i := range body {
		if _, err := c.Write(body[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	resp, got := c.Response("POST")
	if resp.StatusCode != 200 || got != string(body) {
		t.Fatalf("got %d and %d bytes, want 200 and the %d bytes sent", resp.StatusCode, len(got), size)
	}
}

// TestSlowReader: a client reading its 1 MiB response one byte at a time
// through a small receive window gets all of it, while another client is
// served between its reads.
func TestSlowReader(t *testing.T) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i % 251)
	}
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		if string(r.Path()) == "/big" {
			return biplane.Response{Body: big}
		}
		return biplane.Response{Body: []byte("small")}
	})})
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		// A small window makes the server's writes partial.
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", hs.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(60 * time.Second))
	io.WriteString(nc, get("/big"))
	other := hs.Dial(t)
	var head bytes.Buffer
	one := make([]byte, 1)
	for !bytes.HasSuffix(head.Bytes(), []byte("\r\n\r\n")) {
		if _, err := io.ReadFull(nc, one); err != nil {
			t.Fatal(err)
		}
		head.Write(one)
	}
	got := make([]byte, 0, len(big))
	served := 0
	for len(got) < len(big) {
		if _, err := io.ReadFull(nc, one); err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, one[0])
		if len(got)%(128<<10) == 0 {
			other.Send(get("/small"))
			if _, body := other.Response("GET"); body != "small" {
				t.Fatalf("other client got %q", body)
			}
			served++
		}
	}
	if !bytes.Equal(got, big) {
		t.Fatal("slow reader got different bytes")
	}
	if served != 8 {
		t.Fatalf("other client served %d times, want 8", served)
	}
}

// TestSilentClient: half a request and then silence (no FIN, no RST) gets
// 408 after the request timeout; others are served meanwhile; the
// connection and its buffers are released.
func TestSilentClient(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo, Limits: biplane.Limits{RequestTimeout: 300 * time.Millisecond}})
	silent := hs.Dial(t)
	silent.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Len")
	other := hs.Dial(t)
	for i := range 20 {
		other.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n" + strconv.Itoa(i%10))
		if resp, body := other.Response("POST"); resp.StatusCode != 200 || body != strconv.Itoa(i%10) {
			t.Fatalf("other client: %d %q", resp.StatusCode, body)
		}
	}
	other.Close()
	resp, _ := silent.Response("POST")
	if resp.StatusCode != 408 {
		t.Fatalf("silent client got %d, want 408", resp.StatusCode)
	}
	silent.ExpectEOF()
	silent.Close() // ends the lingering close at once
	hs.WaitConns(t, 0)
}

// TestIdleTimeout: RFC 9112 §9.5, an idle keep-alive connection is closed
// without a response.
func TestIdleTimeout(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo, Limits: biplane.Limits{IdleTimeout: 200 * time.Millisecond}})
	c := hs.Dial(t)
	c.Send(get("/"))
	c.Response("GET")
	c.ExpectEOF()
	hs.WaitConns(t, 0)
}

// TestConnectionCap: beyond MaxConns a new connection gets 503 and a close,
// never a hang; once a slot frees, service resumes.
func TestConnectionCap(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo, Limits: biplane.Limits{MaxConns: 2}})
	a, b := hs.Dial(t), hs.Dial(t)
	for _, c := range []*servertest.Conn{a, b} {
		c.Send(get("/"))
		c.Response("GET")
	}
	c := hs.Dial(t)
	c.Send(get("/"))
	resp, _ := c.Response("GET")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: got %d, want 503 with Retry-After", resp.StatusCode)
	}
	c.ExpectEOF()
	c.Close()
	a.Close()
	hs.WaitConns(t, 1)
	d := hs.Dial(t)
	d.Send(get("/"))
	if resp, _ := d.Response("GET"); resp.StatusCode != 200 {
		t.Fatalf("after a slot freed: %d", resp.StatusCode)
	}
}

// TestManyConnections: 1,000 concurrent keep-alive connections served by
// one loop, with no goroutine per connection.
func TestManyConnections(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	before := runtime.NumGoroutine()
	const n = 1000
	conns := make([]*servertest.Conn, n)
	for i := range conns {
		conns[i] = hs.Dial(t)
	}
	for round := range 2 {
		for i, c := range conns {
			c.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n" + fmt.Sprintf("%04d", (i+round)%10000))
		}
		for i, c := range conns {
			if resp, body := c.Response("POST"); resp.StatusCode != 200 || body != fmt.Sprintf("%04d", (i+round)%10000) {
				t.Fatalf("conn %d round %d: %d %q", i, round, resp.StatusCode, body)
			}
		}
	}
	hs.WaitConns(t, n)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines: %d before %d connections, %d with them", before, n, after)
	}
}

// TestPanic: a panicking handler costs its client a 500 and nothing else.
func TestPanic(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	var panics []any
	hs.Do(func() { hs.Server.OnPanic = func(v any) { panics = append(panics, v) } })
	other := hs.Dial(t)
	check := func() {
		other.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok")
		if resp, body := other.Response("POST"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("other client: %d %q", resp.StatusCode, body)
		}
	}
	check()
	c := hs.Dial(t)
	c.Send(get("/panic"))
	if resp, _ := c.Response("GET"); resp.StatusCode != 500 {
		t.Fatalf("panicking handler: got %d, want 500", resp.StatusCode)
	}
	check()
	c.Send(get("/fine")) // the panicking client's connection still works
	if resp, _ := c.Response("GET"); resp.StatusCode != 200 {
		t.Fatalf("after the panic: %d", resp.StatusCode)
	}
	hs.Do(func() {
		if len(panics) != 1 || panics[0] != "handler panic on purpose" {
			t.Errorf("OnPanic saw %v", panics)
		}
	})
}

// TestVanishingClient: a client that resets mid-response costs only its
// own connection.
func TestVanishingClient(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 8<<20)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		if string(r.Path()) == "/big" {
			return biplane.Response{Body: big}
		}
		return biplane.Response{Body: []byte("ok")}
	})})
	other := hs.Dial(t)
	for range 3 {
		c := hs.Dial(t)
		c.Send(get("/big"))
		if _, err := c.Reader.Peek(1024); err != nil {
			t.Fatal(err)
		}
		c.Conn.(*net.TCPConn).SetLinger(0) // RST, with the response half unread
		c.Close()
		other.Send(get("/"))
		if _, body := other.Response("GET"); body != "ok" {
			t.Fatalf("other client got %q", body)
		}
	}
	hs.WaitConns(t, 1)
}

// TestClients: Go's net/http client with keep-alive, concurrently, with
// fixed-length and chunked bodies.
func TestClients(t *testing.T) {
	hs := servertest.Start(t, &biplane.Server{Handler: echo})
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				want := strings.Repeat(strconv.Itoa(w), i*37)
				var body io.Reader = strings.NewReader(want)
				if i%2 == 1 {
					body = io.MultiReader(body) // unknown length: sent chunked
				}
				resp, err := client.Post("http://"+hs.Addr+"/c", "text/plain", body)
				if err != nil {
					errs <- err
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(got) != want {
					errs <- fmt.Errorf("worker %d request %d: got %d bytes, want %d", w, i, len(got), len(want))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
