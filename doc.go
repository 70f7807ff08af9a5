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
// # Request bodies: buffered, or streamed to a Receiver
//
// By default a request's body is read whole into the connection's buffer
// (up to [Limits].MaxBodyBytes) before the handler runs, and
// [Request.Body] returns it. A route that takes more than memory holds
// (firmware, say) takes its body as it arrives instead: its handler is a
// [HeadHandler], called as soon as the head is complete, before any byte
// of the body is read. [Receive] makes one from a function:
//
//	mux.Handle("PUT /firmware", web.BearerAuth(check, biplane.Receive(
//		func(r *biplane.Request) biplane.Response {
//			r.LimitBody(biplane.BodyLimits{MaxBytes: 64 << 20})
//			return biplane.Response{Receive: newFlashWriter(r.Wakeup())}
//		})))
//
// On the head the program decides: a refusal (401, 404, 405, 413, …) is
// sent without reading the body, and no "100 Continue" invites it (RFC
// 9110 §10.1.1); the connection stays open only if the body is small
// enough to discard ([DrainBytes]). Or it accepts the body into a
// [Receiver], its own sink: the server then hands it each decoded piece
// straight from the read buffer, so memory stays bounded by that buffer
// whatever the body's size. A Receiver that cannot take more yet returns
// [ErrWouldBlock]; the server stops reading the connection, so TCP flow
// control holds the client back, until the program calls [Wakeup.Wake].
// When the body is complete the Receiver's Done gives the final response,
// now or after a Wake; if the body ends early (the client vanished, a
// timeout, a framing error, the server closing) its Abort is told why,
// exactly once. [Wakeup.Progress] reports the bytes received and the
// declared size. [Mux] routes on the head, and web's BasicAuth and
// BearerAuth check credentials there, so a refused upload costs nothing.
//
// A body's time is bounded by progress, not by its size: it may take as
// long as it needs while it keeps arriving at [Limits].MinBodyRate, and is
// answered 408 once it stalls for [Limits].RequestTimeout.
//
// # Connection states
//
// Each connection is a state machine (RFC 9112 §9), all in conn.go:
//
//	state     on                                     next
//	head      head complete, no body                 handler
//	head      head complete, body, HeadHandler       handler (RespondHead)
//	head      head complete, body, other Handler     body (100 Continue if asked)
//	head      malformed or over a limit              error status, then linger
//	body      body complete                          handler (Respond)
//	body      malformed, over the limit, stalled     error status, then linger
//	handler   response                               head, the response queued
//	handler   response with Stream                   send
//	handler   101 with Upgrade                       upgraded
//	handler   response with Receive                  receive (100 Continue if asked)
//	handler   refusal on the head, small body        drain
//	handler   refusal on the head, other body        error status, then linger
//	receive   a piece taken                          receive
//	receive   Receiver would block                   receive, not reading, until Wake
//	receive   body complete                          reply
//	receive   malformed, over the limit, stalled     Abort, error status, then linger
//	receive   peer's EOF, Wakeup.Close, Close        Abort, closed
//	drain     body discarded                         head
//	reply     Done gives the response                head, send or upgraded
//	reply     Done would block                       reply, until Wake
//	send      Stream's EOF                           head, or linger
//	send      Stream's error                         closed once the output is written
//	upgraded  protocol's EOF                         linger
//	upgraded  peer's EOF, all taken and answered     closed
//	linger    peer's EOF, 256 KiB, or 2 s            closed
//	closed    (the connection is forgotten)
//	any       timeout, write error, Server.Close     closed, any Receiver aborted
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
//	                          (per request: BodyLimits, from a HeadHandler)
//	RequestTimeout   10 s     408 Request Timeout, close: for a head from its first
//	                          byte, for a body from its last
//	MinBodyRate      1 KiB/s  408 for a body slower than this past RequestTimeout
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
