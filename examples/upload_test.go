package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The examples/upload tests run the example as a process, as the others
// do, with curl, Python's requests and raw TCP as clients. Each waits on
// what the server says (its first line, a response, an event on /events,
// its exit), never on a sleep.

// maxRSS bounds the server's peak resident memory while it stores
// uploads of 1 GiB: the body passes through a 4 KiB read buffer.
const maxRSS = 16 << 20

// TestUploadFirmware: PUT /firmware of 1 GiB with Content-Length and of
// 256 MiB chunked, both from curl, stored intact in bounded memory; a
// client without the token is refused on the head, before its body and
// without 100 Continue; a body over -max is refused with 413 before it
// is sent. The blink timer's lateness during the uploads is logged.
func TestUploadFirmware(t *testing.T) {
	curl := needCurl(t)
	const token, maxBody = "s3cret", 1 << 30
	dir := t.TempDir()
	addr, cmd, lines := run(t, "upload", "-dir", dir, "-token", token, "-max", strconv.Itoa(maxBody))
	checkDir(t, lines, dir)
	base := "http://" + addr
	auth := "Authorization: Bearer " + token
	events := subscribe(t, base)

	big := filepath.Join(t.TempDir(), "big.bin")
	bigSum := writeRandom(t, big, 1<<30, 1)

	t.Run("1 GiB with Content-Length", func(t *testing.T) {
		start := time.Now()
		body, code := curlDo(t, curl, "-T", big, "-H", auth, base+"/firmware")
		elapsed := time.Since(start)
		checkStored(t, body, code, "firmware.bin", 1<<30, bigSum, dir)
		ev := awaitEvent(t, events, "a progress event part-way through the 1 GiB", func(e event) bool {
			return e.Type == "progress" && e.Total == 1<<30 && e.Bytes > 0 && e.Bytes < 1<<30
		})
		awaitEvent(t, events, "the 1 GiB upload's done event", func(e event) bool {
			return e.Type == "done" && e.ID == ev.ID && e.Bytes == 1<<30 && e.SHA256 == bigSum
		})
		rss := peakRSS(t, cmd.Process.Pid)
		t.Logf("1 GiB in %v: %.0f MiB/s; server peak RSS (VmHWM) %d KiB", elapsed.Round(time.Millisecond),
			float64(1<<30)/(1<<20)/elapsed.Seconds(), rss>>10)
		if rss > maxRSS {
			t.Errorf("server peak RSS %d KiB after the 1 GiB upload, want at most %d KiB", rss>>10, maxRSS>>10)
		}
	})

	t.Run("256 MiB chunked from a pipe", func(t *testing.T) {
		const size = 256 << 20
		h := sha256.New()
		c := exec.Command(curl, "-sS", "--max-time", "120", "-w", "\n%{http_code}", "-T", "-", "-H", auth, base+"/firmware")
		c.Stdin = io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{2}), size), h)
		c.Stderr = os.Stderr
		start := time.Now()
		out, err := c.Output()
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("curl -T -: %v", err)
		}
		body, code := splitCode(t, string(out))
		sum := hex.EncodeToString(h.Sum(nil))
		checkStored(t, body, code, "firmware.bin", size, sum, dir)
		// Chunked: its progress says the size is unknown.
		ev := awaitEvent(t, events, "a progress event of the chunked upload", func(e event) bool {
			return e.Type == "progress" && e.Total == -1 && e.Bytes > 0
		})
		awaitEvent(t, events, "the chunked upload's done event", func(e event) bool {
			return e.Type == "done" && e.ID == ev.ID && e.Bytes == size && e.SHA256 == sum
		})
		rss := peakRSS(t, cmd.Process.Pid)
		t.Logf("256 MiB chunked in %v: %.0f MiB/s; server peak RSS (VmHWM) so far %d KiB", elapsed.Round(time.Millisecond),
			float64(size)/(1<<20)/elapsed.Seconds(), rss>>10)
		if rss > maxRSS {
			t.Errorf("server peak RSS %d KiB after the 256 MiB upload, want at most %d KiB", rss>>10, maxRSS>>10)
		}
	})

	// Raw TCP: the head alone, with Expect: 100-continue, and the first
	// response that comes back. Refused requests must not be invited to
	// send their body; the connection closes after the refusal, since
	// the unread body is too large to discard.
	for _, tc := range []struct {
		name, auth string
		length     int64
		status     int
	}{
		{"wrong token", "Authorization: Bearer wrong\r\n", 64 << 20, 401},
		{"no token", "", 64 << 20, 401},
		{"malformed token", "Authorization: Bearer \r\n", 64 << 20, 400},
		{"wrong token and over -max", "Authorization: Bearer wrong\r\n", maxBody + 1, 401}, // the token is checked first
		{"over -max", auth + "\r\n", maxBody + 1, 413},
	} {
		t.Run("raw TCP "+tc.name, func(t *testing.T) {
			nc, br := dialRaw(t, addr)
			fmt.Fprintf(nc, "PUT /firmware HTTP/1.1\r\nHost: t\r\n%sExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", tc.auth, tc.length)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no response to the head: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("first response %d %q, want %d before any body byte and without 100 Continue", resp.StatusCode, body, tc.status)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
			expectClosed(t, br)
			checkNoTemp(t, dir)
		})
	}

	t.Run("raw TCP right token gets 100 Continue", func(t *testing.T) {
		// The control for the refusals above: an accepted head is invited.
		nc, br := dialRaw(t, addr)
		fmt.Fprintf(nc, "PUT /firmware HTTP/1.1\r\nHost: t\r\n%s\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n", auth)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 100 {
			t.Fatalf("first response %v %v, want 100 Continue", resp, err)
		}
		io.WriteString(nc, "0123456789")
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		sum := sha256.Sum256([]byte("0123456789"))
		checkStored(t, string(body), resp.StatusCode, "firmware.bin", 10, hex.EncodeToString(sum[:]), dir)
	})

	t.Run("curl wrong token", func(t *testing.T) {
		out, err := exec.Command(curl, "-sS", "--max-time", "60", "-o", "/dev/null", "-w", "%{size_upload} %{http_code}",
			"-H", "Authorization: Bearer wrong", "-T", big, base+"/firmware").Output()
		if err != nil {
			t.Fatalf("curl: %v (%s)", err, out)
		}
		var sent int64
		var code int
		if _, err := fmt.Sscanf(string(out), "%d %d", &sent, &code); err != nil {
			t.Fatalf("curl printed %q", out)
		}
		t.Logf("curl with a wrong token sent %d bytes of its 1 GiB and got %d", sent, code)
		if code != 401 || sent >= 1<<20 {
			t.Fatalf("curl with a wrong token sent %d bytes and got %d, want under 1 MiB and 401", sent, code)
		}
	})

	report := stop(t, cmd, lines)
	t.Logf("blink lateness over the uploads (1 GiB, 256 MiB and the rest): %s", report)
	checkNoTemp(t, dir)
}

// TestUploadStall: a body that stops arriving is answered 408 once
// -request-timeout has passed since its last byte, its connection is
// closed, and nothing of it is left in the directory. The server is left
// otherwise idle, so its blink lateness is the idle figure.
func TestUploadStall(t *testing.T) {
	addr, cmd, lines := run(t, "upload", "-request-timeout", "2s")
	// No -dir: the example makes a temporary directory and says which.
	dir := printedDir(t, lines)
	if !strings.HasPrefix(dir, os.TempDir()) {
		t.Fatalf("default directory %q is not in %q", dir, os.TempDir())
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	nc, br := dialRaw(t, addr)
	fmt.Fprintf(nc, "PUT /firmware HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", 1<<20)
	nc.Write(make([]byte, 1000))
	sent := time.Now()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to a stalled body: %v", err)
	}
	waited := time.Since(sent)
	io.ReadAll(resp.Body)
	t.Logf("stalled body answered %d after %v", resp.StatusCode, waited.Round(time.Millisecond))
	if resp.StatusCode != 408 || waited < 1900*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("stalled body answered %d after %v, want 408 after 2 s", resp.StatusCode, waited)
	}
	expectClosed(t, br)
	if names := list(t, dir); len(names) != 0 {
		t.Fatalf("after a stalled upload the directory holds %q, want nothing", names)
	}
	t.Logf("blink lateness idle (one stalled connection): %s", stop(t, cmd, lines))
}

// TestUploadForm: multipart/form-data to POST /upload from curl and from
// Python's requests, 64 MiB each, stored under the file's own name; file
// names are cut to a base name; a client killed mid-upload leaves
// nothing behind; 50 slow uploaders hold connections while the page is
// fetched 200 times.
func TestUploadForm(t *testing.T) {
	curl := needCurl(t)
	dir := t.TempDir()
	addr, cmd, lines := run(t, "upload", "-dir", dir)
	checkDir(t, lines, dir)
	base := "http://" + addr
	events := subscribe(t, base)
	src := t.TempDir()
	f64 := filepath.Join(src, "form64.bin")
	sum64 := writeRandom(t, f64, 64<<20, 3)

	t.Run("curl -F 64 MiB", func(t *testing.T) {
		body, code := curlDo(t, curl, "-F", "note=ignored", "-F", "file=@"+f64, "-F", "after=ignored too", base+"/upload")
		checkStored(t, body, code, "form64.bin", 64<<20, sum64, dir)
	})

	t.Run("python requests 64 MiB", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed")
		}
		if out, err := exec.Command(py, "-c", "import requests").CombinedOutput(); err != nil {
			t.Skipf("python3 has no requests module (pip install requests): %s", bytes.TrimSpace(out))
		}
		script := `import sys, requests
with open(sys.argv[2], "rb") as f:
    r = requests.post(sys.argv[1], files={"file": ("py64.bin", f, "application/octet-stream")}, data={"note": "x"}, timeout=60)
print(r.text.strip())
print(r.status_code)`
		out, err := exec.Command(py, "-c", script, base+"/upload", f64).Output()
		if err != nil {
			t.Fatalf("python: %v: %s", err, out)
		}
		body, code := splitCode(t, strings.TrimSpace(string(out)))
		checkStored(t, body, code, "py64.bin", 64<<20, sum64, dir)
	})

	t.Run("file names", func(t *testing.T) {
		small := filepath.Join(src, "small.bin")
		sum := writeRandom(t, small, 1000, 4)
		for _, tc := range []struct{ sent, stored string }{
			{"../../evil.bin", "evil.bin"},
			{"/etc/passwd", "passwd"},
			{".hidden", "hidden"},
			{"...", ""},
			{"a/..", ""},
		} {
			body, code := curlDo(t, curl, "-F", "file=@"+small+";filename="+tc.sent, base+"/upload")
			if tc.stored == "" {
				if code != 400 {
					t.Errorf("file name %q: %d %q, want 400", tc.sent, code, body)
				}
				continue
			}
			checkStored(t, body, code, tc.stored, 1000, sum, dir)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil.bin")); err == nil {
			t.Errorf("../../evil.bin was stored outside the directory")
		}
		if body, code := curlDo(t, curl, "-F", "note=no file", base+"/upload"); code != 400 {
			t.Errorf("a form without a file part: %d %q, want 400", code, body)
		}
		checkNoTemp(t, dir)
	})

	t.Run("client killed mid-upload", func(t *testing.T) {
		f16 := filepath.Join(src, "kill.bin")
		writeRandom(t, f16, 16<<20, 5)
		c := exec.Command(curl, "-sS", "--limit-rate", "1M", "-T", f16, base+"/firmware")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		ev := awaitEvent(t, events, "progress of the upload to kill", func(e event) bool {
			return e.Type == "progress" && e.Name == "firmware.bin" && e.Bytes > 0
		})
		c.Process.Kill()
		c.Wait()
		ab := awaitEvent(t, events, "the killed upload's abort event", func(e event) bool {
			return e.ID == ev.ID && (e.Type == "abort" || e.Type == "done")
		})
		if ab.Type != "abort" || ab.Bytes <= 0 || ab.Bytes >= 16<<20 {
			t.Fatalf("killed upload ended with %+v, want an abort part-way", ab)
		}
		t.Logf("killed after %d bytes: %s", ab.Bytes, ab.Error)
		if _, err := os.Stat(filepath.Join(dir, "firmware.bin")); err == nil {
			t.Fatal("firmware.bin exists after its only upload was killed")
		}
		checkNoTemp(t, dir)
	})

	t.Run("50 slow uploaders and 200 page loads", func(t *testing.T) {
		const uploaders, loads = 50, 200
		conns := make([]net.Conn, uploaders)
		for i := range conns {
			nc, _ := dialRaw(t, addr)
			fmt.Fprintf(nc, "PUT /firmware HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", 1<<20)
			conns[i] = nc
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		for _, nc := range conns {
			wg.Go(func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					if _, err := nc.Write([]byte("12345678")); err != nil {
						return
					}
					select {
					case <-done:
						return
					case <-tick.C:
					}
				}
			})
		}
		// Every uploader's body is being received before the page loads.
		got := map[int]int64{} // bytes received, by upload
		trickled := func(n int64) func(event) bool {
			return func(e event) bool {
				if e.Type == "progress" && e.Name == "firmware.bin" {
					got[e.ID] = e.Bytes
				}
				k := 0
				for _, b := range got {
					if b >= n {
						k++
					}
				}
				return k == uploaders
			}
		}
		awaitEvent(t, events, fmt.Sprintf("progress of all %d slow uploaders", uploaders), trickled(1))
		// The page loads, one every 10 ms, so that they overlap 2 s of
		// trickling.
		ok := 0
		var worst time.Duration
		pace := time.NewTicker(10 * time.Millisecond)
		defer pace.Stop()
		start := time.Now()
		for range loads {
			<-pace.C
			t0 := time.Now()
			resp, err := client.Get(base + "/")
			if err != nil {
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 && bytes.Contains(b, []byte("<title>biplane upload</title>")) {
				ok++
			}
			worst = max(worst, time.Since(t0))
		}
		elapsed := time.Since(start)
		// The uploads went on meanwhile: at 8 bytes per 100 ms, 2 s is 160.
		awaitEvent(t, events, "progress of the slow uploaders past 100 bytes", trickled(100))
		close(done)
		wg.Wait()
		for _, nc := range conns {
			nc.Close()
		}
		rate := float64(ok) / loads
		t.Logf("%d slow uploaders: %d/%d page loads succeeded (%.1f %%) in %v, slowest %v", uploaders, ok, loads, 100*rate,
			elapsed.Round(time.Millisecond), worst.Round(time.Microsecond))
		if rate < 0.99 {
			t.Errorf("success rate %.1f %%, want at least 99 %%", 100*rate)
		}
		// Each closed uploader is aborted, and its temporary file removed.
		awaitEvent(t, events, "the slow uploaders' abort events", func(e event) bool {
			if e.Type == "abort" {
				delete(got, e.ID)
			}
			return len(got) == 0
		})
		if _, err := os.Stat(filepath.Join(dir, "firmware.bin")); err == nil {
			t.Fatal("firmware.bin exists, though no firmware upload finished")
		}
		checkNoTemp(t, dir)
	})

	stop(t, cmd, lines)
}

// TestUploadFaults: a firmware receiver whose disk fills (-fail-after)
// gets its client a 507 and a closed connection, and leaves nothing; a
// 1.2 MB form sent at 100 KB/s takes longer than the default request
// timeout of 10 s and still completes, since the body keeps coming.
func TestUploadFaults(t *testing.T) {
	curl := needCurl(t)
	dir := t.TempDir()
	addr, cmd, lines := run(t, "upload", "-dir", dir, "-fail-after", strconv.Itoa(1<<20))
	checkDir(t, lines, dir)
	base := "http://" + addr

	t.Run("disk full", func(t *testing.T) {
		nc, br := dialRaw(t, addr)
		fmt.Fprintf(nc, "PUT /firmware HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", 4<<20)
		go func() {
			// The failure comes after 1 MiB, and the server discards what
			// follows while it closes (up to 256 KiB): send less than that
			// beyond, so that its close is not a reset that could beat
			// the response.
			nc.Write(make([]byte, 1<<20+64<<10))
		}()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no response once the disk was full: %v", err)
		}
		io.ReadAll(resp.Body)
		if resp.StatusCode != 507 && resp.StatusCode != 500 {
			t.Fatalf("disk full: got %d, want 507 (or 500)", resp.StatusCode)
		}
		if !resp.Close {
			t.Errorf("disk full: the %d does not say Connection: close", resp.StatusCode)
		}
		expectClosed(t, br)
		if names := list(t, dir); len(names) != 0 {
			t.Fatalf("after a failed upload the directory holds %q, want nothing", names)
		}
	})

	t.Run("1.2 MB at 100 KB/s", func(t *testing.T) {
		slow := filepath.Join(t.TempDir(), "slow.bin")
		sum := writeRandom(t, slow, 1_200_000, 6)
		start := time.Now()
		body, code := curlDo(t, curl, "--limit-rate", "100k", "-F", "file=@"+slow, base+"/upload")
		elapsed := time.Since(start)
		t.Logf("1.2 MB at 100 KB/s took %v", elapsed.Round(time.Millisecond))
		checkStored(t, body, code, "slow.bin", 1_200_000, sum, dir)
		if elapsed < 10*time.Second {
			t.Errorf("the upload took %v, not longer than the 10 s request timeout it was to outlast", elapsed)
		}
	})

	stop(t, cmd, lines)
}

// needCurl returns curl's path, or skips t.
func needCurl(t *testing.T) string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	return curl
}

// curlDo runs curl with args and returns what it printed and the status.
func curlDo(t *testing.T, curl string, args ...string) (body string, code int) {
	t.Helper()
	c := exec.Command(curl, append([]string{"-sS", "--max-time", "120", "-w", "\n%{http_code}"}, args...)...)
	c.Stderr = os.Stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("curl %q: %v: %s", args, err, out)
	}
	return splitCode(t, string(out))
}

// splitCode splits a client's output into the body and the status on
// its last line.
func splitCode(t *testing.T, out string) (body string, code int) {
	t.Helper()
	i := strings.LastIndexByte(out, '\n')
	code, err := strconv.Atoi(out[i+1:])
	if err != nil {
		t.Fatalf("no status at the end of %q", out)
	}
	return strings.TrimSpace(out[:max(i, 0)]), code
}

// writeRandom writes size bytes of a seeded ChaCha8 stream to path, 1 MiB
// at a time, syncs it, and returns their SHA-256 in hex.
func writeRandom(t *testing.T, path string, size int64, seed byte) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8([32]byte{seed}), size), make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	// On the disk before the server starts writing, so that the
	// kernel's writing it out does not compete with the server's.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkStored checks an upload's answer, and the file it stored.
func checkStored(t *testing.T, body string, code int, name string, size int64, sum, dir string) {
	t.Helper()
	var got struct {
		Name   string `json:"name"`
		Bytes  int64  `json:"bytes"`
		SHA256 string `json:"sha256"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("upload of %s answered %d %q", name, code, body)
	}
	if got.Name != name || got.Bytes != size || got.SHA256 != sum {
		t.Fatalf("upload answered %+v, want %s, %d bytes, SHA-256 %s", got, name, size, sum)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	if stored := hex.EncodeToString(h.Sum(nil)); n != size || stored != sum {
		t.Fatalf("stored %s: %d bytes, SHA-256 %s; sent %d bytes, %s", name, n, stored, size, sum)
	}
}

// printedDir returns the directory the example said it stores in.
func printedDir(t *testing.T, lines *bufio.Scanner) string {
	t.Helper()
	m := regexp.MustCompile(`^upload: serving on http://\S+/ \(dir (.+)\)$`).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("first line %q names no directory", lines.Text())
	}
	return m[1]
}

// checkDir checks that the example stores in dir.
func checkDir(t *testing.T, lines *bufio.Scanner, dir string) {
	t.Helper()
	if got := printedDir(t, lines); got != dir {
		t.Fatalf("the example stores in %q, want %q", got, dir)
	}
}

// list returns the names in dir.
func list(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// checkNoTemp fails t if dir holds a temporary file: the example's all
// start with a dot, and stored files never do.
func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	for _, name := range list(t, dir) {
		if strings.HasPrefix(name, ".") {
			t.Fatalf("temporary file %s left in the directory", name)
		}
	}
}

// peakRSS returns the peak resident memory of process pid, in bytes:
// VmHWM in /proc/PID/status.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	kib, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kib << 10
}

// dialRaw connects to addr, with a deadline on everything, and returns
// the connection and a reader of it. The connection closes when t ends.
func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return nc, bufio.NewReader(nc)
}

// expectClosed fails t unless the server closes the connection after the
// response read from br: EOF, or a reset if it closed with our bytes
// unread.
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	b, err := br.ReadByte()
	switch {
	case err == io.EOF, errors.Is(err, syscall.ECONNRESET):
	case err == nil:
		rest, _ := br.Peek(br.Buffered())
		t.Fatalf("after the response the server sent more: %q", append([]byte{b}, rest...))
	default:
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// stop sends SIGTERM, and returns the lateness line the example prints
// once it has drained, after checking that it exits 0.
func stop(t *testing.T, cmd *exec.Cmd, lines *bufio.Scanner) string {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatal("upload printed no report")
	}
	report := lines.Text()
	var ticks, p50, p99, pmax int
	if _, err := fmt.Sscanf(report, "ticks %d late_p50_us %d late_p99_us %d late_max_us %d", &ticks, &p50, &p99, &pmax); err != nil {
		t.Fatalf("report %q: %v", report, err)
	}
	if ticks == 0 || p50 > p99 || p99 > pmax {
		t.Fatalf("inconsistent report %q", report)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("upload exited with %v", err)
	}
	return report
}

// An event is one of the example's Server-Sent Events: its type and the
// fields of its JSON data.
type event struct {
	Type   string `json:"-"`
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Total  int64  `json:"total"`
	SHA256 string `json:"sha256"`
	Error  string `json:"error"`
}

// subscribe reads the example's /events into a channel until the stream
// ends or t does.
func subscribe(t *testing.T, base string) <-chan event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/events: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan event, 1<<16)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e := event{Type: typ}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e); err != nil {
					e.Type, e.Error = "malformed", line
				}
				select {
				case ch <- e:
				case <-ctx.Done():
					return
				}
			case line == "":
				typ = ""
			}
		}
	}()
	return ch
}

// awaitEvent reads events until match accepts one, and returns it; it
// fails t if the stream ends, or none comes within a minute.
func awaitEvent(t *testing.T, ch <-chan event, what string, match func(event) bool) event {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("the event stream ended before %s", what)
			}
			if e.Type == "malformed" {
				t.Fatalf("malformed event %q", e.Error)
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s within a minute", what)
		}
	}
}
