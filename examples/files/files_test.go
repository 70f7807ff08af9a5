//go:build !tinygo

// Not built by TinyGo: the command serves through os.OpenRoot, which
// TinyGo lacks. It runs as a process in examples/files_test.go.

package main

import (
	"os"
	"testing"
)

// TestPeakRSS reads this process's VmHWM.
func TestPeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if kib := peakRSS(); kib <= 0 || kib > 1<<30 {
		t.Fatalf("peakRSS() = %d KiB", kib)
	}
}
