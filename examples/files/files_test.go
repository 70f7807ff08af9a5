//go:build !tinygo

// Not built by TinyGo: the command serves through os.OpenRoot, which
// TinyGo lacks. It runs as a process in examples/files_test.go.

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

// TestLateness: the histogram's percentiles are exactly blink's, which
// sorts every sample, over samples below and beyond its buckets.
func TestLateness(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 101, 5000} {
		var l lateness
		var all []time.Duration
		for range n {
			d := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
			if rng.IntN(50) == 0 {
				d += 20 * time.Millisecond // beyond the buckets
			}
			l.add(d)
			all = append(all, d)
		}
		slices.Sort(all)
		blink := func(p float64) int64 {
			if len(all) == 0 {
				return 0
			}
			return all[int(p*float64(len(all)-1))].Microseconds()
		}
		want := fmt.Sprintf("ticks %d late_p50_us %d late_p99_us %d late_max_us %d", n, blink(0.5), blink(0.99), blink(1))
		if got := l.report(); got != want {
			t.Errorf("%d samples: %q, want %q", n, got, want)
		}
	}
}

// TestPeakRSS reads this process's VmHWM.
func TestPeakRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if kib := peakRSS(); kib <= 0 || kib > 1<<30 {
		t.Fatalf("peakRSS() = %d KiB", kib)
	}
}
