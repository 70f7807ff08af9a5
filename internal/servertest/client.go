package servertest

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// clientTimeout bounds a whole request of NewClient's, and Curl's run.
const clientTimeout = 30 * time.Second

// NewClient returns a net/http client with a generous timeout that
// neither asks for gzip on its own (it would then decode it, hiding
// Content-Encoding) nor follows redirects. Its idle connections are
// closed when t ends.
func NewClient(t testing.TB) *http.Client {
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       clientTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// RoundTrip sends req with c and returns the response and its whole
// body, failing t if either cannot be had.
func RoundTrip(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

// Curl runs curl -sS with args and a generous timeout, and returns what
// it wrote to its standard output. It skips t where curl is not
// installed, and fails it if curl fails.
func Curl(t testing.TB, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", append([]string{"-sS", "--max-time", "20"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %q: %v", args, err)
	}
	return string(out)
}
