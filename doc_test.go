//go:build !tinygo

// Not built by TinyGo: it reads doc.go from the file system.

package biplane

import (
	"os"
	"strings"
	"testing"
)

// TestStateTable: doc.go's table of connection states names every state
// the code has, in its first column.
func TestStateTable(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	// The table is the indented block under the line "//\tstate …".
	listed := map[string]bool{}
	in := false
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "//\tstate "):
			in = true
		case in && strings.HasPrefix(line, "//\t"):
			listed[strings.Fields(line[3:])[0]] = true
		case in:
			in = false
		}
	}
	for _, name := range stateNames {
		if !listed[name] {
			t.Errorf("doc.go's state table does not list the state %q", name)
		}
	}
}
