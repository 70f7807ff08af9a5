//go:build !baremetal

package biplane

import "testing"

// subtest runs f as a subtest named name.
func subtest(t *testing.T, name string, f func(t *testing.T)) { t.Run(name, f) }
