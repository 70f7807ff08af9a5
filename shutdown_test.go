//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1. See README.md, "TinyGo".

package biplane_test

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/servertest"
)

// TestShutdown: clients doing keep-alive requests in a loop while the
// server shuts down see every request the server handled answered; the
// requests that fail are ones the server never read, and new connections
// are refused.
func TestShutdown(t *testing.T) {
	var handled int // on the loop
	hs := servertest.Start(t, &biplane.Server{Handler: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		handled++
		return biplane.Response{Body: []byte("ok")}
	})})
	const clients = 4
	answered := make([]int, clients)
	started := make(chan struct{}, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", hs.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(nc)
			for n := 0; ; n++ {
				if n == 10 {
					started <- struct{}{}
				}
				if _, err := nc.Write([]byte(get("/"))); err != nil {
					return // closed by the server: this request was not read
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					return // no response at all: not read either
				}
				resp.Body.Close()
				answered[i]++
				if resp.Close {
					return // the server's last word on this connection
				}
			}
		}()
	}
	for range clients {
		<-started
	}
	hs.Server.Shutdown(10 * time.Second) // from another goroutine, as a signal handler would
	wg.Wait()
	<-hs.Done()
	total := 0
	for _, n := range answered {
		total += n
	}
	if total != handled {
		t.Fatalf("the handler ran %d times, clients got %d responses", handled, total)
	}
	if total < clients*10 {
		t.Fatalf("only %d responses", total)
	}
	if c, err := net.Dial("tcp", hs.Addr); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted after shutdown")
	}
	if st := hs.Server.Stats(); st.Open != 0 || st.Requests != uint64(handled) {
		t.Fatalf("stats after shutdown: %+v", st)
	}
}
