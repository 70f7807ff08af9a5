//go:build !tinygo

// Not built by TinyGo: it serves real clients over sockets on 127.0.0.1.

package static_test

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// The site every test serves: testdata/site, as an embed.FS, as a MapFS
// and as a directory on disk.

//go:embed all:testdata/site
var embedded embed.FS

// modTime is the modification time of the MapFS and directory files. It
// has nanoseconds, which Last-Modified drops and the ETag keeps.
var modTime = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// bigSize is the size of big.bin, which only the MapFS and directory
// sites have: a few write buffers' worth, not a multiple of 4 KiB.
const bigSize = 3<<20 + 1234

func bigData() []byte {
	b := make([]byte, bigSize)
	for i := range b {
		b[i] = byte(i*7 + i>>8 + i>>16)
	}
	return b
}

// extras are files with names that cannot be committed or embedded.
var extras = map[string]string{
	"with space.txt": "spaces\n",
	"ünï.txt":        "ünïcode\n",
}

func embedSite(t testing.TB) fs.FS {
	sub, err := fs.Sub(embedded, "testdata/site")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func mapSite(t testing.TB) fstest.MapFS {
	m := fstest.MapFS{}
	err := fs.WalkDir(embedSite(t), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedSite(t), name)
		m[name] = &fstest.MapFile{Data: b, Mode: 0o644, ModTime: modTime}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["big.bin"] = &fstest.MapFile{Data: bigData(), Mode: 0o644, ModTime: modTime}
	for name, s := range extras {
		m[name] = &fstest.MapFile{Data: []byte(s), Mode: 0o644, ModTime: modTime}
	}
	return m
}

// dirSite writes the MapFS site to root under a temporary directory,
// with secret.txt beside root, outside it, and returns root.
func dirSite(t testing.TB) string {
	top := t.TempDir()
	root := filepath.Join(top, "root")
	for name, f := range mapSite(t) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, modTime, modTime); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(top, "secret.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// secret is the content of a file outside the served root, and of the
// site's dotfile: no response may ever hold it.
const secret = "SECRET"

// sites returns the three sites by name, and whether their files have
// modification times.
func sites(t testing.TB) []site {
	return []site{
		{"embed", embedSite(t), false},
		{"MapFS", mapSite(t), true},
		{"DirFS", os.DirFS(dirSite(t)), true},
	}
}

type site struct {
	name     string
	fsys     fs.FS
	hasTimes bool
}

func readFile(t testing.TB, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lines turns a test's raw request text into CRLF lines.
func lines(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
