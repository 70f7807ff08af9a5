//go:build !tinygo

// Not built by TinyGo: it runs the go command.

package websocket

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetDependency: like the core, the package imports neither net nor
// net/http, so that it builds where they are missing (TinyGo on boards)
// and stays small; net appears only in the tests, as the client side.
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
		if d == "net" || d == "net/http" {
			t.Errorf("websocket depends on %s", d)
		}
	}
}
