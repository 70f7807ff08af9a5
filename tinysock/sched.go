//go:build !scheduler.none

package tinysock

// haveScheduler is true where goroutines exist: everywhere but TinyGo's
// -scheduler=none.
const haveScheduler = true

// startAccepting starts l's accept goroutine.
func startAccepting(l *Listener) { go l.acceptLoop() }
