//go:build !tinygo

// Not built by TinyGo: it runs the go command, and there are no processes inside wasm or qemu. See README.md, "TinyGo".

package biplane

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetDependency: the core imports neither net nor net/http, so that
// TinyGo builds stay small and the core runs where there is no net package.
func TestNoNetDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here (TinyGo test run)")
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
		if d == "net" || d == "net/http" {
			t.Errorf("the root package depends on %s", d)
		}
	}
}
