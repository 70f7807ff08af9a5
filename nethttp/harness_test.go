//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package nethttp_test

import (
	"io"
	"net/http"
	"testing"
)

// The harness that runs a biplane Server over a real socket on 127.0.0.1
// for these tests is internal/servertest.

// newRequest is http.NewRequest for a request known to be well-formed.
func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
