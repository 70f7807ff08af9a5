// Command steps measures how long each biplane.Server.Step takes while one
// loop serves a hostile mix, and says what the slowest steps did. It runs
// the server (biplane over unixsock on 127.0.0.1, one goroutine, locked
// to its thread) and starts the mix as a second process of its own
// ("steps load"), which it stops by its PID at the end:
//
//   - 1,000 idle keep-alive connections, each after one GET /;
//   - 4 connections pipelining GET / 64 deep, over and over;
//   - 50 slowloris connections, each sending a header line a second;
//   - PUT /upload of 1 GiB after 1 GiB, taken on its head with
//     biplane.Receive by a receiver that CRC-32Cs and discards it;
//   - a slow reader of GET /big, a 64 MiB file served by static.Server
//     from a temporary directory, through the smallest receive buffer
//     the kernel allows, at 256 KiB/s;
//   - once the idle connections are held, 16 connections at a time past
//     MaxConns (which is set just above the rest), each answered 503.
//
// Every client reconnects when the server closes it, so the mix lasts the
// whole run. RequestTimeout and IdleTimeout are 5 s, shorter than the
// library's defaults, so that slowloris is answered 408 and idle
// connections time out (and come back) several times in a run.
//
//	steps [-d 20s] [-step-conns 4] [-detail] [-load-cpus 1] [-reserve-conns N] [-hist FILE]
//	steps floor [-d 20s] [-hist FILE]
//
// Other flags change the mix (-idle, -slowloris, -pipelined, -depth,
// -flood, -upload-size, -file-size, -read-rate; 0 leaves a part out) and
// the server (-max-conns, -request-timeout, -idle-timeout, -gc).
//
// The duration of each Step (time.Now around the call) goes into a
// histogram of fixed log-scale buckets (20 a decade, 100 ns to 1 s) that
// never allocates. At the end it prints p50, p99, p99.9, p99.99 and the
// maximum, the slowest steps with what the server's Stats say happened in
// them, and a line for run.sh:
//
//	steps N mean_us A p50_us B p99_us C p999_us D p9999_us E max_us F over100us G over20us H
//
// Quantiles are upper bounds: the upper edge of their bucket (at most 12%
// above), or the maximum. The maximum is exact.
//
// With -detail every step is also probed, outside the timed call: the
// transport is wrapped to count the calls that reach the kernel (accepts,
// epoll waits, reads, writes, shutdowns, closes) and the bytes moved;
// CLOCK_THREAD_CPUTIME_ID before and after says how much of the step the
// thread was off its CPU, and getrusage(RUSAGE_THREAD) whether it blocked
// in the kernel (a voluntary context switch) or was preempted (an
// involuntary one); runtime/metrics says whether the garbage collector
// stopped the world or was marking, and how much the step allocated. The
// report then adds a table of steps by duration class with the mean of
// each; histograms of the "clean" steps (on the CPU throughout, no GC
// activity: the server's own cost), of the steps with GC activity and of
// those off the CPU; and a cost model: a least-squares fit of the clean
// steps' durations to their counts, which says what one accept, close,
// write or request costs on this machine, beside the most of each that
// one step did. Probing costs a few microseconds between steps, so the
// run without -detail gives the headline figures. The slowest steps are
// listed with their start on CLOCK_MONOTONIC, to match them with a kernel
// trace (ftrace's "mono" clock).
//
// With -reserve-conns N the listener is made with unixsock.Config.Conns
// N, which grows the process's descriptor table before serving. Linux
// grows the table by doubling it when a new descriptor does not fit, and
// in a threaded process that waits for an RCU grace period
// (expand_fdtable calls synchronize_rcu): without it, the accept4 that
// takes the 256th, 512th, 1024th… descriptor blocks for milliseconds, once
// in the life of the process.
//
// "steps floor" spins for -d reading the clock, and counts the gaps
// between reads in the same histogram: the longest the machine keeps a
// thread from running on that CPU, under which no step can be measured.
//
// The measurement begins with the first connection, and stops after -d or
// -max-steps steps, whichever is first, or on SIGINT or SIGTERM. The load
// process gets SIGTERM, then SIGKILL after 5 s; it is also killed if this
// process dies (PR_SET_PDEATHSIG). Pin the server as run.sh does:
//
//	taskset -c 0 env GOMAXPROCS=1 steps -load-cpus 1
//
// Under chrt (a real-time policy, so that nothing else on the CPU can
// preempt the loop), the load process is started with chrt --other, so
// that it does not inherit the policy.
package main

import (
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/static"
	"github.com/biplane-go/biplane/unixsock"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "load" {
		loadMain(os.Args[2:])
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		floorMain(os.Args[2:])
		return
	}
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	flag.DurationVar(&o.d, "d", 20*time.Second, "how long to measure, from the start of the load")
	flag.Uint64Var(&o.maxSteps, "max-steps", 100_000_000, "stop after this many steps")
	flag.IntVar(&o.stepConns, "step-conns", 4, "Server.StepConns")
	flag.IntVar(&o.maxConns, "max-conns", 0, "Limits.MaxConns (0: just above the mix without the flood, so the flood is refused)")
	flag.DurationVar(&o.requestTimeout, "request-timeout", 5*time.Second, "Limits.RequestTimeout")
	flag.DurationVar(&o.idleTimeout, "idle-timeout", 5*time.Second, "Limits.IdleTimeout")
	flag.IntVar(&o.idle, "idle", 1000, "idle keep-alive connections")
	flag.IntVar(&o.loris, "slowloris", 50, "slowloris connections")
	flag.IntVar(&o.pipes, "pipelined", 4, "pipelining connections")
	flag.IntVar(&o.depth, "depth", 64, "pipelining depth")
	flag.IntVar(&o.flood, "flood", 16, "connections opened at once past MaxConns")
	flag.Int64Var(&o.uploadSize, "upload-size", 1<<30, "bytes per upload (0: no uploads)")
	flag.Int64Var(&o.fileSize, "file-size", 64<<20, "bytes of the file the slow reader downloads")
	flag.IntVar(&o.readRate, "read-rate", 256<<10, "bytes/s the slow reader reads (0: no slow reader)")
	flag.BoolVar(&o.detail, "detail", false, "probe every step: transport calls, context switches, page faults, GC, allocation")
	flag.IntVar(&o.gcPercent, "gc", 100, "GOGC for the server (-1: off, with a 4 GiB memory limit)")
	flag.StringVar(&o.loadCPUs, "load-cpus", "", "run the load process under taskset -c `CPUS`")
	flag.StringVar(&o.histFile, "hist", "", "write the histogram's buckets to `FILE` (TSV: upper edge in ns, steps)")
	flag.IntVar(&o.top, "top", 12, "slowest steps to list")
	flag.IntVar(&o.reserveConns, "reserve-conns", 0, "make the listener with unixsock.Config.Conns `N`, growing the descriptor table before serving (see the doc)")
	flag.Parse()
	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "steps:", err)
		os.Exit(1)
	}
}

type options struct {
	addr                        string
	d                           time.Duration
	maxSteps                    uint64
	stepConns, maxConns         int
	requestTimeout, idleTimeout time.Duration
	idle, loris, pipes, depth   int
	flood                       int
	uploadSize, fileSize        int64
	readRate                    int
	detail                      bool
	gcPercent                   int
	loadCPUs, histFile          string
	top                         int
	reserveConns                int
}

func run(o *options) error {
	if o.maxConns == 0 {
		// The mix without the flood, and a little room for reconnections.
		o.maxConns = o.idle + o.loris + o.pipes + 2 + 8
	}
	if o.gcPercent != 100 {
		debug.SetGCPercent(o.gcPercent)
		if o.gcPercent < 0 {
			debug.SetMemoryLimit(4 << 30)
		}
	}
	dir, err := os.MkdirTemp("", "steps-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeFile(dir+"/big", o.fileSize); err != nil {
		return err
	}

	ln, err := unixsock.Config{Conns: o.reserveConns}.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	var l biplane.Listener = ln
	if o.detail {
		l = &countListener{Listener: ln}
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello200}
	})
	mux.Handle("GET /big", &static.Server{FS: os.DirFS(dir)})
	var up uploads
	mux.Handle("PUT /upload", biplane.Receive(up.accept))
	srv := &biplane.Server{
		Listener:  l,
		Handler:   &mux,
		StepConns: o.stepConns,
		Limits: biplane.Limits{
			MaxConns:       o.maxConns,
			RequestTimeout: o.requestTimeout,
			IdleTimeout:    o.idleTimeout,
		},
	}
	defer srv.Close()

	load, exited, err := startLoad(o, ln.Addr().String())
	if err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	fmt.Printf("steps: serving on %s, StepConns %d, MaxConns %d, RequestTimeout %v, IdleTimeout %v, GOGC %d, GOMAXPROCS %d, detail %v; load pid %d\n",
		ln.Addr(), o.stepConns, o.maxConns, o.requestTimeout, o.idleTimeout, o.gcPercent, runtime.GOMAXPROCS(0), o.detail, load.Process.Pid)

	m := newMeasure(o)
	runtime.LockOSThread()
	// Steps are counted from the first connection on: before it the load
	// process is still starting, at first on this CPU.
	for srv.Conns() == 0 {
		if !srv.Step() {
			return fmt.Errorf("server stopped: %v", srv.Err())
		}
		select {
		case err := <-exited:
			return fmt.Errorf("load process exited early: %v", err)
		default:
		}
		srv.Wait(50 * time.Millisecond)
	}
	start := time.Now()
	var mono syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&mono)), 0) // CLOCK_MONOTONIC
	m.startMono = time.Duration(mono.Nano())
	end := o.d
	reason := "time"
loop:
	for {
		if o.detail {
			m.before()
		}
		t0 := time.Since(start)
		ok := srv.Step()
		d := time.Since(start) - t0
		m.after(srv, t0, d)
		switch {
		case !ok:
			return fmt.Errorf("server stopped: %v", srv.Err())
		case m.all.n >= o.maxSteps:
			reason = "step count"
			break loop
		case t0 >= end:
			break loop
		}
		select {
		case <-stop:
			reason = "signal"
			break loop
		case err := <-exited:
			return fmt.Errorf("load process exited early: %v", err)
		default:
		}
		srv.Wait(min(end-t0, 50*time.Millisecond))
	}
	elapsed := time.Since(start)
	runtime.UnlockOSThread()

	stopLoad(load, exited)
	m.report(os.Stdout, srv, &up, elapsed, reason)
	if o.histFile != "" {
		f, err := os.Create(o.histFile)
		if err != nil {
			return err
		}
		if o.detail {
			writeTSV(f, []string{"steps", "clean", "gc", "off_cpu"}, []*hist{&m.all, &m.clean, &m.gc, &m.off})
		} else {
			writeTSV(f, []string{"steps"}, []*hist{&m.all})
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

var hello200 = []byte("<b>Hello, world!</b>")

// writeFile writes size bytes that do not compress to name.
func writeFile(name string, size int64) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range buf {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		buf[i] = byte(x)
	}
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// startLoad starts "steps load" as a process of its own, and a goroutine
// that reports its exit on the channel.
func startLoad(o *options, addr string) (*exec.Cmd, chan error, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	args := []string{self, "load", "-addr", addr,
		"-idle", strconv.Itoa(o.idle), "-slowloris", strconv.Itoa(o.loris),
		"-pipelined", strconv.Itoa(o.pipes), "-depth", strconv.Itoa(o.depth),
		"-flood", strconv.Itoa(o.flood), "-upload-size", strconv.FormatInt(o.uploadSize, 10),
		"-read-rate", strconv.Itoa(o.readRate)}
	if o.loadCPUs != "" {
		tset, err := exec.LookPath("taskset")
		if err != nil {
			return nil, nil, fmt.Errorf("-load-cpus: %v", err)
		}
		args = append([]string{tset, "-c", o.loadCPUs}, args...)
	}
	if p, _, _ := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, 0, 0, 0); p != 0 {
		// Under chrt: the load must not inherit a real-time policy.
		chrt, err := exec.LookPath("chrt")
		if err != nil {
			return nil, nil, fmt.Errorf("running under a real-time policy, and no chrt to leave it for the load: %v", err)
		}
		args = append([]string{chrt, "--other", "0"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// The load's own GOMAXPROCS: as many as its CPUs, not the server's 1.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return cmd, exited, nil
}

// stopLoad stops the load process by its PID: SIGTERM, so that it prints
// its counts, then SIGKILL after 5 s.
func stopLoad(cmd *exec.Cmd, exited chan error) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// uploads takes PUT /upload bodies with a receiver that hashes each piece
// and keeps nothing: the least a program can do with an upload while
// still reading every byte.
type uploads struct {
	bytes, done, aborted int64
}

type receiver struct {
	u   *uploads
	n   int64
	sum uint32
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (u *uploads) accept(r *biplane.Request) biplane.Response {
	r.LimitBody(biplane.BodyLimits{MaxBytes: 1 << 40})
	return biplane.Response{Receive: &receiver{u: u}}
}

func (rc *receiver) Write(p []byte) (int, error) {
	rc.sum = crc32.Update(rc.sum, castagnoli, p)
	rc.n += int64(len(p))
	rc.u.bytes += int64(len(p))
	return len(p), nil
}

func (rc *receiver) Done() (biplane.Response, error) {
	rc.u.done++
	return biplane.Response{ContentType: "text/plain", Body: []byte("ok\n")}, nil
}

func (rc *receiver) Abort(err error) { rc.u.aborted++ }

// floorMain measures the machine's floor under the step durations: a loop
// that only reads the clock, for -d, counting the time between one read
// and the next in the same histogram. Its maximum is the longest the
// thread was kept from running (by the scheduler, interrupts, the
// hypervisor), which no step can beat on this CPU.
func floorMain(args []string) {
	fs := flag.NewFlagSet("steps floor", flag.ExitOnError)
	d := fs.Duration("d", 20*time.Second, "how long to spin")
	histFile := fs.String("hist", "", "write the histogram's buckets to `FILE`")
	fs.Parse(args)
	runtime.LockOSThread()
	var h hist
	start := time.Now()
	last := time.Duration(0)
	for last < *d {
		now := time.Since(start)
		h.add(now - last)
		last = now
	}
	fmt.Printf("floor: spun %.1f s reading the clock\n", last.Seconds())
	fmt.Println(h.line("floor"))
	if *histFile != "" {
		f, err := os.Create(*histFile)
		if err == nil {
			writeTSV(f, []string{"floor"}, []*hist{&h})
			err = f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "steps:", err)
			os.Exit(1)
		}
	}
}
