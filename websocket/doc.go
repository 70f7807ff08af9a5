// Package websocket is the server side of the WebSocket protocol (RFC 6455)
// for biplane, running in the server's own loop: no goroutine per
// connection, no blocking, bounded memory.
//
// A handler answers the opening handshake with [Upgrade], which returns a
// [Conn] and the 101 response that hands the connection over to it. From
// then on the server feeds the Conn the peer's bytes and sends what it
// queues, both without blocking; complete messages arrive through
// [Config].OnMessage, called on the loop, and the program writes with
// [Conn.WriteText], [Conn.WriteBinary] and [Conn.WriteMessage] from
// anywhere on the loop (a callback, another handler, between steps):
//
//	var hub websocket.Hub
//	cfg := &websocket.Config{
//		OnMessage: func(c *websocket.Conn, m websocket.Message) {
//			c.WriteMessage(m.Type, m.Data) // echo
//		},
//	}
//	mux.HandleFunc("GET /ws", func(r *biplane.Request) biplane.Response {
//		c, resp := websocket.Upgrade(r, cfg)
//		if c != nil {
//			hub.Add(c)
//		}
//		return resp
//	})
//	next := time.Now()
//	for srv.Step() {
//		if now := time.Now(); !now.Before(next) {
//			next = now.Add(time.Second)
//			hub.Broadcast(websocket.Text, []byte(now.Format(time.TimeOnly))) // from the loop
//			hub.Tick(now)                                                    // keep-alive
//		}
//		srv.Wait(time.Until(next))
//	}
//
// Callbacks rather than a Receive method: the loop has no goroutine to
// block in Receive, and a callback runs exactly when a message is
// complete, with the message still in the connection's buffer, so
// receiving copies and allocates nothing.
//
// # Reading
//
// The peer's bytes are read as they come, in pieces of any size. A frame
// header is taken only once whole (at most 14 bytes; until then its bytes
// stay in the server's read buffer); its payload is taken as it arrives,
// unmasked into the message buffer while it is copied, and text is checked
// for UTF-8 as it goes. Every rule is enforced on the first byte that
// breaks it, and the connection is failed (RFC 6455 §7.1.7) with a Close
// frame whose code says why:
//
//	what the client sent                                  close
//	RSV1-3 set (no extension is negotiated)       §5.2    1002
//	a reserved opcode (3-7, 11-15)                §5.2    1002
//	an unmasked frame                             §5.1    1002
//	a length not in its shortest form             §5.2    1002
//	a 64-bit length with its top bit set          §5.2    1002
//	a control frame not FIN, or over 125 bytes    §5.5    1002
//	a continuation with no message to continue    §5.4    1002
//	a new message inside a fragmented one         §5.4    1002
//	a Close frame of 1 byte, or an invalid code   §7.4    1002
//	text, or a close reason, that is not UTF-8    §8.1    1007
//	a message over Config.MaxMessageBytes         §7.4.1  1009
//
// The size limit is checked on each frame's header, before its payload is
// buffered. Pings are answered with a Pong of the same payload, Pongs are
// ignored, and control frames may come between a message's fragments. A
// panic in OnMessage or OnClose fails its connection with 1011, and only
// that connection.
//
// # Closing
//
// On the peer's Close frame the Conn answers with a Close echoing its code,
// reads nothing more, and the server closes the TCP connection once that
// is sent (RFC 6455 §7.1.1: the server closes first). [Conn.Close] starts
// the handshake from the server's side: after its Close frame the Conn
// sends nothing more and ignores the peer's messages until the peer's
// Close arrives. So does a failed connection; it then delivers nothing and
// only skims frame headers, leniently, to find the peer's Close, so that
// closing the TCP connection while the peer still sends does not make the
// kernel reset it and discard our Close before the peer has read it. At
// most 256 KiB is skimmed so, and a 64-bit length with its top bit set,
// which leaves no frame boundary to find, closes at once.
// [Config].OnClose reports the end of every connection.
//
// A server that shuts down says goodbye with 1001 Going Away (RFC 6455
// §7.4.1): register the Hub's Close as a shutdown hook,
//
//	srv.OnShutdown(hub.Close)
//
// and [biplane.Server.Shutdown] starts the closing handshake on every
// connection in the hub as its drain begins; each connection closes once
// its peer answers, rather than holding the drain until its timeout.
//
// # Writing and memory
//
// Each message leaves as one unfragmented frame, copied whole into the
// connection's output buffer, bounded by [Config].WriteBufferBytes; a
// write that does not fit returns [ErrBufferFull] and queues nothing.
// Control frames (Pongs, the Close) have a small reserve past the bound.
// A received message is handed to OnMessage only when a reply of its size
// would fit; until then the Conn takes no more input, so the server stops
// reading and TCP flow control holds a peer that sends faster than it
// reads. A connection so holds at most MaxMessageBytes of input and
// WriteBufferBytes plus 256 bytes of output. Buffers grow by doubling as
// bytes arrive, never by what a header claims; buffers of up to 4 KiB are
// kept between messages, so steady traffic of such messages allocates
// nothing, and larger ones are dropped once empty.
//
// # Keep-alive
//
// The biplane server closes a connection on which no byte moves for its
// Limits.IdleTimeout (60 s by default). A [Hub] whose Tick the loop calls
// about once a second pings connections that have received nothing for
// its PingInterval (30 s by default), and closes the TCP connection of
// those that then receive nothing for its Timeout (15 s), or leave the
// server's Close unanswered that long. Without a Hub, call [Conn.Ping]
// yourself more often than IdleTimeout.
//
// # Not supported
//
// Extensions, and so permessage-deflate compression (RFC 7692); sending
// fragmented messages (every message leaves in one frame); WebSocket over
// HTTP/2 (RFC 8441); the client side.
package websocket
