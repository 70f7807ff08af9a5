// Package lateness records how late a periodic tick fires against its
// schedule, and reports it as the examples print it when they stop:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C
//
// It is shared by examples/blink, examples/files and examples/dashboard,
// and read by bench/run.sh and the examples' tests.
package lateness

import (
	"fmt"
	"slices"
	"time"
)

// A Recorder holds tick lateness in bounded memory: a count per whole
// microsecond below maxBucket, and the rare later samples themselves, so
// a loop that runs for days does not grow. Percentiles are exact: the
// sample at index p*(n-1) of the sorted samples, in whole microseconds.
// The zero Recorder is ready to use.
type Recorder struct {
	n       int
	buckets [maxBucket]uint32
	over    []time.Duration
}

const maxBucket = 10000 // µs: 40 KB of counts

// Add records one tick that fired d late.
func (r *Recorder) Add(d time.Duration) {
	r.n++
	if us := d.Microseconds(); us >= 0 && us < maxBucket {
		r.buckets[us]++
		return
	}
	r.over = append(r.over, d)
}

// Quantile returns the p-quantile of the lateness, in microseconds: the
// sample at index p*(n-1) of the sorted samples, or 0 if there are none.
func (r *Recorder) Quantile(p float64) int64 {
	if r.n == 0 {
		return 0
	}
	k := int(p * float64(r.n-1))
	for us, c := range r.buckets {
		if k < int(c) {
			return int64(us)
		}
		k -= int(c)
	}
	slices.Sort(r.over)
	return r.over[k].Microseconds()
}

// Report returns the line the examples print: the tick count and the
// lateness at p50, p99 and the maximum.
func (r *Recorder) Report() string {
	return fmt.Sprintf("ticks %d late_p50_us %d late_p99_us %d late_max_us %d",
		r.n, r.Quantile(0.50), r.Quantile(0.99), r.Quantile(1))
}
