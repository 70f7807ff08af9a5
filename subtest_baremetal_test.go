//go:build baremetal

package biplane

import "testing"

// subtest runs f in t itself: on a board, hundreds of subtests fragment
// TinyGo's small heap until it runs out.
func subtest(t *testing.T, name string, f func(t *testing.T)) {
	t.Log(name)
	f(t)
}
