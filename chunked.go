package biplane

import (
	"math/bits"
	"strconv"
)

// The chunked transfer coding (RFC 9112 §7.1), both ways.
//
// Decoding happens in place: the decoder walks the raw bytes and moves each
// chunk's data down over the framing before it, so decoded data ends up
// contiguous at the front of the bytes it was given, and the buffer never
// holds more than the data plus one partial framing line. A buffered body
// is decoded into one contiguous slice this way; a streamed one is handed
// on piece by piece from the front.
//
// Encoding reads a response's data straight into the write buffer, behind
// room reserved for the size line, and frames it there.

// maxChunkLine bounds a chunk-size line, extensions included. Longer lines
// are refused with 400: nothing legitimate needs more, and it bounds the
// bytes held while waiting for a line end.
const maxChunkLine = 4096

// Chunked decoder states.
const (
	chunkSize    uint8 = iota // reading chunk-size [chunk-ext] CRLF
	chunkData                 // inside chunk-data
	chunkDataEnd              // expecting the CRLF after chunk-data
	chunkTrailer              // reading trailer field lines
	chunkDone
)

// A chunkedDecoder decodes one chunked body. Its zero value is ready; its
// errors are sticky.
type chunkedDecoder struct {
	state    uint8
	remain   int64 // data bytes left in the current chunk
	total    int64 // data bytes decoded so far, for the body limit
	max      int64 // the body limit
	excess   int64 // framing bytes beyond the allowance, see sizeLine
	trailer  int   // bytes of trailer section seen
	trailers int   // trailer field lines seen
	err      error

	// Positions within the bytes of the current decode call.
	out int // decoded data at the front
	in  int // raw bytes consumed (in >= out)
}

// decode decodes region, raw body bytes that start where the last call's
// undecoded bytes started, in place: it moves the data they hold to the
// front and the bytes it could not decode yet behind it. It returns n, the
// data bytes now at region[:n], and used, the bytes of region still in
// use: region[n:used] must be passed again at the start of the next call.
// Once the body is complete (done reports it), region[n:used] is what
// followed the body. Malformed or over-limit input is a *ProtocolError,
// and limit bounds the body's size.
func (d *chunkedDecoder) decode(region []byte, limit int64, lim *Limits) (n, used int, err error) {
	if d.err != nil {
		return 0, 0, d.err
	}
	d.max, d.in, d.out = limit, 0, 0
	err = d.run(region, lim)
	// Close the gap between the decoded data and the tail.
	n, used = d.out, len(region)
	if d.in > d.out {
		used = d.out + copy(region[d.out:], region[d.in:])
	}
	d.total += int64(n)
	d.err = err
	return n, used, err
}

// done reports whether the body is complete, trailers included.
func (d *chunkedDecoder) done() bool { return d.state == chunkDone }

// run decodes as far as region allows.
func (d *chunkedDecoder) run(region []byte, lim *Limits) error {
	for d.in < len(region) && d.state != chunkDone {
		switch d.state {
		case chunkSize, chunkTrailer, chunkDataEnd:
			line, ok, err := d.line(region, lim)
			if err != nil || !ok {
				return err
			}
			switch d.state {
			case chunkDataEnd:
				if len(line) != 0 {
					return protoErr(400, "chunk data not followed by CRLF", line)
				}
				d.state = chunkSize
			case chunkSize:
				if err := d.sizeLine(line, lim); err != nil {
					return err
				}
			case chunkTrailer:
				if len(line) == 0 {
					d.state = chunkDone
					continue
				}
				if err := d.trailerLine(line, lim); err != nil {
					return err
				}
			}
		case chunkData:
			n := min(int64(len(region)-d.in), d.remain)
			copy(region[d.out:], region[d.in:d.in+int(n)])
			d.in += int(n)
			d.out += int(n)
			d.remain -= n
			if d.remain == 0 {
				d.state = chunkDataEnd
			}
		}
	}
	return nil
}

// line returns the next CRLF-terminated line at d.in, without its CRLF, or
// ok == false if it is not complete yet.
func (d *chunkedDecoder) line(region []byte, lim *Limits) (line []byte, ok bool, err error) {
	rest := region[d.in:]
	i := indexByte(rest, '\n')
	n := i
	if i < 0 {
		n = len(rest)
	}
	if d.state == chunkTrailer {
		if d.trailer+n > lim.MaxHeaderBytes {
			return nil, false, protoErr(431, "trailer section too large", nil)
		}
	} else if n > maxChunkLine {
		return nil, false, protoErr(400, "chunk size line too long", nil)
	}
	if i < 0 {
		return nil, false, nil
	}
	if i == 0 || rest[i-1] != '\r' {
		return nil, false, protoErr(400, "line not terminated by CRLF", rest[:i])
	}
	d.in += i + 1
	if d.state != chunkTrailer {
		// Framing bytes cost an allowance; see sizeLine.
		d.excess += int64(i + 1)
	}
	return rest[: i-1 : i-1], true, nil
}

// sizeLine parses chunk-size [ chunk-ext ] (RFC 9112 §7.1, §7.1.1).
func (d *chunkedDecoder) sizeLine(line []byte, lim *Limits) error {
	var size int64
	i := 0
	for ; i < len(line) && chars[line[i]]&cHex != 0; i++ {
		if size > (1<<63-1)>>4 {
			return protoErr(400, "chunk size overflows", line)
		}
		size = size<<4 | int64(unhex(line[i]))
	}
	if i == 0 {
		return protoErr(400, "invalid chunk size", line)
	}
	if !validChunkExt(line[i:]) {
		return protoErr(400, "invalid chunk extension", line)
	}
	// Like net/http, allow each chunk 16 bytes of framing plus twice its
	// size, and refuse a body whose framing runs 16 KiB over that: it is
	// a peer making us do work for nothing (tiny chunks, long extensions).
	d.excess -= 16 + 2*size
	d.excess = max(d.excess, 0)
	if d.excess > 16<<10 {
		return protoErr(400, "chunked encoding has too much framing", nil)
	}
	if size > d.max-d.total-int64(d.out) {
		return protoErr(413, "request body too large", nil)
	}
	if size == 0 {
		d.state = chunkTrailer
		return nil
	}
	d.remain = size
	d.state = chunkData
	return nil
}

// validChunkExt reports whether ext is a valid chunk-ext (RFC 9112 §7.1.1):
//
//	chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//	chunk-ext-name = token
//	chunk-ext-val  = token / quoted-string
//
// Extensions are then ignored; they are checked so that no two parsers can
// disagree on where the chunk size ends.
func validChunkExt(ext []byte) bool {
	bws := func() {
		for len(ext) > 0 && (ext[0] == ' ' || ext[0] == '\t') {
			ext = ext[1:]
		}
	}
	token := func() bool {
		n := 0
		for n < len(ext) && chars[ext[n]]&cToken != 0 {
			n++
		}
		ext = ext[n:]
		return n > 0
	}
	for len(ext) > 0 {
		// BWS is allowed only before ";" and around "=": trailing
		// whitespace is refused (Http11Probe SMUG-CHUNK-SIZE-TRAILING-OWS).
		bws()
		if len(ext) == 0 || ext[0] != ';' {
			return false
		}
		ext = ext[1:]
		bws()
		if !token() {
			return false
		}
		rest := ext
		bws()
		if len(ext) == 0 || ext[0] != '=' {
			ext = rest
			continue
		}
		ext = ext[1:]
		bws()
		if len(ext) > 0 && ext[0] == '"' {
			// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
			ext = ext[1:]
			for {
				if len(ext) == 0 {
					return false
				}
				c := ext[0]
				ext = ext[1:]
				if c == '"' {
					break
				}
				if c == '\\' {
					if len(ext) == 0 || chars[ext[0]]&cValue == 0 {
						return false
					}
					ext = ext[1:]
				} else if chars[c]&cValue == 0 {
					return false
				}
			}
		} else if !token() {
			return false
		}
	}
	return true
}

// trailerLine checks one trailer field line (RFC 9112 §7.1.2) against the
// header limits; trailers are then discarded.
func (d *chunkedDecoder) trailerLine(line []byte, lim *Limits) error {
	d.trailer += len(line) + 2
	d.trailers++
	if d.trailer > lim.MaxHeaderBytes || d.trailers > lim.MaxHeaderFields {
		return protoErr(431, "trailer section too large", nil)
	}
	if line[0] == ' ' || line[0] == '\t' {
		return protoErr(400, "obsolete line folding in trailer", line)
	}
	colon := indexByte(line, ':')
	if colon < 0 || !isToken(line[:colon]) {
		return protoErr(400, "invalid trailer field", line)
	}
	for _, c := range line[colon+1:] {
		if chars[c]&cValue == 0 {
			return protoErr(400, "invalid byte in trailer field value", line)
		}
	}
	return nil
}

// Encoding (RFC 9112 §7.1): a chunk is its size in hex, CRLF, the data,
// CRLF; the last chunk is "0" CRLF, and an empty trailer section CRLF.

// chunkTail is the room a chunk needs after its data: the CRLF that ends
// it, and the last chunk "0\r\n\r\n" in case the body ends there.
const chunkTail = 2 + 5

// lastChunk ends a chunked body, without trailers.
const lastChunk = "0\r\n\r\n"

// chunkRoom returns where, in w's free capacity, a chunk's data may be
// read: w[start:end]. The room before start is reserved for the longest
// size line that room allows; it is empty if the room is too small for a
// chunk of at least one byte.
func chunkRoom(w []byte) (start, end int) {
	room := cap(w) - len(w)
	hdr := hexLen(room) + 2
	if room < hdr+1+chunkTail {
		return len(w), len(w)
	}
	return len(w) + hdr, cap(w) - chunkTail
}

// appendChunk frames n bytes of data read into w[start:start+n] as a
// chunk, moving the data down behind its size line, and returns w with the
// chunk appended.
func appendChunk(w []byte, start, n int) []byte {
	if n == 0 {
		return w
	}
	h := hexLen(n) + 2
	copy(w[len(w)+h:cap(w)], w[start:start+n])
	w = strconv.AppendUint(w, uint64(n), 16)
	w = append(w, "\r\n"...)
	w = w[:len(w)+n]
	return append(w, "\r\n"...)
}

// hexLen returns the number of hexadecimal digits of n > 0.
func hexLen(n int) int { return (bits.Len(uint(n)) + 3) / 4 }
