package lateness

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestReport: the histogram's percentiles are exactly those of every
// sample sorted, as blink once computed them, over samples below and
// beyond its buckets.
func TestReport(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 101, 5000} {
		var r Recorder
		var all []time.Duration
		for range n {
			d := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
			if rng.IntN(50) == 0 {
				d += 20 * time.Millisecond // beyond the buckets
			}
			r.Add(d)
			all = append(all, d)
		}
		slices.Sort(all)
		sorted := func(p float64) int64 {
			if len(all) == 0 {
				return 0
			}
			return all[int(p*float64(len(all)-1))].Microseconds()
		}
		want := fmt.Sprintf("ticks %d late_p50_us %d late_p99_us %d late_max_us %d", n, sorted(0.5), sorted(0.99), sorted(1))
		if got := r.Report(); got != want {
			t.Errorf("%d samples: %q, want %q", n, got, want)
		}
	}
}
