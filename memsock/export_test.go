package memsock

// SetWaitHook makes Wait call f each time it is about to block, and returns
// a function that removes it. Tests use it to act while Wait is blocked
// without sleeping.
func SetWaitHook(f func()) (restore func()) {
	old := testHookWaitBlocks
	testHookWaitBlocks = f
	return func() { testHookWaitBlocks = old }
}
