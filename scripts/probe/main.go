// Command probe is the well-behaved client of scripts/hostile.sh: while an
// attack runs, it sends keep-alive requests to examples/echo at a fixed
// rate, alternating GET and a POST whose echoed body it checks, and when
// stopped (SIGINT, SIGTERM or -duration) prints one line:
//
//	probe: requests=500 ok=500 failed=0 success=100.00% p50=0.42ms p99=1.31ms max=2.05ms conns=4
//
// Latency is measured from the moment a request was due, not from when it
// was sent, so a stalled server shows up in the percentiles instead of
// silently lowering the rate. Each of -conns workers owns one keep-alive
// connection; conns counts the connections dialed (more than -conns means
// the server closed some). The first few errors go to stderr.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8000/", "URL to request")
	rate := flag.Float64("rate", 50, "requests per second, over all connections")
	conns := flag.Int("conns", 4, "keep-alive connections (workers)")
	duration := flag.Duration("duration", 0, "stop after this long; 0 means at SIGINT or SIGTERM")
	timeout := flag.Duration("timeout", 2*time.Second, "time limit of one request")
	local := flag.String("local", "", "local IP address to send from (lets a script tell the probe's connections apart)")
	bodySize := flag.Int("body", 64, "bytes in each POST body")
	flag.Parse()
	if *rate <= 0 || *conns <= 0 {
		fmt.Fprintln(os.Stderr, "probe: -rate and -conns must be positive")
		os.Exit(2)
	}

	var laddr *net.TCPAddr
	if *local != "" {
		ip := net.ParseIP(*local)
		if ip == nil {
			fmt.Fprintf(os.Stderr, "probe: -local %q is not an IP address\n", *local)
			os.Exit(2)
		}
		laddr = &net.TCPAddr{IP: ip}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}

	var (
		mu      sync.Mutex
		lat     []time.Duration
		failed  int
		errs    = map[string]int{}
		dialed  atomic.Int64
		wg      sync.WaitGroup
		period  = time.Duration(float64(*conns) / *rate * float64(time.Second))
		started = time.Now()
	)
	for w := range *conns {
		dialer := &net.Dialer{LocalAddr: laddr, Timeout: *timeout}
		client := &http.Client{
			Timeout: *timeout,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					dialed.Add(1)
					return dialer.DialContext(ctx, network, addr)
				},
				MaxConnsPerHost:     1,
				MaxIdleConnsPerHost: 1,
				DisableCompression:  true,
			},
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Workers are spread evenly over one period.
			due := started.Add(period * time.Duration(w) / time.Duration(*conns))
			body := make([]byte, *bodySize)
			for i := 0; ; i++ {
				t := time.NewTimer(time.Until(due))
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				for j := range body {
					body[j] = 'a' + byte((w+i+j)%26)
				}
				err := exchange(client, *url, i%2 == 1, body)
				d := time.Since(due)
				due = due.Add(period)
				mu.Lock()
				if err != nil {
					failed++
					errs[err.Error()]++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()

	ok := len(lat)
	total := ok + failed
	slices.Sort(lat)
	pct := func(p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		i := int(p*float64(len(lat))+0.999999) - 1
		return fmt.Sprintf("%.2fms", float64(lat[max(i, 0)])/1e6)
	}
	success := 0.0
	if total > 0 {
		success = 100 * float64(ok) / float64(total)
	}
	fmt.Printf("probe: requests=%d ok=%d failed=%d success=%.2f%% p50=%s p99=%s max=%s conns=%d\n",
		total, ok, failed, success, pct(0.50), pct(0.99), pct(1), dialed.Load())
	shown := 0
	for e, n := range errs {
		if shown++; shown > 5 {
			break
		}
		fmt.Fprintf(os.Stderr, "probe: %d× %s\n", n, e)
	}
}

// exchange sends one request, a GET or a POST of body, and checks that the
// answer is 200 with the body echoed.
func exchange(client *http.Client, url string, post bool, body []byte) error {
	var req *http.Request
	var err error
	if post {
		req, err = http.NewRequest("POST", url, bytes.NewReader(body))
	} else {
		req, err = http.NewRequest("GET", url, nil)
		body = nil
	}
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		// Ports and addresses vary from one error to the next; keep the
		// part that says what went wrong, so errors can be counted.
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = req.Method + ": " + msg[i+2:]
		}
		return fmt.Errorf("%s", msg)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s: reading the body: %v", req.Method, err)
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: status %d", req.Method, resp.StatusCode)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("%s: body of %d bytes, want the %d sent", req.Method, len(got), len(body))
	}
	return nil
}
