// Package sse serves Server-Sent Events (HTML Living Standard §9.2) from
// a biplane server's loop: a [Broker] keeps any number of clients'
// responses open and sends each the events the program publishes, from
// its own loop, between the server's steps.
//
//	var broker sse.Broker
//	mux.Handle("GET /events", &broker)
//	next := time.Now()
//	for srv.Step() {
//		if now := time.Now(); !now.Before(next) {
//			broker.PublishData(readSensor()) // every 100 ms
//			broker.Tick(now)                 // heartbeats for idle streams
//			next = next.Add(100 * time.Millisecond)
//		}
//		srv.Wait(time.Until(next))
//	}
//
// # How events travel
//
// Each subscriber is the [biplane.Response] Stream of its client's
// request, sent chunked. [Broker.Publish] encodes an event once
// ([AppendEvent]) and copies it into each subscriber's buffer, then wakes
// the subscriber's connection ([biplane.Wakeup]); on its next steps the
// server reads the buffer into the connection as fast as the client
// takes it. Nothing blocks and nothing runs on another goroutine, so the
// broker and its subscribers must be used from the loop's goroutine
// only, like the server: in handlers or between steps.
//
// # Slow subscribers
//
// A subscriber's buffer holds at most [Broker].BufferSize bytes (16 KiB
// by default). When a client reads more slowly than events come, its
// buffer fills, and the broker's Slow policy decides: [DropOldest] (the
// default) discards whole events, oldest first, so the client skips to
// the newest; [Disconnect] drops the client, which can reconnect with the
// ID of the last event it got. Either way the other subscribers are not
// held back, and memory stays bounded.
//
// # Keeping streams open
//
// The server closes a stream that moves no byte for [biplane.Limits]
// IdleTimeout (60 s by default), and proxies close idle connections too.
// [Broker.Tick], called from the loop, sends a comment line to the
// subscribers when nothing was sent for [Broker].HeartbeatInterval (15 s
// by default); writing it is also how the server learns that a client has
// vanished without closing its connection. The client that closes its
// connection is noticed on the next write: a subscriber leaves the
// broker when the server closes its stream, whatever the reason.
//
// # Reconnecting
//
// An EventSource reconnects after its connection ends, sending the ID of
// the last event it received in the Last-Event-ID header:
// [Subscriber.LastEventID] returns it, and a handler can resend what the
// client missed with [Subscriber.Send] before returning its response.
// After [Broker.Close], which ends every stream gracefully, new requests
// are answered 204 No Content, which stops EventSource reconnecting.
//
// # Shutting down
//
// [biplane.Server.Shutdown] lets responses in flight finish, and an event
// stream never does by itself. Register the broker's Close as a shutdown
// hook, which the server runs on its loop as the drain begins:
//
//	srv.OnShutdown(broker.Close)
//
// so that every stream ends after its queued events, and the drain ends
// as soon as the clients have read them.
package sse
