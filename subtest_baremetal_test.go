//go:build baremetal

package biplane

import "testing"

// subtest runs f in t itself: on a board, hundreds of subtests fragment
// TinyGo's small heap until it runs out. The name is not logged, because
// TinyGo keeps a passing test's log in memory.
func subtest(t *testing.T, name string, f func(t *testing.T)) {
	f(t)
}
