//go:build !tinygo

// Not built by TinyGo: it runs the go command, and there are no processes inside wasm or qemu. See README.md, "TinyGo".

package biplane

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this module's path, the prefix of every package's.
const module = "github.com/biplane-go/biplane"

// noNet is what the core and every package that must build where there
// is no net package (TinyGo on boards, WASI) may not import: net appears
// only in their tests, as the client side. Of the module's packages, only
// nethttp imports net/http and only netsock imports net.
var noNet = []string{"net", "net/http/..."}

// dependencyRules lists, for each package, the packages that it may not
// depend on, directly or not; a trailing "/..." also forbids every
// package below. Test imports do not count.
var dependencyRules = []struct {
	pkg       string // relative to module
	forbidden []string
}{
	{"", noNet}, // so that TinyGo builds stay small
	{"/mdns", noNet},
	{"/memsock", noNet},
	{"/sse", noNet},
	{"/static", slices.Concat(noNet, []string{"mime"})}, // it keeps its own type table
	{"/tinysock", noNet},
	{"/unixsock", slices.Concat(noNet, []string{"golang.org/x/sys/..."})}, // syscalls alone
	{"/wasisock", noNet},
	{"/web", noNet},
	{"/websocket", noNet},
}

// TestNoNetDependency checks dependencyRules, and that no package's own
// code imports internal/servertest, the harness the tests share (it
// imports net and net/http).
func TestNoNetDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here (TinyGo test run)")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{} // import path → its dependencies
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	const harness = module + "/internal/servertest"
	if _, ok := deps[harness]; !ok {
		t.Errorf("go list does not list %s: %q", harness, out)
	}
	for pkg, ds := range deps {
		for _, d := range ds {
			if d == harness {
				t.Errorf("%s depends on %s, which only tests may import", pkg, d)
			}
		}
	}
	for _, r := range dependencyRules {
		pkg := module + r.pkg
		t.Run(pkg, func(t *testing.T) {
			ds, ok := deps[pkg]
			if !ok {
				t.Fatalf("go list does not list %s", pkg)
			}
			if len(ds) < 10 {
				t.Fatalf("go list printed too little to judge: %q", ds)
			}
			for _, d := range ds {
				for _, f := range r.forbidden {
					if matches(f, d) {
						t.Errorf("%s depends on %s", pkg, d)
					}
				}
			}
		})
	}
}

// matches reports whether the import path pkg matches pattern: the same
// path, or, for a pattern ending in "/...", that path or one below it.
func matches(pattern, pkg string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}
