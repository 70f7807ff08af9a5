//go:build !tinygo

// Not built by TinyGo: it runs the go command, and there are no processes
// inside wasm or qemu.

package web_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetDependency: web imports neither net nor net/http, so that it
// builds with TinyGo and adds nothing big to a device's program.
func TestNoNetDependency(t *testing.T) {
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
		if d == "net" || d == "net/http" || strings.HasPrefix(d, "net/http/") {
			t.Errorf("web depends on %s", d)
		}
	}
}
