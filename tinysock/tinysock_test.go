package tinysock

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
)

// listen starts a Listener over a new fakeDev, and stops its accept
// goroutine when the test ends. Each result the goroutine queues is
// signalled on the returned channel.
func listen(t *testing.T, cfg Config) (*fakeDev, *Listener, chan struct{}) {
	t.Helper()
	queued := make(chan struct{}, 16)
	testHookAccepted = func() { queued <- struct{}{} }
	d := newFakeDev()
	l, err := Listen(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		close(d.clients) // the fake's Accept returns: the goroutine ends
		// Wait for it: on a board, its stack is a good part of the heap.
		<-l.done
		testHookAccepted = nil
	})
	return d, l, queued
}

// connect makes one client connection and returns the Listener's Conn.
func connect(t *testing.T, d *fakeDev, l *Listener, queued chan struct{}, s *fakeSock) *Conn {
	t.Helper()
	d.clients <- s
	<-queued
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Conn)
}

func TestListen(t *testing.T) {
	connected := false
	d, l, _ := listen(t, Config{
		Connect: func() error { connected = true; return nil },
		Addr:    netip.MustParseAddrPort("192.168.4.1:8080"),
	})
	if !connected {
		t.Fatal("Config.Connect was not called")
	}
	want := "socket 2 1 6|bind 1 192.168.4.1:8080|listen 1 4"
	d.mu.Lock()
	got := strings.Join(d.calls, "|")
	d.mu.Unlock()
	if got != want {
		t.Fatalf("calls: got %q, want %q", got, want)
	}
	if _, err := l.Accept(); err != biplane.ErrWouldBlock {
		t.Fatalf("Accept with nobody connecting: got %v, want ErrWouldBlock", err)
	}
}

func TestListenErrors(t *testing.T) {
	fault := errors.New("no network")
	for _, tc := range []struct {
		name    string
		set     func(d *fakeDev, cfg *Config)
		want    error
		closeFd bool // the socket must be closed again
	}{
		{name: "connect", set: func(d *fakeDev, cfg *Config) { cfg.Connect = func() error { return fault } }, want: fault},
		{name: "socket", set: func(d *fakeDev, cfg *Config) { d.socketErr = fault }, want: fault},
		{name: "bind", set: func(d *fakeDev, cfg *Config) { d.bindErr = fault }, want: fault, closeFd: true},
		{name: "listen", set: func(d *fakeDev, cfg *Config) { d.listenErr = fault }, want: fault, closeFd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDev()
			var cfg Config
			tc.set(d, &cfg)
			if _, err := Listen(d, cfg); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.closeFd && (len(d.closes) != 1 || len(d.socks) != 0) {
				t.Fatalf("socket left open: closes %v", d.closes)
			}
		})
	}
}

func TestAcceptError(t *testing.T) {
	d := newFakeDev()
	d.acceptErr = errors.New("No more sockets")
	queued := make(chan struct{}, 16)
	testHookAccepted = func() { queued <- struct{}{} }
	defer func() { testHookAccepted = nil }()
	l, err := Listen(d, Config{Backlog: 1})
	if err != nil {
		t.Fatal(err)
	}
	<-queued
	_, err = l.Accept()
	var tmp interface{ Temporary() bool }
	if !errors.As(err, &tmp) || !tmp.Temporary() || !errors.Is(err, d.acceptErr) {
		t.Fatalf("got %v, want a temporary accept error", err)
	}
	l.Close()
	// The goroutine stops once it sees the close: it may first wait for
	// queue room (which Close made) and signal its last result.
	for {
		select {
		case <-queued:
			continue
		case <-l.done:
		}
		break
	}
}

func TestRead(t *testing.T) {
	wb := "<" + biplane.ErrWouldBlock.Error() + ">"
	for _, tc := range []struct {
		name string
		sock fakeSock
		buf  int
		want []string // each Read's bytes, or <error>
	}{
		{name: "split reads", sock: fakeSock{in: [][]byte{[]byte("GET / HTTP/1.1")}, maxRecv: 5}, buf: 64,
			want: []string{"GET /", " HTTP", "/1.1", wb}},
		{name: "small buffer", sock: fakeSock{in: [][]byte{[]byte("abcdef")}}, buf: 4,
			want: []string{"abcd", "ef", wb}},
		{name: "timeout between pieces", sock: fakeSock{in: [][]byte{[]byte("a"), nil, []byte("b")}, end: io.EOF}, buf: 8,
			want: []string{"a", wb, "b", "<EOF>"}},
		{name: "last bytes with EOF", sock: fakeSock{in: [][]byte{[]byte("bye")}, lastEOF: true}, buf: 8,
			want: []string{"bye", "<EOF>", "<EOF>"}},
		{name: "chip fault", sock: fakeSock{in: [][]byte{[]byte("x")}, end: errFault}, buf: 8,
			want: []string{"x", "<tinysock: recv (sockfd 2): chip fault>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, l, queued := listen(t, Config{Poll: 3 * time.Millisecond})
			before := time.Now()
			c := connect(t, d, l, queued, &tc.sock)
			buf := make([]byte, tc.buf)
			var got []string
			for range tc.want {
				n, err := c.Read(buf)
				switch {
				case err == io.EOF:
					got = append(got, "<EOF>")
				case err != nil:
					got = append(got, "<"+err.Error()+">")
				default:
					got = append(got, string(buf[:n]))
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for _, dl := range tc.sock.recvDeadlines {
				if dl.Before(before.Add(3*time.Millisecond)) || dl.After(time.Now().Add(3*time.Millisecond)) {
					t.Fatalf("Recv deadline %v is not Poll (3ms) after the call", dl.Sub(before))
				}
			}
		})
	}
}

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sock    fakeSock
		chunk   int
		p       string
		writes  []int // each Write's count, until done or an error
		wantErr error // of the last Write
	}{
		{name: "one chunk", sock: fakeSock{}, chunk: 8, p: "hello", writes: []int{5}},
		{name: "chunked, the loop between chunks", sock: fakeSock{}, chunk: 4, p: "0123456789", writes: []int{4, 4, 2}},
		{name: "the driver takes less", sock: fakeSock{maxSend: 3}, chunk: 8, p: "0123456789", writes: []int{3, 3, 3, 1}},
		{name: "send timeout fails the connection", sock: fakeSock{sendErr: errTimeout}, chunk: 8, p: "x", writes: []int{0}, wantErr: ErrSendTimeout},
		{name: "peer gone", sock: fakeSock{sendErr: io.EOF}, chunk: 8, p: "x", writes: []int{0}, wantErr: io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, l, queued := listen(t, Config{Chunk: tc.chunk, SendTimeout: time.Minute})
			c := connect(t, d, l, queued, &tc.sock)
			p := []byte(tc.p)
			var got []int
			var err error
			for len(got) < len(tc.writes) {
				var n int
				n, err = c.Write(p)
				got = append(got, n)
				p = p[n:]
				if err != biplane.ErrWouldBlock {
					break
				}
			}
			if !equalInts(got, tc.writes) || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("got counts %v, last error %v; want %v, %v", got, err, tc.writes, tc.wantErr)
			}
			if tc.wantErr == nil && string(tc.sock.out) != tc.p {
				t.Fatalf("sent %q, want %q", tc.sock.out, tc.p)
			}
			for _, dl := range tc.sock.sendDeadlines {
				if time.Until(dl) < 59*time.Second {
					t.Fatalf("Send deadline %v away, want about SendTimeout (1m)", time.Until(dl))
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClose(t *testing.T) {
	d, l, queued := listen(t, Config{})
	c := connect(t, d, l, queued, &fakeSock{})
	if c.RemoteAddr() != netip.MustParseAddrPort("192.0.2.7:50000") {
		t.Fatalf("RemoteAddr: got %v", c.RemoteAddr())
	}
	fd := c.Sockfd()
	if err := c.Close(); err != nil || d.sock(fd) != nil {
		t.Fatalf("Close: %v; the socket is still open: %v", err, d.sock(fd) != nil)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}

	// A connection accepted but not yet taken is closed by CloseAccept.
	d.clients <- &fakeSock{}
	<-queued
	if err := l.CloseAccept(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != ErrAcceptClosed {
		t.Fatalf("Accept after CloseAccept: got %v, want ErrAcceptClosed", err)
	}
	d.mu.Lock()
	open := len(d.socks)
	d.mu.Unlock()
	if open != 0 {
		t.Fatalf("%d sockets still open after CloseAccept", open)
	}
}

// TestServe runs a biplane.Server over the fake driver: a request split
// over reads and timeouts, a response sent in chunks, keep-alive, then a
// close.
func TestServe(t *testing.T) {
	d, l, queued := listen(t, Config{Chunk: 100})
	body := strings.Repeat("b", 700)
	s := &fakeSock{
		in: [][]byte{
			[]byte("POST /echo HTTP/1.1\r\nHo"), nil, []byte("st: a\r\nContent-Length: 700\r\n\r\n"),
			[]byte(body[:300]), nil, []byte(body[300:]),
			[]byte("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
		},
		maxRecv: 50,
		end:     io.EOF,
	}
	srv := &biplane.Server{Listener: l, NoDate: true,
		Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return biplane.Response{Body: r.Body()}
		})}
	defer srv.Close()
	d.clients <- s
	<-queued
	for i := 0; ; i++ {
		if i == 1000 {
			t.Fatalf("not done after 1000 steps; sent %q", s.out)
		}
		srv.Step()
		if srv.Conns() == 0 && i > 0 {
			break
		}
	}
	if n := bytes.Count(s.out, []byte("HTTP/1.1 200 OK\r\n")); n != 2 || !bytes.Contains(s.out, []byte("\r\n\r\n"+body)) {
		t.Fatalf("got %d responses in %q", n, s.out)
	}
}
