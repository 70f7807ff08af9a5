package unixsock

import (
	"testing"
	"time"
)

// TestEpollWaitFallback runs the timeouts through epoll_wait, as on kernels
// without epoll_pwait2, and checks that rounding never wakes Wait early.
func TestEpollWaitFallback(t *testing.T) {
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := l.w.(*epoller)
	if _, _, err := l.Wait(nil, time.Microsecond); err != nil {
		t.Fatal(err)
	}
	t.Logf("epoll_pwait2 supported: %v", !e.noPwait2)
	e.noPwait2 = true
	for _, d := range []time.Duration{time.Microsecond, 1500 * time.Microsecond, 2 * time.Millisecond} {
		start := time.Now()
		ready, acceptable, err := l.Wait(nil, d)
		if elapsed := time.Since(start); elapsed < d {
			t.Errorf("Wait(nil, %v) returned after %v", d, elapsed)
		}
		if len(ready) != 0 || acceptable || err != nil {
			t.Errorf("Wait(nil, %v) = %v, %v, %v; want [], false, nil", d, ready, acceptable, err)
		}
	}
}
