package biplane

// A body is the framing, limits and progress of the request body being
// read: buffered whole into the read buffer, or handed to a [Receiver] (or
// discarded) piece by piece. It decodes; the connection decides what to do
// with the pieces.
type body struct {
	chunked  bool
	left     int64 // Content-Length: bytes not yet decoded
	pend     int   // decoded bytes at the front of the unread input, not yet taken
	received int64 // decoded bytes taken (streamed) or held (buffered)
	total    int64 // the declared size, or -1 for chunked
	dec      chunkedDecoder

	// Limits, from the server's or the request's own BodyLimits.
	max     int64
	minRate int64 // bytes per second
	timeout int64 // ns

	// Progress clock (see deadline): since rateAt, when rateBase bytes had
	// been received; the last byte arrived at lastAt.
	rateAt, rateBase, lastAt int64
}

// start prepares b for req's body under the server's limits, its clock
// starting at the request's first byte.
func (b *body) start(req *Request, lim *Limits, first, now int64) {
	*b = body{
		chunked: req.flags&flagChunked != 0,
		left:    req.contentLength,
		total:   req.contentLength,
		rateAt:  first,
		lastAt:  now,
	}
	if b.chunked {
		b.left, b.total = 0, -1
	}
	b.setLimits(BodyLimits{}, lim)
}

// setLimits sets b's limits: l's fields, or lim's where they are zero.
func (b *body) setLimits(l BodyLimits, lim *Limits) {
	b.max = l.MaxBytes
	if b.max <= 0 {
		b.max = int64(lim.MaxBodyBytes)
	}
	b.minRate = int64(l.MinRate)
	if b.minRate <= 0 {
		b.minRate = int64(lim.MinBodyRate)
	}
	b.timeout = int64(l.Timeout)
	if b.timeout <= 0 {
		b.timeout = int64(lim.RequestTimeout)
	}
}

// tooLarge reports whether the declared size is over the limit.
func (b *body) tooLarge() bool { return !b.chunked && b.total > b.max }

// deadline is when the body must have made more progress: a timeout after
// its last byte, and no later than a timeout plus a second per minRate
// bytes since its clock started. So a body that keeps coming at minRate or
// faster is never cut, while one that stalls, or trickles slower, is cut
// within the same bounds as a request that is late.
func (b *body) deadline() int64 {
	credit := (b.received - b.rateBase) * 1e9 / b.minRate
	return min(b.rateAt+b.timeout+credit, b.lastAt+b.timeout)
}

// restart starts b's progress clock afresh, after the program held the
// body back: the client is not to blame for that time.
func (b *body) restart(now int64) {
	b.rateAt, b.rateBase, b.lastAt = now, b.received, now
}

// decode decodes the next part of the body from in, the unread input: it
// returns n, data bytes now at in[:n], and used, the bytes of in still in
// use (n, then undecoded bytes and whatever follows the body).
func (b *body) decode(in []byte, lim *Limits) (n, used int, err error) {
	if b.chunked {
		return b.dec.decode(in, b.max, lim)
	}
	n = int(min(b.left, int64(len(in))))
	b.left -= int64(n)
	return n, len(in), nil
}

// decoded reports whether all of the body has been decoded.
func (b *body) decoded() bool {
	if b.chunked {
		return b.dec.done()
	}
	return b.left == 0
}

// asLength turns b into a body of n bytes already decoded: a buffered body
// handed to a Receiver after all.
func (b *body) asLength(n int) {
	b.chunked, b.left, b.pend = false, int64(n), 0
}
