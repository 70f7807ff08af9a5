// Package wasisock is a biplane transport for WebAssembly modules on WASI
// preview 1 (GOOS=wasip1, or TinyGo's -target=wasip1): it serves on a
// listening socket that the runtime opened for the module, such as the one
// "wazero run -listen=127.0.0.1:8000" opens.
//
// The calls are made through //go:wasmimport (sock_accept, sock_recv,
// sock_send, sock_shutdown, fd_close, fd_fdstat_get, fd_fdstat_set_flags,
// poll_oneoff), not through package net or syscall, so the same code
// builds with Go and with TinyGo, also with -scheduler=none, where no
// goroutine exists. Every socket is non-blocking: Accept, Read and Write
// return [biplane.ErrWouldBlock] instead of waiting.
//
// # Waiting
//
// WASI preview 1 has one way to wait for several descriptors: poll_oneoff
// with fd_read and fd_write subscriptions. Whether a runtime looks at
// sockets there varies. wazero 1.11 does not: it answers a read
// subscription on any non-blocking descriptor at once, a write
// subscription with ENOTSUP, and then sleeps for the clock subscription
// regardless. So a [Listener] is not a [biplane.Waiter], and a server over
// it polls every connection in turn, sleeping a millisecond only after a
// step that found nothing to do (the server's polling mode). That works on
// every runtime, at the price of one sock_recv per open connection per
// step while the server is idle with connections open.
//
// Where the runtime does report socket readiness, [Listener.CanPoll]
// says so (it is probed once, by [NewListener]), and [Listener.Poller]
// returns the same listener as a [biplane.Waiter] that sleeps in
// poll_oneoff:
//
//	ln, err := wasisock.Listen()
//	…
//	var bl biplane.Listener = ln
//	if ln.CanPoll() {
//		bl = ln.Poller()
//	}
//	srv := &biplane.Server{Listener: bl, Handler: h}
//
// The Poller is tested here against a fake runtime only: no runtime that
// reports socket readiness was at hand.
//
// # Outside WASI
//
// The package builds on every system so that its logic can be tested
// with the go command against a fake runtime, but only under wasip1 does it
// reach a real one; elsewhere [Listen] fails with ENOSYS.
package wasisock
