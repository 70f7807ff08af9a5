package sim

import (
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
)

// A Workload is the program the simulated clients talk to: a Mux with
// handlers whose answers the clients can predict, receivers and streams
// that hold back at random and are woken from the loop, and the record of
// every receiver, to check that each was ended exactly once.
type Workload struct {
	net       *Net
	Mux       biplane.Mux
	Receivers []*Receiver
	wakeups   []wakeup
}

// A wakeup is a receiver's or stream's handle, and when the program will
// have room or data for it again.
type wakeup struct {
	wk    biplane.Wakeup
	until *time.Time
}

// holdFor returns how long the program holds a receiver or stream back:
// mostly moments, and one time in odds seconds (a flash erase, a slow
// signature check).
func holdFor(n *Net, odds int) time.Duration {
	if n.R.IntN(odds) == 0 {
		return time.Duration(n.R.IntN(7000)) * time.Millisecond
	}
	return time.Duration(n.R.IntN(20)) * time.Millisecond
}

// NewWorkload returns the handlers for n's clients:
//
//	GET  /hello          "hello, world\n"
//	GET  /close          the same, with Connection: close
//	POST /echo           the body back (buffered)
//	PUT  /up             the body to a Receiver: "<bytes> <fnv64a>", maybe late
//	PUT  /no             refused on its head with 403
//	GET  /stream/{n}     n pattern bytes from a Stream, chunked
func NewWorkload(n *Net) *Workload {
	w := &Workload{net: n}
	w.Mux.HandleFunc("GET /hello", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/plain", Body: helloBody}
	})
	w.Mux.HandleFunc("GET /close", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/plain", Body: helloBody, Header: []biplane.Field{{Name: "Connection", Value: "close"}}}
	})
	w.Mux.HandleFunc("POST /echo", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: r.Body()}
	})
	w.Mux.Handle("PUT /up", biplane.Receive(func(r *biplane.Request) biplane.Response {
		r.LimitBody(biplane.BodyLimits{MaxBytes: 1 << 20})
		rc := &Receiver{net: n, sum: fnv.New64a()}
		w.Receivers = append(w.Receivers, rc)
		w.wakeups = append(w.wakeups, wakeup{r.Wakeup(), &rc.until})
		return biplane.Response{Receive: rc}
	}))
	w.Mux.Handle("PUT /no", biplane.Receive(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Status: 403}
	}))
	w.Mux.HandleFunc("GET /stream/{n}", func(r *biplane.Request) biplane.Response {
		size, _ := strconv.Atoi(r.PathValue("n"))
		st := &stream{net: n, left: size}
		w.wakeups = append(w.wakeups, wakeup{r.Wakeup(), &st.until})
		return biplane.Response{Stream: st}
	})
	return w
}

var helloBody = []byte("hello, world\n")

// WakeSome wakes the receivers and streams whose hold has passed, as a
// program does when its flash page is written or it has a new event, and
// some others early (a spurious Wake must do no harm).
func (w *Workload) WakeSome() {
	keep := w.wakeups[:0]
	for _, x := range w.wakeups {
		if x.wk.Closed() {
			continue
		}
		if !w.net.Now.Before(*x.until) || w.net.R.IntN(50) == 0 {
			x.wk.Wake()
		}
		keep = append(keep, x)
	}
	w.wakeups = keep
}

// NextWake returns when the next hold passes, and false if none is due.
func (w *Workload) NextWake() (time.Time, bool) {
	var next time.Time
	found := false
	for _, x := range w.wakeups {
		if x.wk.Closed() || !x.until.After(w.net.Now) {
			continue
		}
		if !found || x.until.Before(next) {
			next, found = *x.until, true
		}
	}
	return next, found
}

// A Receiver takes /up's bodies, holding back at random.
type Receiver struct {
	net *Net
	n   int
	sum interface {
		Write([]byte) (int, error)
		Sum64() uint64
	}
	dones   int
	aborts  []error
	waiting bool      // Done answered ErrWouldBlock once
	until   time.Time // held back until then
}

func (rc *Receiver) Write(p []byte) (int, error) {
	if rc.net.Now.Before(rc.until) {
		return 0, biplane.ErrWouldBlock
	}
	if rc.net.R.IntN(4) == 0 {
		k := rc.net.R.IntN(len(p))
		rc.take(p[:k])
		rc.until = rc.net.Now.Add(holdFor(rc.net, 16))
		return k, biplane.ErrWouldBlock
	}
	rc.take(p)
	return len(p), nil
}

func (rc *Receiver) take(p []byte) {
	rc.n += len(p)
	rc.sum.Write(p)
}

func (rc *Receiver) Done() (biplane.Response, error) {
	if rc.net.Now.Before(rc.until) {
		return biplane.Response{}, biplane.ErrWouldBlock
	}
	if !rc.waiting && rc.net.R.IntN(3) == 0 {
		rc.waiting = true
		rc.until = rc.net.Now.Add(holdFor(rc.net, 2)) // checking a signature
		return biplane.Response{}, biplane.ErrWouldBlock
	}
	rc.dones++
	return biplane.Response{Body: upBody(rc.n, rc.sum.Sum64())}, nil
}

func (rc *Receiver) Abort(err error) { rc.aborts = append(rc.aborts, err) }

// Ended returns how many times rc was ended: its Done's answer, or Abort.
func (rc *Receiver) Ended() int { return rc.dones + len(rc.aborts) }

func upBody(n int, sum uint64) []byte { return fmt.Appendf(nil, "%d %016x", n, sum) }

// stream produces /stream's pattern bytes, holding back at random.
type stream struct {
	net   *Net
	off   int
	left  int
	until time.Time // held back until then
}

func patternByte(i int) byte { return byte('a' + i%23) }

func (s *stream) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if s.net.Now.Before(s.until) {
		return 0, biplane.ErrWouldBlock
	}
	if s.net.R.IntN(4) == 0 {
		s.until = s.net.Now.Add(holdFor(s.net, 16))
		return 0, biplane.ErrWouldBlock
	}
	k := min(len(p), s.left, 1+s.net.R.IntN(4096))
	for i := range k {
		p[i] = patternByte(s.off + i)
	}
	s.off += k
	s.left -= k
	return k, nil
}

// Exchange makes a random exchange: mostly valid requests of every kind,
// with some hostile ones.
func (w *Workload) Exchange() Exchange {
	r := w.net.R
	body := func(max int) []byte {
		b := make([]byte, r.IntN(max+1))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	chunked := func(b []byte) string {
		var sb strings.Builder
		for len(b) > 0 {
			k := 1 + r.IntN(len(b))
			fmt.Fprintf(&sb, "%x\r\n%s\r\n", k, b[:k])
			b = b[k:]
		}
		sb.WriteString("0\r\n\r\n")
		return sb.String()
	}
	switch k := r.IntN(20); {
	case k < 4:
		return Exchange{"hello", []byte("GET /hello HTTP/1.1\r\nHost: sim\r\n\r\n"), Want{Status: 200, Body: helloBody}}
	case k < 6:
		b := body(3000)
		return Exchange{"echo", fmt.Appendf(nil, "POST /echo HTTP/1.1\r\nHost: sim\r\nContent-Length: %d\r\n\r\n%s", len(b), b), Want{Status: 200, Body: b}}
	case k < 8:
		b := body(3000)
		return Exchange{"echo chunked", []byte("POST /echo HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b)), Want{Status: 200, Body: b}}
	case k < 10:
		b := body(8000)
		h := fnv.New64a()
		h.Write(b)
		expect := ""
		if r.IntN(2) == 0 {
			expect = "Expect: 100-continue\r\n"
		}
		return Exchange{"upload", fmt.Appendf(nil, "PUT /up HTTP/1.1\r\nHost: sim\r\n%sContent-Length: %d\r\n\r\n%s", expect, len(b), b), Want{Status: 200, Body: upBody(len(b), h.Sum64())}}
	case k < 12:
		b := body(8000)
		h := fnv.New64a()
		h.Write(b)
		return Exchange{"upload chunked", []byte("PUT /up HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b)), Want{Status: 200, Body: upBody(len(b), h.Sum64())}}
	case k < 14:
		n := r.IntN(12000)
		b := make([]byte, n)
		for i := range b {
			b[i] = patternByte(i)
		}
		return Exchange{"stream", fmt.Appendf(nil, "GET /stream/%d HTTP/1.1\r\nHost: sim\r\n\r\n", n), Want{Status: 200, Body: b}}
	case k < 15:
		b := body(100)
		return Exchange{"refused on the head", fmt.Appendf(nil, "PUT /no HTTP/1.1\r\nHost: sim\r\nContent-Length: %d\r\n\r\n%s", len(b), b), Want{Status: 403, Body: []byte{}}}
	case k < 16:
		return Exchange{"close", []byte("GET /close HTTP/1.1\r\nHost: sim\r\n\r\n"), Want{Status: 200, Body: helloBody, Close: true}}
	}
	// Hostile: each gets an error and a close, or just the close.
	switch r.IntN(6) {
	case 0:
		return Exchange{"CL+TE", []byte("POST /echo HTTP/1.1\r\nHost: sim\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Want{}}
	case 1:
		return Exchange{"bare LF", []byte("GET /hello HTTP/1.1\nHost: sim\n\n"), Want{}}
	case 2:
		return Exchange{"bad chunk", []byte("POST /echo HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc\r\n0\r\n\r\n"), Want{}}
	case 3:
		return Exchange{"header too large", []byte("GET /hello HTTP/1.1\r\nHost: sim\r\nX: " + strings.Repeat("x", 9000) + "\r\n\r\n"), Want{}}
	case 4:
		return Exchange{"body too large", []byte("PUT /up HTTP/1.1\r\nHost: sim\r\nContent-Length: 2000000\r\n\r\n"), Want{}}
	}
	b := body(60)
	for i := range b {
		if b[i] == '\n' {
			b[i] = ' '
		}
	}
	return Exchange{"garbage", append(b, "\r\n\r\n"...), Want{}}
}
