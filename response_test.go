package biplane

import (
	"strconv"
	"testing"
)

// TestAppendStatusLine: the fast paths write what the general one does.
func TestAppendStatusLine(t *testing.T) {
	for code := 100; code < 600; code++ {
		want := "HTTP/1.1 " + strconv.Itoa(code) + " " + statusText[code] + "\r\n"
		if got := string(AppendStatusLine(nil, code)); got != want {
			t.Fatalf("AppendStatusLine(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestAppendContentLength: the small-number path writes what strconv does.
func TestAppendContentLength(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123456789, 1 << 40} {
		want := "Content-Length: " + strconv.FormatInt(n, 10) + "\r\n"
		if got := string(appendContentLength(nil, n)); got != want {
			t.Fatalf("appendContentLength(%d) = %q, want %q", n, got, want)
		}
	}
}
