package websocket

import (
	"crypto/sha1"
	"encoding/base64"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// Config is how [Upgrade] handshakes and how its connections behave. Zero
// fields mean the documented defaults. One Config may serve any number of
// connections; Upgrade copies what it needs.
type Config struct {
	// Protocols lists the subprotocols the server speaks, most preferred
	// first. The handshake selects the first of them that the client
	// offers in Sec-WebSocket-Protocol (RFC 6455 §4.2.2); if none is
	// offered, the connection has no subprotocol and the client decides
	// whether to go on. Names are compared exactly.
	Protocols []string

	// CheckOrigin reports whether to accept a handshake from a browser
	// page of another origin (RFC 6455 §10.2); refused handshakes are
	// answered 403 Forbidden. If nil, a request with an Origin field is
	// accepted only if the origin's host[:port] equals the Host field,
	// compared without regard to case (same-origin: a page elsewhere
	// cannot use its visitors' cookies here); a request without Origin,
	// which browsers always send, is accepted. To accept every origin,
	// use a func that returns true.
	CheckOrigin func(r *biplane.Request) bool

	// MaxMessageBytes bounds a received message, all its fragments
	// together. A frame that would take a message past it fails the
	// connection with 1009 (RFC 6455 §7.4.1) before any of its payload is
	// buffered. If zero, 64 KiB is used.
	MaxMessageBytes int

	// WriteBufferBytes bounds what a connection queues to send. A write
	// that does not fit returns [ErrBufferFull]; control frames have a
	// small reserve of their own beyond it. A received message is handed
	// to OnMessage only once a reply of its size would fit (until then the
	// connection reads no more, and TCP flow control holds the peer
	// back), so it must be at least MaxMessageBytes + 10 and is raised to
	// that. If zero, 128 KiB is used.
	WriteBufferBytes int

	// OnMessage, if not nil, is called on the loop with each complete
	// message. The message's Data is valid only until it returns.
	OnMessage func(c *Conn, m Message)

	// OnClose, if not nil, is called on the loop once the connection has
	// closed, whatever the reason, with the close code and reason: those
	// the server failed the connection with (1002, 1007, 1009, 1011; see
	// [Conn.Err]), else those of the peer's Close frame (1005 if it had
	// no code), else 1006 if the connection ended without a Close frame
	// (RFC 6455 §7.1.5, §7.1.6).
	OnClose func(c *Conn, code int, reason string)

	// OnPanic, if not nil, is called with the value of a panic in
	// OnMessage or OnClose. Such a panic costs only its connection, which
	// is failed with 1011 (internal error), as a handler's panic costs
	// only its request a 500.
	OnPanic func(v any)
}

// Default values of [Config].
const (
	DefaultMaxMessageBytes  = 64 << 10
	DefaultWriteBufferBytes = 128 << 10
)

// acceptGUID is appended to the client's key (RFC 6455 §1.3, §4.2.2).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Upgrade answers a WebSocket opening handshake (RFC 6455 §4.2). If r is
// one, it returns the new connection and the 101 Switching Protocols
// response that starts it; else a nil Conn and the refusal:
//
//	refusal                                        status
//	method other than GET                          405, Allow: GET
//	HTTP/1.0                                       400
//	no "websocket" in Upgrade                      426, Upgrade: websocket
//	no "upgrade" in Connection                     400
//	Sec-WebSocket-Version other than one "13"      426, Sec-WebSocket-Version: 13
//	Sec-WebSocket-Key not one base64 of 16 bytes   400
//	Origin refused by Config.CheckOrigin           403
//
// The handler returns the response as it is. The Conn may be written to
// at once (what is queued follows the 101), and added to a [Hub]. No
// extension is negotiated: Sec-WebSocket-Extensions is ignored, so
// permessage-deflate (RFC 7692) is never used and compressed frames (RSV1)
// fail the connection.
func Upgrade(r *biplane.Request, cfg *Config) (*Conn, biplane.Response) {
	if cfg == nil {
		cfg = &Config{}
	}
	// §4.2.1 ¶1: an HTTP/1.1 GET; §4.2.1 ¶2: Host is checked by the core.
	if r.Method() != "GET" {
		return nil, refuse(405, bodyMethod, fieldAllowGet)
	}
	if r.Proto() != "HTTP/1.1" {
		return nil, refuse(400, bodyHTTP10)
	}
	var upgrade, connection bool
	var key, version []byte
	var keys, versions int
	for name, value := range r.Headers() {
		switch {
		case ascii.EqualFoldBoth(name, "Upgrade"):
			upgrade = upgrade || hasToken(value, "websocket") // §4.2.1 ¶3
		case ascii.EqualFoldBoth(name, "Connection"):
			connection = connection || hasToken(value, "upgrade") // §4.2.1 ¶4
		case ascii.EqualFoldBoth(name, "Sec-WebSocket-Key"):
			key, keys = value, keys+1
		case ascii.EqualFoldBoth(name, "Sec-WebSocket-Version"):
			version, versions = value, versions+1
		}
	}
	switch {
	case !upgrade:
		// RFC 9110 §15.5.22: 426 names the protocol to upgrade to.
		return nil, refuse(426, bodyUpgrade, fieldUpgrade)
	case !connection:
		return nil, refuse(400, bodyConnection)
	case versions != 1 || string(version) != "13":
		// §4.2.2 ¶4, §4.4: name the version this server speaks.
		return nil, refuse(426, bodyVersion, fieldUpgrade, fieldVersion)
	case keys != 1 || !validKey(key):
		// §4.2.1 ¶5, §11.3.1: one nonce of 16 bytes, base64-encoded.
		return nil, refuse(400, bodyKey)
	}
	allowed := sameOrigin
	if cfg.CheckOrigin != nil {
		allowed = cfg.CheckOrigin
	}
	if !allowed(r) {
		return nil, refuse(403, bodyOrigin) // §4.2.2 ¶4, §10.2
	}

	c := newConn(cfg)
	c.wake = r.Wakeup()
	c.protocol = selectProtocol(r, cfg.Protocols)
	c.remote = r.RemoteAddr()

	header := make([]biplane.Field, 3, 4)
	header[0] = biplane.Field{Name: "Upgrade", Value: "websocket"}
	header[1] = biplane.Field{Name: "Connection", Value: "Upgrade"}
	header[2] = biplane.Field{Name: "Sec-WebSocket-Accept", Value: acceptKey(key)}
	if c.protocol != "" {
		header = append(header, biplane.Field{Name: "Sec-WebSocket-Protocol", Value: c.protocol})
	}
	return c, biplane.Response{Status: 101, Header: header, Upgrade: (*wire)(c)}
}

// newConn returns a Conn configured by cfg, its defaults applied.
func newConn(cfg *Config) *Conn {
	c := &Conn{
		onMessage: cfg.OnMessage,
		onClose:   cfg.OnClose,
		onPanic:   cfg.OnPanic,
		maxMsg:    cfg.MaxMessageBytes,
		maxOut:    cfg.WriteBufferBytes,
	}
	if c.maxMsg <= 0 {
		c.maxMsg = DefaultMaxMessageBytes
	}
	if c.maxOut <= 0 {
		c.maxOut = DefaultWriteBufferBytes
	}
	c.maxOut = max(c.maxOut, c.maxMsg+maxServerHeader)
	return c
}

// acceptKey computes Sec-WebSocket-Accept for a client's key (RFC 6455
// §4.2.2 ¶5.4): base64 of the SHA-1 of the key and the GUID.
func acceptKey(key []byte) string {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))
}

// validKey reports whether key is the base64 of 16 bytes (RFC 6455
// §4.1 ¶7), in its one canonical form.
func validKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var b [18]byte
	n, err := base64.StdEncoding.Strict().Decode(b[:], key)
	return err == nil && n == 16
}

// sameOrigin is the default origin check: no Origin field, or one whose
// host[:port] is the Host field's. The scheme is not compared: the Host
// field does not say it.
func sameOrigin(r *biplane.Request) bool {
	origin := r.Header("Origin")
	if origin == nil {
		return true
	}
	// RFC 6454 §7.1: origin = scheme "://" host [ ":" port ], or "null".
	for i := 0; i+3 <= len(origin); i++ {
		if origin[i] == ':' {
			if string(origin[i:i+3]) != "://" {
				return false
			}
			host := origin[i+3:]
			return len(host) > 0 && ascii.EqualFoldBoth(host, string(r.Host()))
		}
	}
	return false
}

// selectProtocol returns the first of the server's protocols that the
// client offered in Sec-WebSocket-Protocol, or "".
func selectProtocol(r *biplane.Request, protocols []string) string {
	if len(protocols) == 0 {
		return ""
	}
	for _, p := range protocols {
		for name, value := range r.Headers() {
			if ascii.EqualFoldBoth(name, "Sec-WebSocket-Protocol") && hasElement(value, p, false) {
				return p
			}
		}
	}
	return ""
}

// hasToken reports whether the comma-separated list v holds token,
// compared without regard to case (RFC 9110 §5.6.1, §7.6.1, §7.8).
func hasToken(v []byte, token string) bool { return hasElement(v, token, true) }

// hasElement reports whether the comma-separated list v holds s, compared
// without regard to case if fold is set. Elements are trimmed of spaces
// and tabs; empty ones are skipped.
func hasElement(v []byte, s string, fold bool) bool {
	for e := range ascii.Elements(v) {
		if fold && ascii.EqualFoldBoth(e, s) || !fold && string(e) == s {
			return true
		}
	}
	return false
}

// Refusals. Their bodies are static: a Response's Body must stay unchanged
// until it is sent.
var (
	bodyMethod     = []byte("websocket: the opening handshake must be a GET request\n")
	bodyHTTP10     = []byte("websocket: the opening handshake needs HTTP/1.1\n")
	bodyUpgrade    = []byte("websocket: this resource needs \"Upgrade: websocket\"\n")
	bodyConnection = []byte("websocket: the Connection field lacks \"upgrade\"\n")
	bodyVersion    = []byte("websocket: unsupported Sec-WebSocket-Version; this server speaks 13\n")
	bodyKey        = []byte("websocket: Sec-WebSocket-Key must be one base64-encoded 16-byte nonce\n")
	bodyOrigin     = []byte("websocket: origin not allowed\n")

	fieldAllowGet = biplane.Field{Name: "Allow", Value: "GET"}
	fieldUpgrade  = biplane.Field{Name: "Upgrade", Value: "websocket"}
	fieldVersion  = biplane.Field{Name: "Sec-WebSocket-Version", Value: "13"}
)

func refuse(status int, body []byte, fields ...biplane.Field) biplane.Response {
	return biplane.Response{
		Status:      status,
		ContentType: "text/plain; charset=utf-8",
		Header:      fields,
		Body:        body,
	}
}
