//go:build !tinygo

// Not built by TinyGo: it runs the go command.

package static

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: like the core, the package imports neither net nor
// net/http, and it keeps its own type table rather than package mime, so
// that TinyGo builds stay small.
func TestDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed too little to judge: %q", out)
	}
	for _, d := range deps {
		switch d {
		case "net", "net/http", "mime":
			t.Errorf("package static depends on %s", d)
		}
	}
}
