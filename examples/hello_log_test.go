package examples_test

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHelloLog: with -log, every response gets a Common Log Format line on
// standard output, the server's own refusals too: 400, 408, 413, 431, 503.
func TestHelloLog(t *testing.T) {
	addr, _, lines := run(t, "hello", "-log", "-request-timeout", "1s", "-max-body", "100")
	clf := regexp.MustCompile(`^(\S+) - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "([^"]*)" (\d{3}) (\d+)$`)
	next := func() (request, status string) {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("no more log lines: %v", lines.Err())
		}
		m := clf.FindStringSubmatch(lines.Text())
		if m == nil {
			t.Fatalf("not a Common Log Format line: %q", lines.Text())
		}
		return m[2], m[3]
	}
	exchange := func(send string) string {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		c.Write([]byte(send))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("%q: %v", send, err)
		}
		return line
	}
	for _, tc := range []struct {
		name, send, status, request string
	}{
		{"200", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "200", "GET / HTTP/1.1"},
		{"400", "GET / HTTP/1.1 extra\r\n\r\n", "400", "-"},
		{"408", "GET / HTTP/1.1\r\nHost: a\r\n", "408", "GET / HTTP/1.1"},
		{"413", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", "413", "GET / HTTP/1.1"},
		{"431", "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 9000) + "\r\n\r\n", "431", "GET / HTTP/1.1"},
	} {
		if got := exchange(tc.send); !strings.HasPrefix(got, "HTTP/1.1 "+tc.status+" ") {
			t.Fatalf("%s: got %q", tc.name, got)
		}
		if request, status := next(); status != tc.status || request != tc.request {
			t.Errorf("%s: logged %q %s, want %q %s", tc.name, request, status, tc.request, tc.status)
		}
	}
	// 503: one connection held open fills -max-conns 1, in a server of
	// its own, so that the connections above, closing, do not count.
	addr, _, lines = run(t, "hello", "-log", "-max-conns", "1")
	held, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	held.SetDeadline(time.Now().Add(20 * time.Second))
	held.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	if line, _ := bufio.NewReader(held).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("held connection: %q", line)
	}
	next()
	if got := exchange(""); !strings.HasPrefix(got, "HTTP/1.1 503 ") {
		t.Fatalf("second connection: %q, want 503", got)
	}
	if request, status := next(); status != "503" || request != "-" {
		t.Errorf("503: logged %q %s", request, status)
	}
}
