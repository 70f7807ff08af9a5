package unixsock

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoNetDependency: the package is made of syscalls alone; net (and its
// netpoller) appears only in the tests, as the client side.
func TestNoNetDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, d := range strings.Fields(string(out)) {
		if d == "net" || d == "net/http" || strings.HasPrefix(d, "golang.org/x/sys") {
			t.Errorf("unixsock depends on %s", d)
		}
	}
}
