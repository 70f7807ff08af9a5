//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package sse

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// waitLen waits until b has n subscribers.
func waitLen(t *testing.T, hs *servertest.Harness, b *Broker, n int) {
	t.Helper()
	hs.WaitFor(t, "Len() == "+strconv.Itoa(n), func() bool { return b.Len() == n })
}

// publish publishes evs on the loop.
func publish(t *testing.T, hs *servertest.Harness, b *Broker, evs ...Event) {
	t.Helper()
	var err error
	hs.Do(func() {
		for _, ev := range evs {
			if err = b.Publish(ev); err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An sseClient reads an event stream and parses it as EventSource does.
type sseClient struct {
	t    *testing.T
	resp *http.Response
	body io.Reader
	p    *specParser
	seen int // events returned by next
	err  error
}

// get subscribes with Go's net/http client and checks the response head.
func get(t *testing.T, hs *servertest.Harness, path string, header ...string) *sseClient {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	req, err := http.NewRequest("GET", "http://"+hs.Addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		resp.Body.Close()
		tr.CloseIdleConnections()
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("Transfer-Encoding %q, want chunked (RFC 9112 §7.1)", resp.TransferEncoding)
	}
	return &sseClient{t: t, resp: resp, body: resp.Body, p: newSpecParser()}
}

// fill reads once from the stream into the parser.
func (c *sseClient) fill() bool {
	if c.err != nil {
		return false
	}
	buf := make([]byte, 4096)
	n, err := c.body.Read(buf)
	c.p.feed(buf[:n])
	c.err = err
	return n > 0 || err == nil
}

// next returns the next event, failing if the stream ends first.
func (c *sseClient) next() specEvent {
	c.t.Helper()
	for c.seen == len(c.p.events) {
		if !c.fill() {
			c.t.Fatalf("stream ended after %d events: %v", c.seen, c.err)
		}
	}
	c.seen++
	return c.p.events[c.seen-1]
}

// expect reads the next event and checks it is testEvent(id, size).
func (c *sseClient) expect(id, size int) {
	c.t.Helper()
	got, want := c.next(), testEvent(id, size)
	if got.LastID != want.ID || got.Data != want.Data {
		c.t.Fatalf("event %+v, want ID %s, %d bytes of data", got, want.ID, len(want.Data))
	}
}

// comments reads until the stream has held n comments, and returns them.
func (c *sseClient) comments(n int) []string {
	c.t.Helper()
	for len(c.p.comments) < n {
		if !c.fill() {
			c.t.Fatalf("stream ended after %d comments: %v", len(c.p.comments), c.err)
		}
	}
	return c.p.comments
}

// rest reads the stream to its end and returns the error that ended it
// (nil for a properly ended body).
func (c *sseClient) rest() error {
	for c.fill() {
	}
	if c.err == io.EOF {
		return nil
	}
	return c.err
}

// eventsHandler serves b on /events, as a program's Mux would.
func eventsHandler(b *Broker) biplane.Handler {
	var mux biplane.Mux
	mux.Handle("/events", b)
	return &mux
}

// TestStreamEvents sends the same events, in order, to several
// subscribers on Go's net/http client, each event read back as
// EventSource reads it (HTML §9.2.6).
func TestStreamEvents(t *testing.T) {
	events := []Event{
		{Data: "first"},
		{Data: "line one\nline two\r\nline three\rline four"},
		{Type: "reading", ID: "7", Data: "21.5"},
		{Data: ""},
		{Data: "\n\n"},
		{Type: "retry", Retry: 1500 * time.Millisecond, Data: " spaced "},
		{ID: "8", Data: strings.Repeat("long ", 2000)}, // more than the write buffer
		{Data: "last"},
	}
	for _, n := range []int{1, 3, 10} {
		t.Run(strconv.Itoa(n)+" subscribers", func(t *testing.T) {
			b := &Broker{}
			hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b)})
			clients := make([]*sseClient, n)
			for i := range clients {
				clients[i] = get(t, hs, "/events")
			}
			waitLen(t, hs, b, n)
			publish(t, hs, b, events...)
			for i, c := range clients {
				lastID, retry := "", int64(-1)
				for _, ev := range events {
					got := c.next()
					if ev.ID != "" {
						lastID = ev.ID
					}
					if ev.Retry > 0 {
						retry = ev.Retry.Milliseconds()
					}
					want := specEvent{Type: ev.Type, Data: normalize(ev.Data), LastID: lastID, Retry: retry}
					if want.Type == "" {
						want.Type = "message"
					}
					if got != want {
						t.Fatalf("client %d: %+v, want %+v", i, got, want)
					}
				}
				if cs := c.p.comments; len(cs) != 1 || cs[0] != "ok" {
					t.Errorf("client %d: comments %q, want the opening one", i, cs)
				}
			}
			var st Stats
			hs.Do(func() { st = b.Stats() })
			if st.Subscribed != uint64(n) || st.Published != uint64(len(events)) || st.Dropped != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// dialSlow opens a raw TCP connection with a small receive buffer, so
// that a client that reads nothing fills up soon.
func dialSlow(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestSlowSubscriber publishes to fast clients, which read each batch of
// events before the next, and to a raw TCP client that reads nothing
// until the broker's Slow policy has acted on it. The fast clients get
// every event throughout; the slow one gets whole events with a gap
// (DropOldest), or a prefix of them and a cut-off body (Disconnect), or
// is closed by the server's WriteTimeout if it never reads.
func TestSlowSubscriber(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		reads  bool
	}{
		{"drop oldest", DropOldest, true},
		{"disconnect", Disconnect, true},
		{"disconnect, peer reads nothing", Disconnect, false},
	}
	const (
		nfast  = 3
		size   = 1000 // data bytes per event
		batch  = 6    // events per round: fits in a fast subscriber's buffer
		buffer = 8 << 10
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &Broker{BufferSize: buffer, Slow: tc.policy}
			lim := biplane.Limits{}
			if !tc.reads {
				lim.WriteTimeout = 200 * time.Millisecond
			}
			hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b), Limits: lim})
			fast := make([]*sseClient, nfast)
			for i := range fast {
				fast[i] = get(t, hs, "/events")
			}
			slow, slowBr := dialSlow(t, hs.Addr)
			if _, err := io.WriteString(slow, "GET /events HTTP/1.1\r\nHost: t\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			waitLen(t, hs, b, nfast+1)

			// Publish until the policy acts, then three more rounds.
			next, after := 0, -1
			var st Stats
			for round := 0; round != after; round++ {
				if round == 20000 {
					t.Fatalf("policy did not act after %d events: %+v", next, st)
				}
				hs.Do(func() {
					for range batch {
						if err := b.Publish(testEvent(next, size)); err != nil {
							t.Error(err)
						}
						next++
					}
					st = b.Stats()
				})
				for _, c := range fast {
					for id := next - batch; id < next; id++ {
						c.expect(id, size)
					}
				}
				if after < 0 && (st.Dropped > 0 || st.Disconnected > 0) {
					after = round + 4
				}
			}
			var n int
			hs.Do(func() { n, st = b.Len(), b.Stats() })
			if tc.policy == DropOldest {
				if n != nfast+1 || st.Disconnected != 0 {
					t.Fatalf("Len %d, stats %+v; want %d subscribers", n, st, nfast+1)
				}
			} else if n != nfast || st.Disconnected != 1 || st.Dropped != 0 {
				t.Fatalf("Len %d, stats %+v; want %d subscribers, 1 disconnected", n, st, nfast)
			}
			if !tc.reads {
				hs.WaitConns(t, nfast)
				hs.Do(func() {
					if wt := hs.Server.Stats().WriteTimeouts; wt != 1 {
						t.Errorf("WriteTimeouts = %d, want 1", wt)
					}
				})
				return
			}

			resp, err := http.ReadResponse(slowBr, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &sseClient{t: t, resp: resp, body: resp.Body, p: newSpecParser()}
			if tc.policy == DropOldest {
				// The newest event reaches it, after whole older ones.
				publish(t, hs, b, testEvent(next, size))
				next++
				for {
					ev := c.next()
					id, _ := strconv.Atoi(ev.LastID)
					if want := testEvent(id, size); ev.LastID != want.ID || ev.Data != want.Data {
						t.Fatalf("event %+v is not event %d as published", ev, id)
					}
					if c.seen > 1 && id <= mustAtoi(t, c.p.events[c.seen-2].LastID) {
						t.Fatalf("event %d after %s", id, c.p.events[c.seen-2].LastID)
					}
					if id == next-1 {
						break
					}
				}
				hs.Do(func() { st = b.Stats() })
				if missed := uint64(next - c.seen); missed != st.Dropped || missed == 0 {
					t.Errorf("%d events published, %d received, %d dropped", next, c.seen, st.Dropped)
				}
				return
			}
			// Disconnect: the events queued before, in order, then a body
			// cut short (no last chunk), and the connection closed.
			if err := c.rest(); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("end of the slow stream: %v, want unexpected EOF", err)
			}
			if len(c.p.events) == 0 {
				t.Fatal("the slow client got no event at all")
			}
			if len(c.p.line) != 0 || len(c.p.data) != 0 {
				t.Errorf("the slow stream ends inside an event: %q, %q", c.p.line, c.p.data)
			}
			t.Logf("%d events published, %d sent to the slow client before its disconnection", next, len(c.p.events))
			for i, ev := range c.p.events {
				if want := testEvent(i, size); ev.LastID != want.ID || ev.Data != want.Data {
					t.Fatalf("event %d: %+v, want it whole", i, ev)
				}
			}
			hs.WaitConns(t, nfast)
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSubscriberGone removes the subscriber of a client that closed its
// connection, once a write to it fails, and of every client when the
// server closes.
func TestSubscriberGone(t *testing.T) {
	b := &Broker{}
	hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b)})
	stay, leave := get(t, hs, "/events"), get(t, hs, "/events")
	waitLen(t, hs, b, 2)
	leave.resp.Body.Close()
	// The peer's close is seen when a write fails: the first write after
	// it may still succeed (the kernel takes it, the peer resets).
	for i := 0; ; i++ {
		var n int
		hs.Do(func() {
			b.PublishData(strconv.Itoa(i))
			n = b.Len()
		})
		stay.expect2(strconv.Itoa(i))
		if n == 1 {
			break
		}
		if i == 1000 {
			t.Fatal("subscriber still there after 1000 events to a closed peer")
		}
	}
	hs.WaitConns(t, 1)
	var n int
	hs.Do(func() {
		hs.Server.Close()
		n = b.Len()
	})
	if n != 0 {
		t.Errorf("Len = %d after the server's Close, want 0", n)
	}
}

// expect2 reads the next event and checks its data.
func (c *sseClient) expect2(data string) {
	c.t.Helper()
	if got := c.next(); got.Data != data {
		c.t.Fatalf("event %+v, want data %q", got, data)
	}
}

// TestHeartbeat sends comments to idle subscribers: on demand, and from
// Tick in the loop, which keeps a stream open past the server's
// IdleTimeout (each comment moves bytes); without it the server closes
// the stream and the subscriber leaves.
func TestHeartbeat(t *testing.T) {
	t.Run("Heartbeat", func(t *testing.T) {
		t.Parallel()
		b := &Broker{}
		hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b)})
		c := get(t, hs, "/events")
		waitLen(t, hs, b, 1)
		hs.Do(b.Heartbeat)
		publish(t, hs, b, Event{Data: "x"})
		hs.Do(b.Heartbeat)
		if got := c.comments(3); strings.Join(got, ",") != "ok,ping,ping" {
			t.Errorf("comments %q", got)
		}
		if len(c.p.events) != 1 {
			t.Errorf("events %+v, want one between the comments", c.p.events)
		}
	})
	const idle = 500 * time.Millisecond
	t.Run("Tick keeps the stream open", func(t *testing.T) {
		t.Parallel()
		b := &Broker{HeartbeatInterval: 10 * time.Millisecond}
		hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b), Limits: biplane.Limits{IdleTimeout: idle}})
		hs.BetweenSteps(func() { b.Tick(time.Now()) })
		c := get(t, hs, "/events")
		start := time.Now()
		for n := 2; time.Since(start) < 3*idle; n++ {
			c.comments(n)
		}
		publish(t, hs, b, Event{Data: "still here"})
		c.expect2("still here")
		hs.Do(func() {
			if n := hs.Server.Stats().IdleTimeouts; n != 0 {
				t.Errorf("IdleTimeouts = %d, want 0", n)
			}
		})
	})
	t.Run("without Tick the server closes it", func(t *testing.T) {
		t.Parallel()
		b := &Broker{}
		hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b), Limits: biplane.Limits{IdleTimeout: idle}})
		c := get(t, hs, "/events")
		if err := c.rest(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("end of stream: %v, want unexpected EOF", err)
		}
		waitLen(t, hs, b, 0)
		hs.Do(func() {
			if n := hs.Server.Stats().IdleTimeouts; n != 1 {
				t.Errorf("IdleTimeouts = %d, want 1", n)
			}
		})
	})
}

// TestLastEventID hands the client's Last-Event-ID (HTML §9.2.4) to the
// handler, which resends what the client missed before the live events.
func TestLastEventID(t *testing.T) {
	history := []Event{{ID: "1", Data: "a"}, {ID: "2", Data: "b"}, {ID: "3", Data: "c"}}
	b := &Broker{}
	var mux biplane.Mux
	ids := make(chan string, 1)
	mux.HandleFunc("GET /events", func(r *biplane.Request) biplane.Response {
		resp, sub := b.Subscribe(r)
		if sub == nil {
			return resp
		}
		ids <- sub.LastEventID()
		if last := sub.LastEventID(); last != "" {
			for i, ev := range history {
				if ev.ID == last {
					for _, ev := range history[i+1:] {
						if err := sub.Send(ev); err != nil {
							panic(err)
						}
					}
				}
			}
		}
		return resp
	})
	hs := servertest.Start(t, &biplane.Server{Handler: &mux})
	cases := []struct {
		header []string
		id     string
		want   string
	}{
		{nil, "", "live"},
		{[]string{"Last-Event-ID", "1"}, "1", "b c live"},
		{[]string{"Last-Event-ID", "3"}, "3", "live"},
		{[]string{"Last-Event-ID", "zz top"}, "zz top", "live"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			c := get(t, hs, "/events", tc.header...)
			if got := <-ids; got != tc.id {
				t.Errorf("LastEventID() = %q, want %q", got, tc.id)
			}
			publish(t, hs, b, Event{ID: "4", Data: "live"})
			var got []string
			for len(got) == 0 || got[len(got)-1] != "live" {
				got = append(got, c.next().Data)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			c.resp.Body.Close()
		})
	}
}

// TestMethods: HEAD gets the head of the stream and no body (RFC 9110
// §9.3.2) and adds no subscriber; other methods get 405 with Allow (RFC
// 9110 §15.5.6) from Broker.Respond; an HTTP/1.0 client gets the stream
// delimited by the connection's close (RFC 9112 §6.3).
func TestMethods(t *testing.T) {
	b := &Broker{}
	hs := servertest.Start(t, &biplane.Server{Handler: b}) // the Broker as the whole Handler
	for _, tc := range []struct {
		method string
		status int
		allow  string
	}{
		{"HEAD", 200, ""},
		{"POST", 405, "GET, HEAD"},
		{"PUT", 405, "GET, HEAD"},
		{"OPTIONS", 405, "GET, HEAD"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			c, br := dialSlow(t, hs.Addr)
			io.WriteString(c, tc.method+" /events HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
			resp, err := http.ReadResponse(br, &http.Request{Method: tc.method})
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
				t.Errorf("%d, Allow %q; want %d, %q", resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow)
			}
			if tc.method == "HEAD" {
				if len(body) != 0 || resp.Header.Get("Content-Type") != "text/event-stream" ||
					resp.Header.Get("Content-Length") != "" || resp.Header.Get("Transfer-Encoding") != "" {
					t.Errorf("HEAD: head %v, body %q", resp.Header, body)
				}
			}
			var n int
			hs.Do(func() { n = b.Len() })
			if n != 0 {
				t.Errorf("Len = %d, want 0", n)
			}
		})
	}
	t.Run("HTTP/1.0", func(t *testing.T) {
		c, br := dialSlow(t, hs.Addr)
		io.WriteString(c, "GET /events HTTP/1.0\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TransferEncoding != nil || resp.ContentLength != -1 || !resp.Close {
			t.Errorf("HTTP/1.0 head: %v", resp.Header)
		}
		waitLen(t, hs, b, 1)
		publish(t, hs, b, Event{Data: "one"}, Event{Data: "two"})
		hs.Do(b.Close)
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if want := ": ok\n\ndata: one\n\ndata: two\n\n"; string(body) != want {
			t.Errorf("body %q, want %q", body, want)
		}
	})
}

// TestBrokerClose ends every stream after its queued events, with the
// chunked body's proper end; the connection then serves the next request,
// which gets 204 No Content (HTML §9.2.7: EventSource stops reconnecting).
func TestBrokerClose(t *testing.T) {
	b := &Broker{}
	hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b)})
	clients := []*sseClient{get(t, hs, "/events"), get(t, hs, "/events")}
	waitLen(t, hs, b, 2)
	var err error
	hs.Do(func() {
		for _, d := range []string{"1", "2", "3"} {
			b.PublishData(d)
		}
		b.Close()
		err = b.PublishData("after")
	})
	if err != ErrClosed {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	for i, c := range clients {
		if err := c.rest(); err != nil {
			t.Errorf("client %d: %v, want a properly ended body", i, err)
		}
		var got []string
		for _, ev := range c.p.events {
			got = append(got, ev.Data)
		}
		if strings.Join(got, ",") != "1,2,3" {
			t.Errorf("client %d: events %q", i, got)
		}
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 60 * time.Second}
	resp, err := client.Get("http://" + hs.Addr + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	client.CloseIdleConnections()
	if resp.StatusCode != 204 {
		t.Errorf("after Close: status %d, want 204", resp.StatusCode)
	}
	var n int
	hs.Do(func() { n = b.Len() })
	if n != 0 {
		t.Errorf("Len = %d, want 0", n)
	}
}

// TestSubscriberClose: the program ends one stream gracefully; the other
// goes on.
func TestSubscriberClose(t *testing.T) {
	b := &Broker{}
	subs := make(chan *Subscriber, 2)
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		resp, s := b.Subscribe(r)
		subs <- s
		return resp
	})})
	c1 := get(t, hs, "/")
	s1 := <-subs
	c2 := get(t, hs, "/")
	<-subs
	hs.Do(func() {
		b.PublishData("both")
		s1.Close()
		b.PublishData("second only")
	})
	if err := c1.rest(); err != nil || len(c1.p.events) != 1 || c1.p.events[0].Data != "both" {
		t.Errorf("closed stream: %+v, %v; want one event, a proper end", c1.p.events, err)
	}
	c2.expect2("both")
	c2.expect2("second only")
	var n int
	hs.Do(func() { n = b.Len() })
	if n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
}

// TestCurl receives events with curl -N.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	b := &Broker{}
	hs := servertest.Start(t, &biplane.Server{Handler: eventsHandler(b)})
	cmd := exec.Command(curl, "-sS", "-N", "--max-time", "30", "http://"+hs.Addr+"/events")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitLen(t, hs, b, 1)
	publish(t, hs, b, Event{ID: "1", Data: "hello"}, Event{Type: "reading", ID: "2", Data: "21.5\n22.0"})
	p := newSpecParser()
	br := bufio.NewReader(out)
	for len(p.events) < 2 {
		line, err := br.ReadBytes('\n')
		if err != nil {
			t.Fatalf("curl output ended after %+v: %v", p.events, err)
		}
		p.feed(line)
	}
	want := []specEvent{{"message", "hello", "1", -1}, {"reading", "21.5\n22.0", "2", -1}}
	for i := range want {
		if p.events[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, p.events[i], want[i])
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	killed = true
	for i := 0; ; i++ {
		var n int
		hs.Do(func() {
			b.Heartbeat()
			n = b.Len()
		})
		if n == 0 {
			break
		}
		if i == 1000 {
			t.Fatal("curl's subscriber still there after 1000 heartbeats")
		}
	}
}
