//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/netsock"
	"github.com/biplane-go/biplane/unixsock"
)

// pollingListener hides a listener's Waiter, so the server must poll every
// connection in turn, as it does over transports without readiness.
type pollingListener struct{ biplane.Listener }

// exercise runs a little of everything over hs: keep-alive, pipelining, a
// body, a refusal.
func exercise(t *testing.T, hs *servertest.Harness) {
	t.Helper()
	c := hs.Dial(t)
	for i := range 5 {
		body := strconv.Itoa(i)
		c.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n" + body + get("/"))
		if resp, got := c.Response("POST"); resp.StatusCode != 200 || got != body {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, got, body)
		}
		c.Response("GET")
	}
	c.Send("GET / HTTP/1.1\r\n\r\n") // no Host
	if resp, _ := c.Response("GET"); resp.StatusCode != 400 {
		t.Fatalf("got %d, want 400", resp.StatusCode)
	}
	c.ExpectEOF()
}

// listenLoopback opens a unixsock listener on a free loopback port, made
// with cfg; the harness serving it closes it.
func listenLoopback(t *testing.T, cfg unixsock.Config) *unixsock.Listener {
	t.Helper()
	ln, err := cfg.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestRemoteAddr checks that a handler sees the peer's address: the
// client's end of its connection, asked of the transport on demand.
func TestRemoteAddr(t *testing.T) {
	ln := listenLoopback(t, unixsock.Config{})
	h := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: []byte(r.RemoteAddr().String())}
	})
	hs := servertest.StartOn(t, &biplane.Server{Listener: ln, Handler: h}, ln.Addr().String())
	c := hs.Dial(t)
	for range 2 {
		c.Send(get("/"))
		if resp, got := c.Response("GET"); resp.StatusCode != 200 || got != c.LocalAddr().String() {
			t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, got, c.LocalAddr())
		}
	}
}

func TestPollingMode(t *testing.T) {
	ln := listenLoopback(t, unixsock.Config{})
	hs := servertest.StartOn(t, &biplane.Server{Listener: pollingListener{ln}, Handler: echo}, ln.Addr().String())
	exercise(t, hs)
}

func TestPollMode(t *testing.T) {
	ln := listenLoopback(t, unixsock.Config{UsePoll: true})
	exercise(t, servertest.StartOn(t, &biplane.Server{Listener: ln, Handler: echo}, ln.Addr().String()))
}

// hiddenListener hides a net.Listener's type, so that netsock takes its
// fallback path, as it would for a crypto/tls listener.
type hiddenListener struct{ net.Listener }

func TestNetsock(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "fd", true: "fallback"}[fallback], func(t *testing.T) {
			nl, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nl.Close() })
			var arg net.Listener = nl
			if fallback {
				arg = hiddenListener{nl}
			}
			ln, err := netsock.New(arg)
			if err != nil {
				t.Fatal(err)
			}
			exercise(t, servertest.StartOn(t, &biplane.Server{Listener: ln, Handler: echo}, nl.Addr().String()))
		})
	}
}

// TestMemsock serves a net/http client over in-memory connections.
func TestMemsock(t *testing.T) {
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: echo}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			c, err := ln.Dial()
			return memConn{c}, err
		}}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		for i := range 20 {
			want := strings.Repeat("m", i*1000)
			resp, err := client.Post("http://mem/", "text/plain", strings.NewReader(want))
			if err != nil {
				t.Error(err)
				return
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != want {
				t.Errorf("request %d: got %d bytes, want %d", i, len(got), len(want))
				return
			}
		}
	}()
	for srv.Step() {
		select {
		case <-done:
			srv.Close()
		default:
			srv.Wait(10 * time.Millisecond)
		}
	}
	if err := srv.Err(); err != nil {
		t.Fatal(err)
	}
}

// memConn gives a memsock.Client the rest of net.Conn's methods.
type memConn struct{ *memsock.Client }

func (memConn) LocalAddr() net.Addr  { return memAddr{} }
func (memConn) RemoteAddr() net.Addr { return memAddr{} }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }

// TestManyConns: with more connections than the server searches in turn,
// a report finds its connection by its tag (unixsock's Conn is a Tagger)
// or in the map (the same listener, its Conns' Tag hidden), also after
// connections in the middle of the server's list have closed and others
// moved into their places.
func TestManyConns(t *testing.T) {
	for _, hide := range []bool{false, true} {
		t.Run(map[bool]string{false: "tagged", true: "map"}[hide], func(t *testing.T) {
			ln := listenLoopback(t, unixsock.Config{})
			var l biplane.Listener = ln
			if hide {
				l = untaggedListener{ln}
			}
			hs := servertest.StartOn(t, &biplane.Server{Listener: l, Handler: echo}, ln.Addr().String())
			const n = 24
			conns := make([]*servertest.Conn, n)
			for i := range conns {
				conns[i] = hs.Dial(t)
			}
			hs.WaitConns(t, n)
			for round := range 3 {
				// Answered last-dialled first, so reports come in an order
				// of their own.
				for i := n - 1; i >= 0; i-- {
					if conns[i] == nil {
						continue
					}
					body := strconv.Itoa(round*100 + i)
					conns[i].Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
				}
				for i, c := range conns {
					if c == nil {
						continue
					}
					want := strconv.Itoa(round*100 + i)
					if resp, got := c.Response("POST"); resp.StatusCode != 200 || got != want {
						t.Fatalf("round %d, conn %d: got %d %q, want 200 %q", round, i, resp.StatusCode, got, want)
					}
				}
				// Close every third: the server moves its last
				// connections into their places.
				for i := round; i < n; i += 3 {
					if conns[i] != nil {
						conns[i].Send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
						conns[i].Response("GET")
						conns[i].ExpectEOF()
						conns[i] = nil
					}
				}
			}
		})
	}
}

// untaggedListener hands out unixsock's Conns without their Tag methods.
type untaggedListener struct{ *unixsock.Listener }

type untaggedConn struct {
	biplane.Conn
}

func (l untaggedListener) Accept() (biplane.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return untaggedConn{c}, nil
}

func (l untaggedListener) Wait(ready []biplane.Conn, timeout time.Duration) ([]biplane.Conn, bool, error) {
	start := len(ready)
	ready, acceptable, err := l.Listener.Wait(ready, timeout)
	for i := start; i < len(ready); i++ {
		ready[i] = untaggedConn{ready[i]}
	}
	return ready, acceptable, err
}
