package examples_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFiles serves a temporary directory with examples/files on a free
// port, fetches files with Go's net/http client and with curl, then
// stops it with SIGTERM and reads its report.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	big := make([]byte, 8<<20+123)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(big)
	files := map[string][]byte{
		"index.html":     []byte("<h1>files</h1>\n"),
		"sub/index.html": []byte("sub\n"),
		"big.bin":        big,
		".env":           []byte("SECRET=1\n"),
	}
	for name, b := range files {
		p := filepath.Join(www, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	addr, cmd, lines := run(t, "files", "-dir", www, "-hz", "1000")
	base := "http://" + addr

	t.Run("net/http", func(t *testing.T) {
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, tc := range []struct {
			path, rng string
			status    int
			body      []byte
			loc       string
		}{
			{"/", "", 200, files["index.html"], ""},
			{"/sub", "", 301, nil, "./sub/"},
			{"/sub/", "", 200, files["sub/index.html"], ""},
			{"/big.bin", "", 200, big, ""},
			{"/big.bin", "bytes=1000-1999", 206, big[1000:2000], ""},
			{"/big.bin", "bytes=-10", 206, big[len(big)-10:], ""},
			{"/.env", "", 404, nil, ""},
			{"/missing", "", 404, nil, ""},
		} {
			req, _ := http.NewRequest("GET", base+tc.path, nil)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || tc.body != nil && string(body) != string(tc.body) ||
				resp.Header.Get("Location") != tc.loc {
				t.Errorf("GET %s %s: %d, %d bytes, Location %q; want %d, %d bytes, %q", tc.path, tc.rng,
					resp.StatusCode, len(body), resp.Header.Get("Location"), tc.status, len(tc.body), tc.loc)
			}
		}
	})

	t.Run("curl", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("curl not installed")
		}
		run := func(args ...string) string {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, curl, append([]string{"-sS", "--max-time", "50"}, args...)...).Output()
			if err != nil {
				t.Fatalf("curl %v: %v", args, err)
			}
			return string(out)
		}
		f := filepath.Join(t.TempDir(), "big")
		out := run("-o", f, "-w", "%{http_code} %{size_download}", base+"/big.bin")
		got, _ := os.ReadFile(f)
		if out != fmt.Sprintf("200 %d", len(big)) || sha256.Sum256(got) != sha256.Sum256(big) {
			t.Errorf("curl download: %q, %d bytes", out, len(got))
		}
		out = run("-r", "0-99", "-o", f, "-w", "%{http_code} %{size_download}", base+"/big.bin")
		got, _ = os.ReadFile(f)
		if out != "206 100" || string(got) != string(big[:100]) {
			t.Errorf("curl -r 0-99: %q, %d bytes", out, len(got))
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() {
		t.Fatal("files printed no report")
	}
	var ticks, p50, p99, pmax, rss int
	if _, err := fmt.Sscanf(lines.Text(), "ticks %d late_p50_us %d late_p99_us %d late_max_us %d peak_rss_kib %d",
		&ticks, &p50, &p99, &pmax, &rss); err != nil {
		t.Fatalf("report %q: %v", lines.Text(), err)
	}
	// The requests above, curl's process starts among them, took far longer
	// than the 1 ms period, so there were ticks.
	if ticks == 0 || p50 > p99 || p99 > pmax || rss <= 0 {
		t.Errorf("inconsistent report %q", lines.Text())
	}
	if rss >= 20<<10 {
		t.Errorf("peak RSS %d KiB, want below 20 MiB while streaming %d bytes", rss, len(big))
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("files exited with %v", err)
	}
}
