package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/transporttest"
	"github.com/biplane-go/biplane/internal/transporttest/remote"
)

// TestUnderWazero builds this module with TinyGo (-scheduler=none) and
// with Go, runs each under wazero on 127.0.0.1, and talks to it with curl,
// Go's net/http client and raw TCP. Then it runs the transport suite on
// wasisock under wazero, built both ways too (see testSuite). It needs
// tinygo and wazero on PATH and runs only when BIPLANE_WASM_TEST=1
// (scripts/tinygo-ci.sh sets it), so that a plain go test ./... stays
// quick; with it set, a missing tool fails the test.
func TestUnderWazero(t *testing.T) {
	if os.Getenv("BIPLANE_WASM_TEST") != "1" {
		t.Skip("set BIPLANE_WASM_TEST=1 to build with TinyGo and run under wazero (scripts/tinygo-ci.sh does)")
	}
	for _, tool := range []string{"tinygo", "wazero", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (scripts/install-tinygo.sh installs TinyGo and wazero)", tool, err)
		}
	}
	builds := []struct {
		name string
		cmd  []string
		env  []string
	}{
		{"tinygo", []string{"tinygo", "build", "-target=wasip1", "-scheduler=none", "-o"}, nil},
		{"go", []string{"go", "build", "-o"}, []string{"GOOS=wasip1", "GOARCH=wasm"}},
	}
	cache := t.TempDir() // wazero's compiled code, shared by the suite's runs
	for _, b := range builds {
		build := func(t *testing.T, pkg string) string {
			wasm := filepath.Join(t.TempDir(), b.name+".wasm")
			cmd := exec.Command(b.cmd[0], append(b.cmd[1:], wasm, pkg)...)
			cmd.Env = append(os.Environ(), b.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, out)
			}
			return wasm
		}
		t.Run(b.name, func(t *testing.T) {
			addr := start(t, build(t, "."))
			t.Run("curl", func(t *testing.T) { testCurl(t, addr) })
			t.Run("net/http", func(t *testing.T) { testNetHTTP(t, addr) })
			t.Run("100 keep-alive connections", func(t *testing.T) { testConcurrent(t, addr, 100, 10) })
			t.Run("malformed", func(t *testing.T) { testMalformed(t, addr) })
			t.Run("transport suite", func(t *testing.T) {
				testSuite(t, build(t, "../../wasisock/internal/suiteserver"), cache)
			})
		})
	}
}

// testSuite runs the transport suite (internal/transporttest) on wasisock
// under wazero: each case starts wasisock/internal/suiteserver on a free
// port, which carries out the suite's calls on its wasisock.Listener,
// received over its standard input (internal/transporttest/remote), while
// the suite's peers connect to the port from here. The Listener is not a
// Waiter under wazero, so the suite polls it, as the server does.
func testSuite(t *testing.T, wasm, cache string) {
	transporttest.Run(t, transporttest.Transport{
		Listen: func(t testing.TB) (biplane.Listener, transporttest.Dialer) {
			l, addr := startServed(t, wasm, cache)
			return l, transporttest.NetDialer("tcp", addr)
		},
	})
}

// startServed runs wasm, a program that serves a listener with
// remote.Serve, under wazero on a free port of 127.0.0.1, and returns the
// listener as remote.Dial makes it and the address. When t ends it closes
// the listener and the program's input, and waits for wazero to end,
// stopping it by its PID if it does not.
func startServed(t testing.TB, wasm, cache string) (biplane.Listener, string) {
	t.Helper()
	for try := 0; ; try++ {
		addr := freeAddr(t)
		cmd := exec.Command("wazero", "run", "-cachedir="+cache, "-listen="+addr, wasm)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		l, err := remote.Dial(stdout, stdin)
		if err == nil {
			t.Cleanup(func() {
				l.Close()
				stdin.Close() // the program reads the end, and exits
				done := make(chan struct{})
				go func() { cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					<-done
					t.Errorf("wazero (pid %d) did not exit when its input ended: %s", cmd.Process.Pid, stderr.Bytes())
				}
			})
			return l, addr
		}
		cmd.Process.Kill()
		cmd.Wait()
		if try == 3 {
			t.Fatalf("wazero did not start: %v: %s", err, stderr.Bytes())
		}
	}
}

// freeAddr returns a loopback address whose port was free a moment ago:
// wazero cannot tell which port it got for port 0.
func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs wasm under wazero on a free port of 127.0.0.1 and returns the
// address once the module says it serves. wazero is stopped by its PID
// when the test ends.
func start(t *testing.T, wasm string) string {
	t.Helper()
	// wazero cannot tell which port it got for port 0, so take a free one
	// and hand it over; if another process takes it meanwhile, wazero
	// fails to listen and we try again.
	for try := 0; ; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cmd := exec.Command("wazero", "run", "-listen="+addr, wasm)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first line is the signal that the module serves.
		sc := bufio.NewScanner(stdout)
		if sc.Scan() && strings.HasPrefix(sc.Text(), "wasm: serving") {
			t.Logf("wazero (pid %d) on %s: %s", cmd.Process.Pid, addr, sc.Text())
			go io.Copy(io.Discard, stdout)
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			return addr
		}
		cmd.Process.Kill()
		cmd.Wait()
		if try == 3 {
			t.Fatalf("wazero did not start: %s", stderr.Bytes())
		}
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

func testCurl(t *testing.T, addr string) {
	out, err := exec.Command("curl", "-sS", "--max-time", "20", "-w", "\n%{http_code} %{content_type}",
		"http://"+addr+"/", "http://"+addr+"/").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "<b>Hello, world!</b>\n200 text/html; charset=utf-8"
	if string(out) != want+want {
		t.Fatalf("curl GET printed %q, want %q twice", out, want)
	}
	f := filepath.Join(t.TempDir(), "body")
	body := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160 kB: several reads and writes
	os.WriteFile(f, body, 0o600)
	out, err = exec.Command("curl", "-sS", "--max-time", "20", "--data-binary", "@"+f, "http://"+addr+"/echo").Output()
	if err != nil || !bytes.Equal(out, body) {
		t.Fatalf("curl POST /echo: %v, %d bytes back, want %d", err, len(out), len(body))
	}
}

func testNetHTTP(t *testing.T, addr string) {
	for i := range 3 {
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != "<b>Hello, world!</b>" {
			t.Fatalf("GET %d: got %d %q", i, resp.StatusCode, got)
		}
		want := strings.Repeat(fmt.Sprint(i), 1000*i)
		resp, err = client.Post("http://"+addr+"/echo", "text/plain", strings.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != want {
			t.Fatalf("POST %d: got %d and %d bytes, want %d", i, resp.StatusCode, len(got), len(want))
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
}

// testConcurrent opens conns keep-alive connections at once, one client
// each, and makes each send reqs requests on its own connection. All
// connections are open together: each client makes its first request,
// then waits until every other has made its own.
func testConcurrent(t *testing.T, addr string, conns, reqs int) {
	var first, done sync.WaitGroup
	first.Add(conns)
	errs := make(chan error, conns)
	for i := range conns {
		done.Add(1)
		go func() {
			defer done.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			var reused int
			trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) {
				if ci.Reused {
					reused++
				}
			}}
			for r := range reqs {
				body := fmt.Sprintf("client %d request %d", i, r)
				req, _ := http.NewRequest("POST", "http://"+addr+"/echo", strings.NewReader(body))
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				resp, err := c.Do(req)
				if r == 0 {
					first.Done()
				}
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(got) != body {
					errs <- fmt.Errorf("client %d: got %d %q (%v), want %q", i, resp.StatusCode, got, err, body)
					return
				}
				if r == 0 {
					first.Wait()
				}
			}
			if reused != reqs-1 {
				errs <- fmt.Errorf("client %d: %d of %d requests reused the connection, want %d", i, reused, reqs, reqs-1)
			}
		}()
	}
	done.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testMalformed sends requests the server must refuse with 400 and a close.
func testMalformed(t *testing.T, addr string) {
	for _, req := range []string{
		"GET / HTTP/1.1\r\n\r\n",                  // no Host (RFC 9112 §3.2)
		"GET / HTTP/1.1\nHost: a\n\n",             // bare LF
		"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", // obs-fold (RFC 9112 §5.2)
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, req)
		resp, err := io.ReadAll(c) // to the server's close
		c.Close()
		if err != nil || !strings.HasPrefix(string(resp), "HTTP/1.1 400 ") {
			t.Errorf("%q: got %q (%v), want a 400 and a close", req, resp, err)
		}
	}
}
