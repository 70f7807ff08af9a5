package memsock

// SetWaitHook makes l's Wait call f each time it is about to block. Tests
// use it to act while Wait is blocked without sleeping.
func SetWaitHook(l *Listener, f func()) { l.ready.BlockHook = f }
