package sim

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Want is what a request must be answered with.
type Want struct {
	Status int    // the status; 0 means any error (4xx or 5xx) or a close
	Body   []byte // the decoded body, if not nil
	Close  bool   // the connection must close after it
}

// An Exchange is one request as sent, and its answer.
type Exchange struct {
	Name string
	Req  []byte
	Want Want
}

// Client behaviours.
const (
	Sequential = iota // sends each request once the last is answered
	Pipelined         // sends everything at once
	Slow              // sends a byte or two now and then
	Leaver            // leaves (FIN, reset or vanishing) after a random byte
)

// A Client is one simulated client on one connection: it sends its
// requests as its behaviour says, reads what the server sends as its
// window allows, and at the end checks every answer.
type Client struct {
	ID        int
	Conn      *Conn
	Exchanges []Exchange
	Behaviour int
	LeaveAt   int // Leaver: bytes sent before it leaves
	leaveHow  int

	sent    int    // bytes of the requests sent
	got     []byte // everything received
	left    bool
	cut     bool // it left, or sent its FIN before all of its requests
	lastAct time.Time
	parsed  int  // bytes of got holding complete responses
	answers int  // complete responses in got[:parsed]
	stalled bool // it stood still long enough, owed answers, to be timed out
}

// NewClient makes a client on a new connection of n.
func (n *Net) NewClient(id int, xs []Exchange, behaviour int) *Client {
	c := &Client{ID: id, Conn: n.Dial(256 + n.R.IntN(64<<10)), Exchanges: xs, Behaviour: behaviour}
	if behaviour == Leaver {
		total := 0
		for _, x := range xs {
			total += len(x.Req)
		}
		c.LeaveAt = n.R.IntN(total + 1)
		c.leaveHow = n.R.IntN(3)
	}
	return c
}

// all returns the client's requests as one byte stream.
func (c *Client) all() []byte {
	var b []byte
	for _, x := range c.Exchanges {
		b = append(b, x.Req...)
	}
	return b
}

// Act does one random thing the client's behaviour allows: send some
// bytes, read some, or leave.
func (c *Client) Act() {
	n := c.Conn.net
	if c.left || !c.Conn.accepted && n.R.IntN(2) == 0 {
		return
	}
	c.lastAct = n.Now
	// Read what arrived, some of it.
	if c.Conn.Buffered() > 0 && n.R.IntN(4) != 0 {
		c.receive(1 + n.R.IntN(c.Conn.Buffered()))
	}
	all := c.all()
	limit := c.limit(len(all))
	switch c.Behaviour {
	case Leaver:
		limit = min(limit, c.LeaveAt)
		if c.sent == c.LeaveAt {
			c.left = true
			c.cut = c.sent < len(all) || c.leaveHow != 0 // a reset or vanished client reads no more
			switch c.leaveHow {
			case 0:
				c.Conn.CloseWrite()
				c.left = false // still reads
				c.Behaviour = Pipelined
			case 1:
				c.Conn.Reset()
			default:
				c.Conn.Vanish()
			}
			return
		}
	}
	if c.sent < limit && n.R.IntN(3) != 0 {
		k := 1 + n.R.IntN(limit-c.sent)
		if c.Behaviour == Slow {
			k = min(k, 1+n.R.IntN(2))
		}
		c.Conn.Send(all[c.sent : c.sent+k])
		c.sent += k
	}
}

// limit returns how far into its requests, of total bytes, the client
// may send now: a sequential client only up to the end of the first one
// not yet answered.
func (c *Client) limit(total int) int {
	if c.Behaviour != Sequential {
		return total
	}
	end := 0
	for i := 0; i <= c.answers && i < len(c.Exchanges); i++ {
		end += len(c.Exchanges[i].Req)
	}
	return end
}

// Busy reports whether the client could do something now: it has bytes
// to read, or bytes it may send, or a connection not yet accepted.
func (c *Client) Busy() bool {
	if c.left || c.Finished() {
		return false
	}
	if !c.Conn.accepted || c.Conn.Buffered() > 0 {
		return true
	}
	total := len(c.all())
	if c.Behaviour == Leaver && c.sent == c.LeaveAt {
		return true // about to leave
	}
	return c.sent < c.limit(total) && !c.Conn.clientFIN
}

// Tick notes whether the client, still owed answers, has stood still for
// longer than half of timeout as the clock moved: neither sending the
// rest of a request nor reading. The server may then time it out (408,
// or a close for a reader that stopped), and that is a right answer.
func (c *Client) Tick(timeout time.Duration) {
	if c.stalled || c.left || c.Finished() || c.Conn.net.Now.Sub(c.lastAct) < timeout/2 {
		return
	}
	c.stalled = true
}

// Finished reports whether the client has nothing more to do: it left,
// or every answer arrived, or the server closed the connection and the
// client has read what it sent.
func (c *Client) Finished() bool {
	if c.left {
		return true
	}
	if c.Conn.Buffered() > 0 {
		return false
	}
	return c.Conn.Done() || c.answers >= len(c.Exchanges)
}

// receive reads up to max bytes, and counts the responses completed.
func (c *Client) receive(max int) {
	c.got = append(c.got, c.Conn.Receive(max)...)
	for {
		_, k, err := parseResponse(c.got[c.parsed:])
		if err != nil {
			return
		}
		c.parsed += k
		c.answers++
	}
}

// Drain reads whatever the server sent.
func (c *Client) Drain() { c.receive(c.Conn.Buffered()) }

// Left reports whether the client left (reset, vanished) before the end.
func (c *Client) Left() bool { return c.left }

// Check checks the answers against the exchanges: each valid request gets
// exactly its response, in order, byte for byte in its body; an invalid
// one its status or a close; nothing follows a response that closes. A
// client that left is checked as far as it got. A slow client may get
// 408 instead of an answer; with draining, a Shutdown began while
// requests were under way, so a connection may close after any response.
func (c *Client) Check(draining bool) error {
	rest := c.got
	for i, x := range c.Exchanges {
		r, n, err := parseResponse(rest)
		if err != nil {
			if c.cut || c.sent == 0 && c.Conn.ServerClosed() {
				return nil // it left mid-request: nothing more is owed
			}
			if (x.Want.Status == 0 || draining || c.Behaviour == Slow || c.stalled) && c.Conn.ServerClosed() {
				// Refused by closing, cut by the end of a Shutdown, or too
				// slow (a refused body drained past its time, a reader
				// that stopped).
				return nil
			}
			return fmt.Errorf("client %d, exchange %d (%s): %v; received %q; %s", c.ID, i, x.Name, err, clip(rest), c.state())
		}
		rest = rest[n:]
		switch {
		case r.status == 408 && r.close && (c.Behaviour == Slow || c.stalled):
			return nil // too slow for the request timeout: its answer
		case r.status == 503 && r.close && i == 0 && string(r.body) == "too many connections\n":
			return nil // over MaxConns: refused before its first request
		}
		switch {
		case x.Want.Status == 0:
			if r.status < 400 {
				return fmt.Errorf("client %d, exchange %d (%s): got %d, want an error", c.ID, i, x.Name, r.status)
			}
			if !r.close {
				return fmt.Errorf("client %d, exchange %d (%s): error %d without a close", c.ID, i, x.Name, r.status)
			}
		case r.status != x.Want.Status:
			return fmt.Errorf("client %d, exchange %d (%s): got %d, want %d: %q; %s", c.ID, i, x.Name, r.status, x.Want.Status, clip(r.body), c.state())
		case x.Want.Body != nil && !bytes.Equal(r.body, x.Want.Body):
			return fmt.Errorf("client %d, exchange %d (%s): body %q, want %q", c.ID, i, x.Name, clip(r.body), clip(x.Want.Body))
		case x.Want.Close && !r.close:
			return fmt.Errorf("client %d, exchange %d (%s): no Connection: close", c.ID, i, x.Name)
		}
		if r.close {
			if len(rest) > 0 {
				return fmt.Errorf("client %d: %d bytes after a response that closes", c.ID, len(rest))
			}
			if i < len(c.Exchanges)-1 && !c.cut {
				// Later requests were refused by the close; that is only
				// right after an error or a close asked for.
				if r.status < 400 && !x.Want.Close && !draining {
					return fmt.Errorf("client %d, exchange %d (%s): closed after %d with requests left", c.ID, i, x.Name, r.status)
				}
			}
			return nil
		}
	}
	if len(rest) > 0 {
		return fmt.Errorf("client %d: %d bytes after the last response: %q", c.ID, len(rest), clip(rest))
	}
	return nil
}

func clip(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

type response struct {
	status int
	body   []byte
	close  bool
}

var errIncomplete = fmt.Errorf("response incomplete")

// parseResponse parses one response at the start of b, skipping 100
// Continue, and returns it and its length.
func parseResponse(b []byte) (response, int, error) {
	var r response
	total := 0
	for {
		i := bytes.Index(b, []byte("\r\n\r\n"))
		if i < 0 {
			return r, 0, errIncomplete
		}
		head := string(b[:i])
		b = b[i+4:]
		total += i + 4
		lines := strings.Split(head, "\r\n")
		f := strings.SplitN(lines[0], " ", 3)
		if len(f) < 2 || f[0] != "HTTP/1.1" {
			return r, 0, fmt.Errorf("bad status line %q", lines[0])
		}
		status, err := strconv.Atoi(f[1])
		if err != nil {
			return r, 0, fmt.Errorf("bad status line %q", lines[0])
		}
		if status == 100 {
			continue
		}
		r.status = status
		length, chunked := -1, false
		for _, l := range lines[1:] {
			name, value, _ := strings.Cut(l, ":")
			value = strings.TrimSpace(value)
			switch strings.ToLower(name) {
			case "content-length":
				length, err = strconv.Atoi(value)
				if err != nil {
					return r, 0, fmt.Errorf("bad Content-Length %q", value)
				}
			case "transfer-encoding":
				chunked = value == "chunked"
			case "connection":
				r.close = r.close || strings.EqualFold(value, "close")
			}
		}
		switch {
		case status == 204 || status == 304 || status == 101:
			return r, total, nil
		case chunked:
			n, body, err := dechunk(b)
			if err != nil {
				return r, 0, err
			}
			r.body = body
			return r, total + n, nil
		case length >= 0:
			if len(b) < length {
				return r, 0, errIncomplete
			}
			r.body = b[:length]
			return r, total + length, nil
		}
		return r, 0, fmt.Errorf("response %d without framing", status)
	}
}

// dechunk decodes a chunked body at the start of b.
func dechunk(b []byte) (int, []byte, error) {
	var body []byte
	n := 0
	for {
		i := bytes.Index(b[n:], []byte("\r\n"))
		if i < 0 {
			return 0, nil, errIncomplete
		}
		size, err := strconv.ParseUint(string(b[n:n+i]), 16, 31)
		if err != nil {
			return 0, nil, fmt.Errorf("bad chunk size %q", b[n:n+i])
		}
		n += i + 2
		if size == 0 {
			if len(b) < n+2 {
				return 0, nil, errIncomplete
			}
			if string(b[n:n+2]) != "\r\n" {
				return 0, nil, fmt.Errorf("trailers in a response")
			}
			return n + 2, body, nil
		}
		if len(b) < n+int(size)+2 {
			return 0, nil, errIncomplete
		}
		body = append(body, b[n:n+int(size)]...)
		if string(b[n+int(size):n+int(size)+2]) != "\r\n" {
			return 0, nil, fmt.Errorf("chunk not followed by CRLF")
		}
		n += int(size) + 2
	}
}

// state describes the client, for failures.
func (c *Client) state() string {
	var names []string
	for _, x := range c.Exchanges {
		names = append(names, fmt.Sprintf("%s (%d bytes)", x.Name, len(x.Req)))
	}
	return fmt.Sprintf("behaviour %d, stalled %v, sent %d of %d bytes, left %v, server FIN %v, closed %v; exchanges %s",
		c.Behaviour, c.stalled, c.sent, len(c.all()), c.left, c.Conn.serverFIN, c.Conn.serverClosed, strings.Join(names, ", "))
}
