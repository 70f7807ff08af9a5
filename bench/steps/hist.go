package main

import (
	"fmt"
	"io"
	"math"
	"time"
)

// Histogram buckets: 20 a decade (each 12% wider than the last) from
// 100 ns to 1 s, one below and one above. A step's duration is counted in
// the first bucket whose upper edge is at least the duration, so a
// quantile read from it is an upper bound, at most 12% above the truth.
const (
	perDecade = 20
	decades   = 7
	minEdge   = 100 // ns: the first bucket's upper edge
	nBuckets  = perDecade*decades + 2
)

// edges[i] is the upper edge of bucket i, in ns; the last is unbounded.
var edges = func() [nBuckets]float64 {
	var e [nBuckets]float64
	for i := range nBuckets - 1 {
		e[i] = minEdge * math.Pow(10, float64(i)/perDecade)
	}
	e[nBuckets-1] = math.Inf(1)
	return e
}()

// bucket returns the index of the bucket that counts d.
func bucket(d time.Duration) int {
	if d <= minEdge {
		return 0
	}
	i := int(math.Ceil(math.Log10(float64(d)/minEdge) * perDecade))
	// Rounding in Log10 may put a duration on an edge one bucket off.
	for i > 0 && float64(d) <= edges[i-1] {
		i--
	}
	for i < nBuckets-1 && float64(d) > edges[i] {
		i++
	}
	return min(i, nBuckets-1)
}

// A hist counts step durations in fixed buckets, with their exact sum and
// maximum. Adding to it never allocates.
type hist struct {
	n      uint64
	sum    time.Duration
	max    time.Duration
	counts [nBuckets]uint64
}

func (h *hist) add(d time.Duration) {
	h.n++
	h.sum += d
	h.max = max(h.max, d)
	h.counts[bucket(d)]++
}

// quantile returns an upper bound of the p-quantile: the upper edge of the
// bucket holding the sample of rank ceil(p*n), or the maximum if that is
// lower. It is 0 for an empty histogram.
func (h *hist) quantile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == nBuckets-1 {
				return h.max
			}
			return min(time.Duration(edges[i]), h.max)
		}
	}
	return h.max
}

func (h *hist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// over returns how many steps took longer than d (to the buckets'
// resolution: those in buckets whose lower edge is at least d).
func (h *hist) over(d time.Duration) uint64 {
	var n uint64
	for i := nBuckets - 1; i > 0 && edges[i-1] >= float64(d); i-- {
		n += h.counts[i]
	}
	return n
}

// line is the summary that run.sh records, in µs.
func (h *hist) line(name string) string {
	us := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e3) }
	return fmt.Sprintf("%s %d mean_us %s p50_us %s p99_us %s p999_us %s p9999_us %s max_us %s over100us %d over20us %d",
		name, h.n, us(h.mean()), us(h.quantile(0.5)), us(h.quantile(0.99)), us(h.quantile(0.999)),
		us(h.quantile(0.9999)), us(h.max), h.over(100*time.Microsecond), h.over(20*time.Microsecond))
}

// writeTSV writes the buckets of hs side by side, one line per bucket
// that any of them counts: the upper edge in ns (the last one "inf"), then
// each one's count, under a header line of names.
func writeTSV(w io.Writer, names []string, hs []*hist) {
	fmt.Fprintf(w, "upper_ns")
	for _, n := range names {
		fmt.Fprintf(w, "\t%s", n)
	}
	fmt.Fprintln(w)
	for i := range nBuckets {
		var any uint64
		for _, h := range hs {
			any |= h.counts[i]
		}
		if any == 0 {
			continue
		}
		if i == nBuckets-1 {
			fmt.Fprint(w, "inf")
		} else {
			fmt.Fprintf(w, "%.0f", edges[i])
		}
		for _, h := range hs {
			fmt.Fprintf(w, "\t%d", h.counts[i])
		}
		fmt.Fprintln(w)
	}
}
