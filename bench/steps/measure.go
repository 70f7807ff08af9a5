package main

import (
	"fmt"
	"io"
	"runtime/metrics"
	"syscall"
	"time"
	"unsafe"

	"github.com/biplane-go/biplane"
)

// A probe is what -detail reads before and after each step.
type probe struct {
	cpu            time.Duration // this thread's CPU time (CLOCK_THREAD_CPUTIME_ID)
	nvcsw, nivcsw  int64         // its voluntary and involuntary context switches
	cycles, pauses uint64        // GC cycles completed, GC stop-the-world pauses
	alloc          uint64        // bytes allocated on the heap
}

// marking reports whether the GC is between the pause that starts a cycle
// and the one that ends it: every cycle stops the world twice.
func (p *probe) marking() bool { return p.pauses > 2*p.cycles }

// A record is one step: when it started, how long it took, and what
// happened in it.
type record struct {
	at, d time.Duration
	conns int // open after the step

	// From Server.Stats.
	accepted, closed, requests, refused503, timeouts408, idleTimeouts, writeTimeouts uint64

	// With -detail.
	t     tally
	gc    bool // a GC pause, or marking, during the step
	alloc uint64
	// off is how much of the step the thread was not on its CPU: the
	// step's duration less the thread's CPU time over an interval that
	// contains it (so a few hundred ns of it are hidden by the probes).
	off time.Duration
	// Context switches during the step: voluntary ones mean the thread
	// blocked in the kernel, involuntary ones that it was preempted.
	vcsw, ivcsw int64
}

// Duration classes for the report, in µs: class i holds steps of at most
// classEdges[i], the last one the rest.
var classEdges = [...]float64{1, 2, 5, 10, 20, 50, 100, 200, 500}

const nClasses = len(classEdges) + 1

// offCPU is the time off the CPU beyond which a step counts as
// descheduled.
const offCPU = time.Microsecond

func classOf(d time.Duration) int {
	us := float64(d) / 1e3
	for i, e := range classEdges {
		if us <= e {
			return i
		}
	}
	return nClasses - 1
}

func className(i int) string {
	switch i {
	case 0:
		return fmt.Sprintf("≤ %g µs", classEdges[0])
	case nClasses - 1:
		return fmt.Sprintf("> %g µs", classEdges[i-1])
	}
	return fmt.Sprintf("%g–%g µs", classEdges[i-1], classEdges[i])
}

// A class sums the records of the steps in one duration class.
type class struct {
	n, gc, switched                                         uint64
	t                                                       tally
	requests, refused503, closed, accepted, timeouts, alloc uint64
	sum, off                                                time.Duration
}

// A measure holds everything recorded about the steps; nothing in it
// allocates once it is made.
type measure struct {
	o          *options
	all, clean hist
	gc, off    hist // steps with GC activity; steps off the CPU for more than offCPU
	classes    [nClasses]class
	top        []record // the slowest steps, unordered
	topMin     int      // index of the fastest of them
	prev       biplane.Stats
	peakConns  int
	b, a       probe
	fit        fit
	startMono  time.Duration // CLOCK_MONOTONIC when the steps began, to match them with kernel traces
	most       features      // the largest of each feature in one step
	samples    []metrics.Sample
	ts         syscall.Timespec
	ru         syscall.Rusage
}

func newMeasure(o *options) *measure {
	m := &measure{o: o, top: make([]record, 0, max(o.top, 1))}
	m.samples = []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	if o.detail {
		m.readGC(&m.a) // sizes the histogram's slices once
	}
	return m
}

const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID: exact, unlike getrusage's

// readGC reads the garbage collector's counters into p.
func (m *measure) readGC(p *probe) {
	metrics.Read(m.samples)
	p.cycles = m.samples[0].Value.Uint64()
	p.pauses = 0
	for _, c := range m.samples[1].Value.Float64Histogram().Counts {
		p.pauses += c
	}
	p.alloc = m.samples[2].Value.Uint64()
}

// readCPU reads the thread's CPU time and context switches into p.
func (m *measure) readCPU(p *probe) {
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&m.ts)), 0)
	p.cpu = time.Duration(m.ts.Nano())
	syscall.Getrusage(rusageThread, &m.ru)
	p.nvcsw, p.nivcsw = m.ru.Nvcsw, m.ru.Nivcsw
}

const rusageThread = 1 // RUSAGE_THREAD

// before probes the state before a step (with -detail), the thread's
// clock last, and clears the transport's tally.
func (m *measure) before() {
	cur = tally{}
	m.readGC(&m.b)
	m.readCPU(&m.b)
}

// after records a step that started at t0 and took d.
func (m *measure) after(srv *biplane.Server, t0, d time.Duration) {
	if m.o.detail {
		m.readCPU(&m.a) // the thread's clock first
		m.readGC(&m.a)
	}
	m.all.add(d)
	st := srv.Stats()
	r := record{
		at: t0, d: d, conns: st.Open,
		accepted:      st.Accepted - m.prev.Accepted,
		closed:        st.Closed - m.prev.Closed,
		requests:      st.Requests - m.prev.Requests,
		refused503:    st.Refused(503) - m.prev.Refused(503),
		timeouts408:   st.RequestTimeouts - m.prev.RequestTimeouts,
		idleTimeouts:  st.IdleTimeouts - m.prev.IdleTimeouts,
		writeTimeouts: st.WriteTimeouts - m.prev.WriteTimeouts,
	}
	m.prev = st
	m.peakConns = max(m.peakConns, st.Open)
	c := &m.classes[classOf(d)]
	c.n++
	c.sum += d
	if m.o.detail {
		b, a := &m.b, &m.a
		r.t = cur
		r.gc = a.pauses != b.pauses || a.cycles != b.cycles || a.marking() || b.marking()
		r.alloc = a.alloc - b.alloc
		r.off = max(0, d-(a.cpu-b.cpu))
		r.vcsw, r.ivcsw = a.nvcsw-b.nvcsw, a.nivcsw-b.nivcsw
		c.t.add(&r.t)
		c.requests += r.requests
		c.refused503 += r.refused503
		c.closed += r.closed
		c.accepted += r.accepted
		c.timeouts += r.timeouts408 + r.idleTimeouts + r.writeTimeouts
		c.alloc += r.alloc
		c.off += r.off
		if r.gc {
			c.gc++
		}
		if r.off > offCPU {
			c.switched++
		}
		var x features
		x.set(&r)
		for i := range x {
			m.most[i] = max(m.most[i], x[i])
		}
		if r.gc {
			m.gc.add(d)
		}
		if r.off > offCPU {
			m.off.add(d)
		}
		if !r.gc && r.off <= offCPU {
			m.clean.add(d)
			m.fit.add(&x, float64(d)/1e3)
		}
	}
	switch {
	case len(m.top) < cap(m.top):
		m.top = append(m.top, r)
		if r.d < m.top[m.topMin].d {
			m.topMin = len(m.top) - 1
		}
	case r.d > m.top[m.topMin].d:
		m.top[m.topMin] = r
		for i := range m.top {
			if m.top[i].d < m.top[m.topMin].d {
				m.topMin = i
			}
		}
	}
}

func (t *tally) add(u *tally) {
	t.accepts += u.accepts
	t.acceptWB += u.acceptWB
	t.polls += u.polls
	t.events += u.events
	t.reads += u.reads
	t.skipped += u.skipped
	t.readBytes += u.readBytes
	t.writes += u.writes
	t.writeBytes += u.writeBytes
	t.shutdowns += u.shutdowns
	t.closes += u.closes
}

func (m *measure) report(w io.Writer, srv *biplane.Server, up *uploads, elapsed time.Duration, reason string) {
	st := srv.Stats()
	fmt.Fprintf(w, "steps: measured %.1f s (stopped by %s), %d steps (%.0f a second), peak %d open connections\n",
		elapsed.Seconds(), reason, m.all.n, float64(m.all.n)/elapsed.Seconds(), m.peakConns)
	fmt.Fprintf(w, "server: accepted %d, closed %d, requests %d, refused 503 %d, 408 %d, idle timeouts %d, write timeouts %d; uploads: %d MiB received, %d done, %d aborted\n",
		st.Accepted, st.Closed, st.Requests, st.Refused(503), st.RequestTimeouts, st.IdleTimeouts, st.WriteTimeouts,
		up.bytes>>20, up.done, up.aborted)
	missing := ""
	if st.Refused(503) == 0 {
		missing += " no 503 (the flood never passed MaxConns);"
	}
	if st.RequestTimeouts == 0 && elapsed > m.o.requestTimeout {
		missing += " no 408 (slowloris was never timed out);"
	}
	if up.bytes == 0 && m.o.uploadSize > 0 {
		missing += " no upload bytes;"
	}
	if m.peakConns < m.o.idle {
		missing += fmt.Sprintf(" fewer open connections than the %d idle ones;", m.o.idle)
	}
	if missing != "" {
		fmt.Fprintf(w, "warning: the mix was incomplete:%s\n", missing)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, m.all.line("steps"))
	if m.o.detail {
		fmt.Fprintln(w, m.clean.line("steps-clean"))
		fmt.Fprintln(w, m.gc.line("steps-gc"))
		fmt.Fprintln(w, m.off.line("steps-off-cpu"))
		fmt.Fprintln(w, "  (clean: the thread stayed on its CPU, within 1 µs, and the GC neither paused nor marked;")
		fmt.Fprintln(w, "  gc: the GC stopped the world or was marking; off-cpu: the thread was off its CPU for more than 1 µs)")
	}

	fmt.Fprintf(w, "\nStep durations (StepConns %d):\n\n", m.o.stepConns)
	if m.o.detail {
		fmt.Fprintln(w, "| duration | steps | share | mean µs | kernel calls | accepts | epoll | events | reads | KiB read | writes | KiB written | shutdowns | closes | requests | 503 | timeouts | with GC | descheduled | µs off CPU | B alloc |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| duration | steps | share | mean µs |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
	}
	for i := range m.classes {
		c := &m.classes[i]
		if c.n == 0 {
			continue
		}
		n := float64(c.n)
		fmt.Fprintf(w, "| %s | %d | %.4f%% | %.2f |", className(i), c.n, 100*n/float64(m.all.n), float64(c.sum)/n/1e3)
		if m.o.detail {
			t := &c.t
			mean := func(v int) float64 { return float64(v) / n }
			fmt.Fprintf(w, " %.1f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f%% | %.1f%% | %.1f | %.0f |",
				mean(t.calls()), mean(t.accepts), mean(t.polls), mean(t.events), mean(t.reads),
				mean(t.readBytes)/1024, mean(t.writes), mean(t.writeBytes)/1024, mean(t.shutdowns), mean(t.closes),
				float64(c.requests)/n, float64(c.refused503)/n, float64(c.timeouts)/n,
				100*float64(c.gc)/n, 100*float64(c.switched)/n, float64(c.off)/n/1e3, float64(c.alloc)/n)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nThe %d slowest steps, by duration (at: seconds from the first step, at CLOCK_MONOTONIC %d ns):\n\n", len(m.top), m.startMono)
	sortRecords(m.top)
	if m.o.detail {
		fmt.Fprintln(w, "| at s | µs | open | accepted | closed | requests | 503 | 408 | idle t/o | epoll | events | reads | KiB read | writes | KiB written | shutdowns | GC | B alloc | µs off CPU | switches: blocked/preempted |")
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|")
	} else {
		fmt.Fprintln(w, "| at s | µs | open | accepted | closed | requests | 503 | 408 | idle t/o |")
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	}
	for _, r := range m.top {
		fmt.Fprintf(w, "| %.6f | %.1f | %d | %d | %d | %d | %d | %d | %d |", r.at.Seconds(), float64(r.d)/1e3, r.conns,
			r.accepted, r.closed, r.requests, r.refused503, r.timeouts408, r.idleTimeouts)
		if m.o.detail {
			gc := "–"
			if r.gc {
				gc = "yes"
			}
			fmt.Fprintf(w, " %d | %d | %d | %.1f | %d | %.1f | %d | %s | %d | %.1f | %d/%d |", r.t.polls, r.t.events, r.t.reads,
				float64(r.t.readBytes)/1024, r.t.writes, float64(r.t.writeBytes)/1024, r.t.shutdowns, gc, r.alloc, float64(r.off)/1e3, r.vcsw, r.ivcsw)
		}
		fmt.Fprintln(w)
	}
	if m.o.detail {
		m.fit.report(w, &m.most)
	}
}

// sortRecords sorts rs slowest first (insertion sort: a dozen records).
func sortRecords(rs []record) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].d > rs[j-1].d; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
