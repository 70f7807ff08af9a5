// Package nethttp runs [net/http] handlers and middleware inside a biplane
// server's loop. It is the one biplane package that imports net/http: the
// core stays free of it, and programs that do not mount an [http.Handler]
// do not link it.
//
//	var mux http.ServeMux
//	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
//		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
//	})
//	srv := &biplane.Server{Listener: ln, Handler: nethttp.Handler(&mux)}
//
// # How a request runs
//
// The biplane core reads the whole request first, enforcing its [biplane.Limits]
// (an over-limit body is answered 413 before the handler is called). The
// adapter then builds an [*http.Request] as net/http's server would (see
// [Adapter.Respond] for the fields), calls ServeHTTP synchronously on the
// loop, and buffers everything the handler writes. When ServeHTTP returns,
// the buffered status, header fields and body become one [biplane.Response];
// nothing reaches the client before then.
//
// ServeHTTP runs on the server's loop, so it must not block: while it runs,
// no other connection is served. Handlers that compute an answer from memory
// are fine; one that waits on a database, a remote service, a channel or a
// long sleep stalls the whole server. [http.FileServer] reads files on the
// loop: fine for small files in the page cache, not for slow disks.
// Middleware that runs the handler in a goroutine and waits for it, such
// as [http.TimeoutHandler], blocks the loop for as long as it waits.
//
// # What cannot work
//
// Because the response is buffered whole and the handler may not block:
//
//   - Streaming: the ResponseWriter does not implement [http.Flusher], so
//     handlers that test for it (Server-Sent Events, say) learn that it is
//     absent, and [http.ResponseController.Flush] returns
//     [http.ErrNotSupported]. Use biplane's [biplane.Response.Stream] for
//     streamed bodies instead.
//   - Hijacking: [http.Hijacker] is not implemented; use
//     [biplane.Response.Upgrade] for WebSocket and other 101 takeovers. A
//     handler that answers 101 itself gets a 500 from the core.
//   - Deadlines and full duplex: [http.ResponseController]'s
//     SetReadDeadline, SetWriteDeadline and EnableFullDuplex return
//     [http.ErrNotSupported]; the core's [biplane.Limits] time requests and
//     writes instead.
//   - Request body streaming: the body is complete, and within
//     [biplane.Limits].MaxBodyBytes, before the handler runs.
//   - 1xx informational responses: WriteHeader(100–199), other than 101,
//     is dropped, as nothing can be sent before the final response (103
//     Early Hints would arrive no earlier than the response itself). The
//     core answers "Expect: 100-continue" itself.
//   - Trailers: the "Trailer" field and [http.TrailerPrefix] keys are
//     dropped; the body is sent with Content-Length, which has no trailer
//     section. Request trailers are not passed on either.
//   - Responses over [Adapter].MaxResponseBytes (1 MiB by default) are
//     answered 500, since the whole body is held in memory.
//
// A handler's panic, [http.ErrAbortHandler] included, is left to the core:
// the client gets a 500 and [biplane.Server].OnPanic the value, where
// net/http would close the connection without a response.
package nethttp
