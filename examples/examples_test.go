// Package examples_test runs the example servers as real processes and
// talks to them with real clients: Go's net/http, curl and Python's urllib.
package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// run builds ./name, starts it on a free port, and returns its address. The
// process is stopped by PID when the test ends.
func run(t *testing.T, name string, args ...string) (addr string, proc *exec.Cmd, lines *bufio.Scanner) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, "./"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, out)
	}
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// The first line says where it listens: the signal that it is ready.
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("%s printed nothing", name)
	}
	m := regexp.MustCompile(`http://([0-9.:]+)/`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("%s printed %q", name, sc.Text())
	}
	return m[1], cmd, sc
}

var client = &http.Client{Timeout: 30 * time.Second}

func TestHello(t *testing.T) {
	addr, cmd, _ := run(t, "hello")
	defer func() {
		// SIGTERM drains gracefully and exits 0.
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("hello after SIGTERM: %v", err)
		}
	}()
	t.Run("net/http", func(t *testing.T) {
		for range 3 { // keep-alive: the same connection is reused
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "<b>Hello, world!</b>" ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
		resp, err := client.Get("http://" + addr + "/missing")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("/missing: got %d, want 404", resp.StatusCode)
		}
	})
	t.Run("curl", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("curl not installed")
		}
		out, err := exec.Command(curl, "-sS", "--max-time", "20", "-w", "\n%{http_code} %{content_type}",
			"http://"+addr+"/", "http://"+addr+"/").Output()
		if err != nil {
			t.Fatal(err)
		}
		want := "<b>Hello, world!</b>\n200 text/html; charset=utf-8"
		if string(out) != want+want {
			t.Fatalf("curl printed %q", out)
		}
	})
}

func TestEcho(t *testing.T) {
	addr, _, _ := run(t, "echo")
	body := make([]byte, 1<<20)
	for i := range body {
		body[i] = byte(i) ^ byte(i>>8) ^ byte(i>>16) // every byte value, not in order
	}
	t.Run("net/http 1 MiB binary", func(t *testing.T) {
		for _, chunked := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r)
			}
			resp, err := client.Post("http://"+addr+"/any/path?q=1", "application/octet-stream", r)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, body) {
				t.Fatalf("chunked=%v: got %d and %d bytes", chunked, resp.StatusCode, len(got))
			}
		}
	})
	t.Run("1 MiB binary, one byte per write", func(t *testing.T) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(60 * time.Second))
		nc.(*net.TCPConn).SetNoDelay(true)
		fmt.Fprintf(nc, "POST /bytes HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", len(body))
		for i := range body {
			if _, err := nc.Write(body[i : i+1]); err != nil {
				t.Fatalf("after %d bytes: %v", i, err)
			}
		}
		resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("got %d and %d bytes", resp.StatusCode, len(got))
		}
	})
	t.Run("every method", func(t *testing.T) {
		for _, m := range []string{"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"} {
			req, _ := http.NewRequest(m, "http://"+addr+"/x", strings.NewReader("m="+m))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(got) != "m="+m {
				t.Fatalf("%s: got %d %q", m, resp.StatusCode, got)
			}
		}
	})
	t.Run("curl", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("curl not installed")
		}
		f := filepath.Join(t.TempDir(), "body")
		os.WriteFile(f, body, 0o600)
		out, err := exec.Command(curl, "-sS", "--max-time", "20", "--data-binary", "@"+f, "http://"+addr+"/").Output()
		if err != nil || !bytes.Equal(out, body) {
			t.Fatalf("curl: %v, %d bytes back", err, len(out))
		}
	})
	t.Run("python urllib", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 not installed")
		}
		script := `import sys, urllib.request
data = bytes(range(256)) * 4096
req = urllib.request.Request(sys.argv[1], data=data, method="POST")
with urllib.request.urlopen(req, timeout=20) as r:
    got = r.read()
    print(r.status, r.headers["Content-Type"], got == data)`
		out, err := exec.Command(py, "-c", script, "http://"+addr+"/py").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "200 application/octet-stream True" {
			t.Fatalf("python: %v: %s", err, out)
		}
	})
}

// TestBlink: the loop ticks while serving, and reports on SIGTERM.
func TestBlink(t *testing.T) {
	addr, cmd, lines := run(t, "blink", "-hz", "200")
	var toggles []int
	for len(toggles) < 2 || toggles[len(toggles)-1] == toggles[0] {
		resp, err := client.Get("http://" + addr + "/led")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("/led: %q", b)
		}
		toggles = append(toggles, n)
		if len(toggles) > 100000 {
			t.Fatal("the LED never toggled")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatal("blink printed no report")
	}
	var ticks, p50, p99, pmax int
	if _, err := fmt.Sscanf(lines.Text(), "ticks %d late_p50_us %d late_p99_us %d late_max_us %d", &ticks, &p50, &p99, &pmax); err != nil {
		t.Fatalf("report %q: %v", lines.Text(), err)
	}
	if ticks < toggles[len(toggles)-1] || p50 > p99 || p99 > pmax {
		t.Fatalf("inconsistent report %q after %d toggles seen", lines.Text(), toggles[len(toggles)-1])
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("blink exited with %v", err)
	}
}

// TestDashboard: the page and its files from embed.FS, the LED toggled by
// POST, readings over Server-Sent Events while the blink timer runs, and a
// drain on SIGTERM that ends the open event stream. The browser's view of
// it is scripts/browser-test.sh.
func TestDashboard(t *testing.T) {
	addr, cmd, lines := run(t, "dashboard")
	base := "http://" + addr
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", "<title>biplane dashboard</title>"},
		{"/app.js", "text/javascript; charset=utf-8", `new EventSource("/events")`},
		{"/style.css", "text/css; charset=utf-8", ".led"},
	} {
		resp, err := client.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.contains) {
			t.Fatalf("%s: %d %q, body without %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.contains)
		}
	}
	put, _ := http.NewRequest("PUT", base+"/led", nil)
	resp, err := client.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || !strings.Contains(resp.Header.Get("Allow"), "POST") {
		t.Fatalf("PUT /led: %d Allow %q, want 405 with POST allowed", resp.StatusCode, resp.Header.Get("Allow"))
	}

	// The event stream: readings, each a JSON object, the LED as toggled.
	events, err := client.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	if ct := events.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events: Content-Type %q", ct)
	}
	stream := bufio.NewReader(events.Body)
	type reading struct {
		Temp    *float64 `json:"temp"`
		LED     bool     `json:"led"`
		Ticks   uint64   `json:"ticks"`
		Toggles int      `json:"toggles"`
	}
	next := func() reading {
		t.Helper()
		var typ string
		for {
			line, err := stream.ReadString('\n')
			if err != nil {
				t.Fatalf("event stream: %v", err)
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && typ == "reading":
				var r reading
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &r); err != nil || r.Temp == nil {
					t.Fatalf("reading %q: %v", line, err)
				}
				return r
			}
		}
	}
	first := next()
	for i, want := range []bool{true, false} {
		resp, err := client.Post(base+"/led", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantBody := fmt.Sprintf(`{"led":%v,"toggles":%d}`, want, i+1)
		if resp.StatusCode != 200 || string(body) != wantBody {
			t.Fatalf("POST /led: %d %q, want %q", resp.StatusCode, body, wantBody)
		}
		// Readings already under way may predate the toggle: the next one
		// that counts it shows the LED as toggled.
		for r := next(); ; r = next() {
			if r.Toggles == i+1 {
				if r.LED != want {
					t.Fatalf("reading after toggle %d: led %v, want %v", i+1, r.LED, want)
				}
				break
			}
		}
	}
	if last := next(); last.Ticks <= first.Ticks {
		t.Fatalf("blink ticks did not advance: %d then %d", first.Ticks, last.Ticks)
	}

	// SIGTERM ends the event stream, drains, and reports the timer.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(stream); err != nil {
		t.Fatalf("event stream after SIGTERM: %v (%d bytes)", err, len(rest))
	}
	if !lines.Scan() {
		t.Fatal("dashboard printed no report")
	}
	var ticks, p50, p99, pmax int
	if _, err := fmt.Sscanf(lines.Text(), "ticks %d late_p50_us %d late_p99_us %d late_max_us %d", &ticks, &p50, &p99, &pmax); err != nil {
		t.Fatalf("report %q: %v", lines.Text(), err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dashboard exited with %v", err)
	}
}
