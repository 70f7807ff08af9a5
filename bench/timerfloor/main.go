// Command timerfloor measures how late this machine wakes a thread that
// sleeps until the next tick of a -hz schedule, with nothing else to do:
// the floor under examples/blink's tick lateness. It sleeps as biplane's
// unixsock Listener does on Linux, in epoll_pwait2 on an empty epoll set
// with the time left until the tick, and keeps blink's schedule.
//
//	timerfloor -hz 1000 [-slack 1ns]
//
// -slack sets the thread's timer slack (prctl PR_SET_TIMERSLACK; Linux's
// default is 50 µs), by which the kernel may defer a wake-up to batch it
// with others. On SIGINT or SIGTERM it prints blink's line and exits 0:
//
//	ticks N late_p50_us A late_p99_us B late_max_us C
//
// It is for Linux (amd64, arm64 and the others where epoll_pwait2 is 441).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"
	"unsafe"
)

const (
	sysEpollPwait2  = 441
	prSetTimerSlack = 29
	maxEpollEvents  = 8
)

func main() {
	hz := flag.Int("hz", 1000, "ticks per second")
	slack := flag.Duration("slack", 0, "timer slack to set; 0 keeps the default")
	flag.Parse()
	if *hz <= 0 {
		fmt.Fprintln(os.Stderr, "timerfloor: -hz must be positive")
		os.Exit(2)
	}
	runtime.LockOSThread() // the slack is per thread
	if *slack > 0 {
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, uintptr(*slack), 0); e != 0 {
			fmt.Fprintln(os.Stderr, "timerfloor: prctl:", e)
			os.Exit(1)
		}
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		fmt.Fprintln(os.Stderr, "timerfloor:", err)
		os.Exit(1)
	}
	var events [maxEpollEvents]syscall.EpollEvent
	wait := func(d time.Duration) {
		ts := syscall.NsecToTimespec(int64(d))
		_, _, e := syscall.Syscall6(sysEpollPwait2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
			maxEpollEvents, uintptr(unsafe.Pointer(&ts)), 0, 0)
		if e == syscall.ENOSYS {
			time.Sleep(d) // before Linux 5.11
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	period := time.Second / time.Duration(*hz)
	late := make([]time.Duration, 0, 1<<16)
	next := time.Now().Add(period)
	for {
		if now := time.Now(); !now.Before(next) {
			late = append(late, now.Sub(next))
			next = next.Add(period)
			if now.Sub(next) > period {
				next = now.Add(period)
			}
		}
		select {
		case <-stop:
			report(late)
			return
		default:
		}
		if d := time.Until(next); d > 0 {
			wait(d)
		}
	}
}

// report prints the tick count and lateness percentiles in microseconds,
// as examples/blink does.
func report(late []time.Duration) {
	slices.Sort(late)
	q := func(p float64) int64 {
		if len(late) == 0 {
			return 0
		}
		return late[int(p*float64(len(late)-1))].Microseconds()
	}
	fmt.Printf("ticks %d late_p50_us %d late_p99_us %d late_max_us %d\n",
		len(late), q(0.50), q(0.99), q(1))
}
