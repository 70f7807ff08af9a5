//go:build scheduler.none

package tinysock

// Without a scheduler nothing can wait in netdev's Accept beside the loop:
// Listen refuses to start.
const haveScheduler = false

func startAccepting(l *Listener) {}
