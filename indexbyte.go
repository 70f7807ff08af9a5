//go:build !tinygo

package biplane

import "bytes"

// indexByte is bytes.IndexByte, which the Go toolchain implements with
// vector instructions.
func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }
