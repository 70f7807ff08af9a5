// Package static serves files from an [fs.FS] ([embed.FS], [os.DirFS],
// the FS of an [os.Root]) through biplane's streamed responses: a file's
// bytes are read straight into the connection's write buffer as the peer
// takes them, so a download of any size costs no more memory than that
// buffer, and the loop serving it stays free for everything else.
//
//	var mux biplane.Mux
//	mux.Handle("GET /assets/", &static.Server{FS: assets, Prefix: "/assets"})
//
// [Server] answers GET and HEAD with the file's content, Content-Type from
// its extension ([TypeByExtension]), ETag and Last-Modified, and honours
// conditional requests (RFC 9110 §13), single byte ranges (§14) and
// precompressed ".gz" siblings. Its doc comment says what it does at each
// edge: directories, dotfiles, malformed paths and ranges.
//
// On Unix systems, files of the operating system's ([os.DirFS], the FS of
// an [os.Root]) are kept open between requests, or in memory if small,
// with their ETag and header fields made once per version of the file,
// and where the connection is a [biplane.FileSender] (unixsock on Linux)
// the bytes of the open ones go from the page cache to the socket with
// sendfile(2), never copied through the program.
//
// Reading a file is a blocking call. For files in memory ([embed.FS],
// [testing/fstest.MapFS]) it is a copy. For files on disk ([os.DirFS]) each
// read of at most one write buffer (4 KiB by default), or each piece that
// sendfile sends (256 KiB at most), returns at once from the page cache,
// but a cold file waits for the disk, and that wait delays the whole
// loop: serve from a local disk, not a network file system, where the
// loop has deadlines to keep.
package static

import (
	"bytes"
	"errors"
	"hash/fnv"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/ascii"
)

// A Server is a [biplane.Handler] that serves the files of FS.
//
// # Paths
//
// The request's path, percent-decoded, less Prefix, names a file of FS:
// "/css/site.css" opens "css/site.css". A path ending in "/" names a
// directory, and is answered with its "index.html"; a directory named
// without the final slash is redirected there with 301 and a relative
// Location ("./name/", the query kept), as net/http's FileServer does.
// Directories are never listed: one without index.html is 404, as is a
// file named with a final slash. Only regular files are served (not
// devices or FIFOs; with a [fs.StatFS] such as os.DirFS the check comes
// before the file is opened, so opening cannot block on a FIFO).
//
// Paths are checked, not cleaned, so none can reach outside FS: a path
// with a "." or ".." segment (also percent-encoded), an empty segment
// ("//"), an encoded slash (%2F), a backslash, NUL or another control
// byte, or invalid UTF-8 is answered 400. A path with a segment starting
// with "." (".git/config", ".env") is answered 404 unless Dotfiles is set.
// Note that [os.DirFS] follows symbolic links, also out of its directory;
// the FS of an [os.Root] (os.OpenRoot(dir).FS()) does not.
//
// # Responses
//
// Methods other than GET and HEAD are answered 405 with "Allow: GET, HEAD"
// (RFC 9110 §15.5.6). HEAD gets GET's header, Content-Length included.
// Files are sent with Content-Type (from Types, then [TypeByExtension]),
// Accept-Ranges: bytes, and these validators (RFC 9110 §8.8):
//
//   - Last-Modified: the file's modification time, if it has one.
//   - ETag: a strong entity-tag made of the file's size and modification
//     time in nanoseconds, as most servers make theirs. Files with a
//     zero modification time ([embed.FS] and usually
//     [testing/fstest.MapFS]) get one made of a 64-bit FNV-1a hash of
//     their content instead, computed the first time the file is served
//     (reading it whole: in memory for those FSs) and remembered for its
//     name and size, for up to 1024 files at a time.
//
// The tag of a response sent with Content-Encoding: gzip ends in "-gz".
// A file that shrinks while it is being sent cannot fill its
// Content-Length: the core then closes the connection, and the client
// sees a short body.
//
// # Conditional requests
//
// Preconditions are evaluated in the order of RFC 9110 §13.2.2: If-Match
// (strong comparison), else If-Unmodified-Since, failing with 412; then
// If-None-Match (weak comparison), else If-Modified-Since, answering 304
// with the validators, Vary and Cache-Control; then If-Range. A date
// condition is ignored for a file without a modification time, and
// If-Modified-Since is ignored when If-None-Match is present.
//
// # Ranges
//
// A GET with a single byte range (RFC 9110 §14: "bytes=0-99", "bytes=100-",
// "bytes=-100") is answered 206 with Content-Range; a range starting past
// the end, or "bytes=-0", is answered 416 with "Content-Range: bytes
// */size". The Range field is ignored, and the whole file sent with 200,
// when it holds several ranges (no multipart/byteranges), is malformed or
// names another unit, comes with a HEAD, fails its If-Range, or the file
// is empty (§14.2 lets a server ignore Range). Ranges need a file that is
// an [io.Seeker] or an [io.ReaderAt], as os, embed and fstest files are.
//
// # Open files
//
// On Unix systems, files of the operating system's, from an FS that is an
// [fs.StatFS] (as os.DirFS and an os.Root's are), are kept after their
// response, up to 128 at a time, so that the next request for one needs
// the Stat it makes in any case and no open, read or close: open, or for
// a file of up to 16 KiB, read into memory (2 MiB at most), whose
// response is then written with its head in one system call. Their ETag,
// Last-Modified and header fields are made once per version of the
// file. Each request checks that its name still names the same version
// (the same device and inode, size and modification time), else the file
// is opened anew: a file changed or replaced is served as it is now, and
// a removed one is forgotten and answered 404. (A change that keeps the
// size and the modification time to the nanosecond goes unnoticed by a
// file kept in memory, as by the ETag.) Past 128 files, one is forgotten,
// an open one closed once the responses reading it have ended, to make
// room. A file kept open but not asked for again stays open, and keeps
// its disk space if it was removed, until it makes room for another.
// Responses share an open file: each reads it at its own offset (ReadAt),
// or the transport sends from there with sendfile(2)
// ([biplane.FileSender]).
// Other files are opened for each request, and closed after it.
//
// # Precompressed files
//
// If "name.gz" exists beside "name", and the request's Accept-Encoding
// accepts gzip (with a non-zero qvalue, listed or through "*"), the .gz
// file is sent instead, with Content-Encoding: gzip, the Content-Type of
// name, and its own ETag and Last-Modified. Its ranges are ranges of the
// gzip bytes, the representation selected (RFC 9110 §14.1.2). Responses
// for a name that has such a sibling carry "Vary: Accept-Encoding",
// whichever file they send. "name" itself must exist: a lone .gz is served
// only under its own name, as application/gzip. For a file kept open or
// in memory (see Open files), that it has no .gz sibling is remembered
// for a second: a sibling made meanwhile is served once it has passed.
//
// The zero Server answers GET and HEAD with 404. Set the fields before
// the first request and do not change them after; a Server may then serve
// several loops at once. A Server must not be copied after first use.
type Server struct {
	// FS holds the files. If nil, every request is answered 404.
	FS fs.FS

	// Prefix is removed from the start of the request's decoded path
	// before it names a file, as net/http's StripPrefix does, for a Server
	// mounted under a [biplane.Mux] pattern such as "GET /assets/" with
	// Prefix "/assets". A trailing slash of Prefix is ignored. A path not
	// starting with Prefix followed by "/" is answered 404, and Prefix
	// itself is redirected to Prefix + "/".
	Prefix string

	// Dotfiles, if set, serves names with a segment starting with "."
	// (".well-known/..."). By default they are answered 404, as if absent.
	Dotfiles bool

	// NoGzip, if set, ignores ".gz" siblings: no Accept-Encoding
	// negotiation, no Vary, and one file system lookup less per request.
	NoGzip bool

	// CacheControl, if not empty, is sent as the Cache-Control field of
	// 200, 206 and 304 responses, such as "max-age=3600" or "no-cache".
	CacheControl string

	// Types maps lowercase extensions without the dot ("md") to media
	// types, consulted before [TypeByExtension]'s table.
	Types map[string]string

	mu    sync.Mutex
	tags  map[tagKey]string // content-hash ETags, see Server
	files map[string]*entry // files kept open, see cache.go
}

type tagKey struct {
	name string
	size int64
	gzip bool
}

// maxTags bounds the remembered content-hash ETags. At the bound the
// memory is cleared and refilled as files are asked for again.
const maxTags = 1024

// Response bodies of the answers that are not files.
var (
	badRequestBody   = []byte("400 bad request\n")
	notFoundBody     = []byte("404 page not found\n")
	notAllowedBody   = []byte("405 method not allowed\n")
	preconditionBody = []byte("412 precondition failed\n")
	rangeBody        = []byte("416 range not satisfiable\n")
	internalBody     = []byte("500 internal server error\n")
)

const textPlain = "text/plain; charset=utf-8"

var allowField = []biplane.Field{{Name: "Allow", Value: "GET, HEAD"}}

func errorResponse(status int, body []byte) biplane.Response {
	return biplane.Response{Status: status, ContentType: textPlain, Body: body}
}

// errNotRegular is open's error for a name that is not a regular file.
var errNotRegular = errors.New("static: not a regular file")

var errNegativeOffset = errors.New("static: seek to a negative offset")

// Respond serves the file the request names; see [Server].
func (s *Server) Respond(r *biplane.Request) biplane.Response {
	method := r.Method()
	if method != "GET" && method != "HEAD" {
		return biplane.Response{Status: 405, ContentType: textPlain, Body: notAllowedBody, Header: allowField}
	}
	if s.FS == nil {
		return errorResponse(404, notFoundBody)
	}
	raw := r.RawPath()
	if hasEncodedSlash(raw) {
		return errorResponse(400, badRequestBody)
	}
	p := r.Path()
	if prefix := strings.TrimSuffix(s.Prefix, "/"); prefix != "" {
		if !bytes.HasPrefix(p, []byte(prefix)) {
			return errorResponse(404, notFoundBody)
		}
		p = p[len(prefix):]
		if len(p) == 0 {
			return redirectDir(raw, r.RawQuery())
		}
		if p[0] != '/' {
			return errorResponse(404, notFoundBody)
		}
	}
	name, dir, status := cleanPath(p, s.Dotfiles)
	if status != pathOK {
		if status == pathBad {
			return errorResponse(400, badRequestBody)
		}
		return errorResponse(404, notFoundBody)
	}
	if dir {
		if name == "." {
			name = "index.html"
		} else {
			name += "/index.html"
		}
	}
	f, fi, err := s.open(name)
	if err != nil {
		if !dir && fi != nil && fi.IsDir() {
			return redirectDir(raw, r.RawQuery())
		}
		return errorResponse(404, notFoundBody)
	}
	return s.serve(r, method, name, f, fi)
}

// open opens name if it is a regular file. When it is not, fi may still
// describe it, so that a directory can be told from a missing file. With
// a StatFS the type is checked before opening, so that a FIFO or device
// is never opened (opening a FIFO blocks until a writer comes); the
// opened file is checked again, in case name changed in between.
//
// With a StatFS, a file of the operating system's is kept open for the
// next request, which then needs only the Stat; see cache.go.
func (s *Server) open(name string) (fs.File, fs.FileInfo, error) {
	sfs, statFS := s.FS.(fs.StatFS)
	if statFS {
		fi, err := sfs.Stat(name)
		if err != nil {
			s.forget(name)
			return nil, nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fi, errNotRegular
		}
		if f, ok := s.cached(name, fi); ok {
			return f, fi, nil
		}
	}
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fi, errNotRegular
	}
	if statFS {
		f = s.keep(name, f, fi)
	}
	return f, fi, nil
}

// redirectDir redirects a directory named without its final slash to the
// same path with one (net/http's FileServer does the same). The Location
// is relative, "./last-segment/", so that it is right whatever prefix a
// proxy in front removed, and cannot be read as a scheme ("a:b/") or a
// network path ("//host"). The raw segment is used: it is already
// percent-encoded as a URI needs, and holds no encoded slash.
func redirectDir(raw, query []byte) biplane.Response {
	seg := raw[bytes.LastIndexByte(raw, '/')+1:]
	loc := make([]byte, 0, len(seg)+len(query)+4)
	loc = append(loc, "./"...)
	loc = append(loc, seg...)
	loc = append(loc, '/')
	if len(query) > 0 {
		loc = append(loc, '?')
		loc = append(loc, query...)
	}
	return biplane.Response{Status: 301, Header: []biplane.Field{{Name: "Location", Value: string(loc)}}}
}

// serve answers with f, the regular file name, negotiating its encoding
// and evaluating the request's conditions and range. It owns f: it closes
// it, or hands it to the server in the response's Stream.
func (s *Server) serve(r *biplane.Request, method, name string, f fs.File, fi fs.FileInfo) biplane.Response {
	ctype := s.contentType(name)
	served := name
	gzip, vary := false, false
	var kept *entry
	if v, ok := f.(*view); ok {
		kept = v.e
	}
	if !s.NoGzip && (kept == nil || kept.mayHaveGz()) {
		gzName := name + ".gz"
		if kept != nil {
			gzName = kept.gzName
		}
		if requestAcceptsGzip(r) {
			if gf, gfi, err := s.open(gzName); err == nil {
				f.Close()
				f, fi, served = gf, gfi, gzName
				gzip, vary = true, true
			}
		} else if gfi, err := fs.Stat(s.FS, gzName); err == nil && gfi.Mode().IsRegular() {
			vary = true
		}
		if kept != nil && !vary {
			kept.noGz()
		}
	}
	// The ETag and header fields: a kept file's, made once per version,
	// or made now.
	var tag string
	var hf fields
	var err error
	if v, ok := f.(*view); ok {
		tag, hf, err = s.heads(v.e, gzip, vary)
	} else if tag, err = s.etag(served, fi, gzip); err == nil {
		hf = s.fields(tag, lastModified(fi.ModTime()), gzip, vary)
	}
	if err != nil {
		f.Close()
		return errorResponse(500, internalBody)
	}
	size, mod := fi.Size(), fi.ModTime()

	switch evalPreconditions(r, tag, mod) {
	case condFailed:
		f.Close()
		return errorResponse(412, preconditionBody)
	case condNotModified:
		f.Close()
		return biplane.Response{Status: 304, Header: hf.h[:hf.n304:hf.n304]}
	}

	resp := biplane.Response{ContentType: ctype, Header: hf.h}
	if size == 0 {
		// The core's Stream needs a positive Length: an empty file is an
		// empty Body.
		f.Close()
		return resp
	}
	resp.Stream, resp.Length = f, size

	// RFC 9110 §14.2: Range is defined for GET only; HEAD ignores it.
	rng := r.Header("Range")
	if rng == nil || method != "GET" || !ifRange(r, tag, mod) {
		return inMemory(resp)
	}
	start, end, res := parseRange(rng, size)
	switch res {
	case rangeUnsatisfiable:
		f.Close()
		cr := make([]byte, 0, 32)
		cr = append(cr, "bytes */"...)
		cr = strconv.AppendInt(cr, size, 10)
		hr := []biplane.Field{{Name: "Content-Range", Value: string(cr)}, {Name: "Accept-Ranges", Value: "bytes"}}
		if vary {
			hr = append(hr, biplane.Field{Name: "Vary", Value: "Accept-Encoding"})
		}
		return biplane.Response{Status: 416, ContentType: textPlain, Body: rangeBody, Header: hr}
	case rangeOK:
		part, ok := section(f, start, end+1)
		if !ok {
			return inMemory(resp) // neither a Seeker nor a ReaderAt: the whole file
		}
		cr := make([]byte, 0, 64)
		cr = append(cr, "bytes "...)
		cr = strconv.AppendInt(cr, start, 10)
		cr = append(cr, '-')
		cr = strconv.AppendInt(cr, end, 10)
		cr = append(cr, '/')
		cr = strconv.AppendInt(cr, size, 10)
		resp.Status = 206
		resp.Stream, resp.Length = part, end+1-start
		resp.Header = append(resp.Header, biplane.Field{Name: "Content-Range", Value: string(cr)})
	}
	return inMemory(resp)
}

// section returns a reader of f's bytes [start, end) that closes f when
// closed: f itself, moved to start, if it is an io.Seeker, else a reader
// over its io.ReaderAt. The core reads no more than the response's Length,
// so the reader need not stop at end itself.
func section(f fs.File, start, end int64) (io.Reader, bool) {
	if sk, ok := f.(io.Seeker); ok {
		if _, err := sk.Seek(start, io.SeekStart); err == nil {
			return f, true
		}
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return &sectionReader{f: f, ra: ra, off: start, end: end}, true
	}
	return nil, false
}

// A sectionReader reads a range of a file through io.ReaderAt, one
// bounded ReadAt per Read, and closes the file when closed.
type sectionReader struct {
	f        fs.File
	ra       io.ReaderAt
	off, end int64
}

func (s *sectionReader) Read(p []byte) (int, error) {
	if s.off >= s.end {
		return 0, io.EOF
	}
	if rest := s.end - s.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.ra.ReadAt(p, s.off)
	s.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // ReadAt may report EOF with the file's last bytes
	}
	return n, err
}

func (s *sectionReader) Close() error { return s.f.Close() }

// contentType returns the media type for name's extension.
func (s *Server) contentType(name string) string {
	if s.Types != nil {
		if t, ok := s.Types[extension(name)]; ok {
			return t
		}
	}
	return TypeByExtension(name)
}

// etag returns the entity-tag of the file name described by fi, sent
// with Content-Encoding: gzip if gzip is set; see [Server] for how it is
// made. A gzip response's tag ends in "-gz", so that it differs from any
// identity response's, as two representations' strong tags must (RFC
// 9110 §8.8.3), even where the two files share a size and time.
func (s *Server) etag(name string, fi fs.FileInfo, gzip bool) (string, error) {
	size := fi.Size()
	b := make([]byte, 0, 48)
	b = append(b, '"')
	if mod := fi.ModTime(); !mod.IsZero() {
		b = strconv.AppendInt(b, size, 16)
		b = append(b, '-')
		b = strconv.AppendInt(b, mod.UnixNano(), 16)
		return string(endTag(b, gzip)), nil
	}
	key := tagKey{name, size, gzip}
	s.mu.Lock()
	tag, ok := s.tags[key]
	s.mu.Unlock()
	if ok {
		return tag, nil
	}
	sum, err := hashFile(s.FS, name)
	if err != nil {
		return "", err
	}
	b = append(b, 'h')
	b = strconv.AppendUint(b, sum, 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, size, 16)
	tag = string(endTag(b, gzip))
	s.mu.Lock()
	if s.tags == nil || len(s.tags) >= maxTags {
		s.tags = make(map[tagKey]string)
	}
	s.tags[key] = tag
	s.mu.Unlock()
	return tag, nil
}

func endTag(b []byte, gzip bool) []byte {
	if gzip {
		b = append(b, "-gz"...)
	}
	return append(b, '"')
}

// hashFile returns the 64-bit FNV-1a hash of the file's content, read
// through a small buffer on the stack.
func hashFile(fsys fs.FS, name string) (uint64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := fnv.New64a()
	var buf [2048]byte
	for {
		n, err := f.Read(buf[:])
		h.Write(buf[:n])
		if err == io.EOF {
			return h.Sum64(), nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// Outcomes of the preconditions.
const (
	condNone        = iota // go on: 200, or 206 if a range applies
	condFailed             // 412 Precondition Failed
	condNotModified        // 304 Not Modified
)

// evalPreconditions evaluates the request's preconditions against the
// selected representation's entity-tag and modification time, in the
// order of RFC 9110 §13.2.2 (steps 1 to 4; If-Range, step 5, belongs to
// the range). Only GET and HEAD reach it, so a false If-None-Match or
// If-Modified-Since means 304.
func evalPreconditions(r *biplane.Request, tag string, mod time.Time) int {
	if present, match := matchField(r, "if-match", tag, true); present {
		// Step 1 (§13.1.1): strong comparison.
		if !match {
			return condFailed
		}
	} else if v := r.Header("If-Unmodified-Since"); v != nil && !mod.IsZero() {
		// Step 2 (§13.1.4): ignored if not a valid HTTP-date, or if the
		// file has no modification time.
		if t, ok := parseHTTPDate(v); ok && mod.Unix() > t.Unix() {
			return condFailed
		}
	}
	if present, match := matchField(r, "if-none-match", tag, false); present {
		// Step 3 (§13.1.2): weak comparison.
		if match {
			return condNotModified
		}
	} else if v := r.Header("If-Modified-Since"); v != nil && !mod.IsZero() {
		// Step 4 (§13.1.3): not modified if the file's time, in whole
		// seconds as Last-Modified says it, is not after the date.
		if t, ok := parseHTTPDate(v); ok && mod.Unix() <= t.Unix() {
			return condNotModified
		}
	}
	return condNone
}

// matchField reports whether the request has a field named lname (in
// lowercase), and whether any of its lines matches tag: a list field may be
// split over several lines (RFC 9110 §5.3).
func matchField(r *biplane.Request, lname, tag string, strong bool) (present, match bool) {
	for n, v := range r.Headers() {
		if ascii.EqualFold(n, lname) {
			present = true
			if matchETag(v, tag, strong) {
				return true, true
			}
		}
	}
	return present, false
}

// ifRange reports whether a Range may apply: there is no If-Range, or
// its validator matches (RFC 9110 §13.1.5). An entity-tag must match
// strongly; a date must equal the modification time exactly, and counts
// only if Last-Modified is a strong validator, at least a second older
// than now (§8.8.2.2).
func ifRange(r *biplane.Request, tag string, mod time.Time) bool {
	v := r.Header("If-Range")
	return v == nil || ifRangeMatches(v, tag, mod, time.Now())
}

// ifRangeMatches evaluates an If-Range value at time now:
//
//	If-Range = entity-tag / HTTP-date
func ifRangeMatches(v []byte, tag string, mod, now time.Time) bool {
	v = ascii.TrimOWS(v)
	if len(v) > 0 && v[0] == '"' || bytes.HasPrefix(v, []byte("W/")) {
		return string(v) == tag // a weak tag never equals one of ours
	}
	t, ok := parseHTTPDate(v)
	return ok && !mod.IsZero() && t.Unix() == mod.Unix() && now.Sub(mod) >= time.Second
}

// requestAcceptsGzip reports whether the request accepts the gzip coding,
// its Accept-Encoding lines read as one list.
func requestAcceptsGzip(r *biplane.Request) bool {
	var a gzipAcceptance
	for n, v := range r.Headers() {
		if ascii.EqualFold(n, "accept-encoding") {
			a.add(v)
		}
	}
	return a.ok()
}
