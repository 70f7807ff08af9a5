// Package biplane is a small, strict HTTP/1.1 server that runs inside the
// caller's own loop, one bounded, non-blocking step at a time.
//
// # Theory of operation
//
// A [Server] is a state machine over non-blocking connections. Each call of
// [Server.Step] does a bounded amount of work and returns: it collects
// readiness from the [Listener] (if it is a [Waiter]), accepts up to a few
// dozen connections, advances up to a few dozen ready ones, and expires due
// deadlines. Nothing in the package blocks, sleeps or starts a goroutine
// except [Server.Wait] and [Server.Serve], which exist to block. So one
// goroutine serves many connections beside other work on a schedule (an
// LED, a motor, a game tick), and the package runs where goroutines do not
// exist at all, such as TinyGo with -scheduler=none.
//
// The loop comes in three forms over the same steps:
//
//	for srv.Step() { work() }           // Scanner-shaped; then srv.Err()
//	for range srv.Steps() { work() }    // the iterator form
//	err := srv.Serve()                  // blocks in readiness waits
//
// A loop with a timer of its own waits with [Server.Wait], passing the time
// until its next tick: an idle server then sleeps in the kernel and wakes
// on time. [Server.Shutdown], the one method safe to call from another
// goroutine, drains gracefully: no new connections, requests in flight
// finish, idle connections close. [Server.Stats] counts what happened.
//
// Data flows one way: bytes in, a [Parser] finds the request head, the body
// is framed by Content-Length or decoded from chunked in place, the
// [Handler] returns a [Response], and its bytes go out. Request fields are
// views into the connection's buffer, so a request costs no allocation. A
// connection holds buffers (an exchange, from a pool) only while a request
// or response is in flight; an idle keep-alive connection is a small
// struct and a deadline.
//
// Per connection (RFC 9112 §9):
//
//	state        on                         next
//	head         head complete              body
//	head         malformed or over a limit  error status, then linger
//	body         body complete              handler, response queued, head
//	body         body over the limit        413, then linger
//	any          request timeout            408, then linger
//	linger       peer's EOF, or 2 s         closed
//
// Queued output is written before anything else happens, so responses
// leave in request order, and pipelined responses leave in one write.
// Keep-alive is the default on HTTP/1.1; "Connection: close" from either
// side ends the connection after the response; HTTP/1.0 keeps the
// connection only when asked with "Connection: keep-alive".
//
// # Limits
//
// [Limits] bounds what a client can make the server hold or wait for. Zero
// fields mean the defaults below. Over-limit input is refused as soon as
// the limit is passed and never buffered beyond it.
//
//	limit            default  at the boundary
//	MaxRequestLine   8 KiB    414 URI Too Long, close
//	MaxHeaderBytes   8 KiB    431 Request Header Fields Too Large, close
//	MaxHeaderFields  100      431, close
//	MaxBodyBytes     1 MiB    413 Content Too Large before reading the body, close
//	RequestTimeout   10 s     408 Request Timeout, close
//	IdleTimeout      60 s     keep-alive connection closed
//	WriteTimeout     10 s     peer that accepts no output for this long is closed
//	MaxConns         1024     new connection answered 503 and closed (closed bare past 64 at once)
//
// Malformed requests get 400 and a close; an HTTP major version other than
// 1 gets 505; an unknown transfer coding or CONNECT gets 501; an unknown
// expectation gets 417. Bare LF line endings are refused (400), not
// tolerated, as are obs-fold, whitespace before a colon, control bytes in
// field values and in the target, and a request with both Content-Length
// and Transfer-Encoding: these are how requests get smuggled past proxies
// that read them differently. A handler that panics costs its client a 500
// and nothing else.
//
// # Transports
//
// A [Listener] and its [Conn]s read, write and accept without blocking,
// returning [ErrWouldBlock] instead. Package unixsock provides them over
// system calls with epoll or poll, netsock adapts any net.Listener, and
// memsock is an in-memory pipe for tests and platforms without sockets.
// This package imports neither net nor net/http.
package biplane
