package static

import (
	"io"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/biplane-go/biplane"
)

// Open files. A file of the operating system's (os.DirFS, the FS of an
// os.Root) is kept open between requests, with what its responses' heads
// need (ETag, Last-Modified, the header fields) made once per version of
// the file, so that a request for it costs one stat and no open, read or
// close; its bytes go to the socket with sendfile(2) where the transport
// can (unixsock on Linux). Each request checks, with the stat that
// [Server] makes in any case, that the name still names the same version:
// the same file (device and inode), size and modification time; else the
// file is opened anew.

// maxFiles bounds the files kept open. At the bound, one is closed (once
// the responses reading it have ended) to make room for the next.
const maxFiles = 128

// maxInMemory is the largest file kept in memory rather than open: its
// response is then a Body, written with its head in one system call, and
// no descriptor stays open for it. 128 of them take 2 MiB at most.
const maxInMemory = 16 << 10

// An entry is one version of a file, kept open.
type entry struct {
	name   string
	gzName string  // name + ".gz"
	f      fs.File // nil once closed, or if data holds the file
	ra     io.ReaderAt
	fd     uintptr
	fi     fs.FileInfo
	id     fileID
	data   []byte // a small file's content, read once

	// noGzUntil: until then (Unix nanoseconds), name has no .gz sibling.
	noGzUntil atomic.Int64

	// Made when first asked for, under Server.mu.
	tag [2]string // ETag: identity, and with Content-Encoding: gzip
	hdr [4]fields // by gzip (2) and vary (1)

	refs int // open views, and one while in Server.files; under Server.mu
}

// fields are the header fields of a response with a file: those of a 304
// (the validators, Vary, Cache-Control) and, after them, those only a 200
// or 206 has (Content-Encoding, Accept-Ranges). A kept file's are shared
// by every response about one version of it.
type fields struct {
	h    []biplane.Field
	n304 int // the first n304 fields are a 304's
}

// cached returns a view of the entry for name, if it is the version of
// the file that fi, name's Stat, describes.
func (s *Server) cached(name string, fi fs.FileInfo) (fs.File, bool) {
	id, ok := statID(fi)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.files[name]
	if e == nil {
		return nil, false
	}
	if e.id != id || e.fi.Size() != fi.Size() || !e.fi.ModTime().Equal(fi.ModTime()) {
		s.drop(e) // changed, or replaced: open it anew
		return nil, false
	}
	e.refs++
	return newView(s, e), true
}

// keep keeps f, the regular file name opened with Stat fi, open for later
// requests if it is a file of the operating system's, and returns a view
// of it; else it returns f.
func (s *Server) keep(name string, f fs.File, fi fs.FileInfo) fs.File {
	fdf, ok := f.(interface{ Fd() uintptr })
	ra, ok2 := f.(io.ReaderAt)
	id, ok3 := statID(fi)
	if !ok || !ok2 || !ok3 {
		return f
	}
	e := &entry{name: name, gzName: name + ".gz", f: f, ra: ra, fd: fdf.Fd(), fi: fi, id: id, refs: 2}
	if size := fi.Size(); size > 0 && size <= maxInMemory {
		data := make([]byte, size)
		if n, err := ra.ReadAt(data, 0); n == len(data) && (err == nil || err == io.EOF) {
			e.data = data
			f.Close()
			e.f = nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = make(map[string]*entry)
	}
	if old := s.files[name]; old != nil {
		s.drop(old)
	}
	if len(s.files) >= maxFiles {
		for _, other := range s.files {
			s.drop(other)
			break
		}
	}
	s.files[name] = e
	return newView(s, e)
}

// forget closes the entry for name, if there is one: name no longer
// names a regular file.
func (s *Server) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.files[name]; e != nil {
		s.drop(e)
	}
}

// drop removes e from the open files, closing it once no view reads it.
// s.mu is held.
func (s *Server) drop(e *entry) {
	delete(s.files, e.name)
	s.unref(e)
}

// unref drops a reference to e, closing its file after the last. s.mu is
// held.
func (s *Server) unref(e *entry) {
	if e.refs--; e.refs == 0 && e.f != nil {
		e.f.Close()
		e.f = nil
	}
}

// heads returns the ETag and header fields of a response with e, sent with
// Content-Encoding: gzip if gzip is set and with Vary if vary is set;
// see serve.
func (s *Server) heads(e *entry, gzip, vary bool) (string, fields, error) {
	g, v := b2i(gzip), b2i(vary)
	s.mu.Lock()
	tag, hf := e.tag[g], e.hdr[2*g+v]
	s.mu.Unlock()
	if hf.h != nil {
		return tag, hf, nil
	}
	if tag == "" {
		var err error
		if tag, err = s.etag(e.name, e.fi, gzip); err != nil {
			return "", fields{}, err
		}
	}
	hf = s.fields(tag, lastModified(e.fi.ModTime()), gzip, vary)
	hf.h = hf.h[:len(hf.h):len(hf.h)] // shared: an append copies it
	s.mu.Lock()
	e.tag[g], e.hdr[2*g+v] = tag, hf
	s.mu.Unlock()
	return tag, hf, nil
}

// fields makes the header fields of a response with a file whose ETag is
// tag and Last-Modified lastMod (if not empty); see serve.
func (s *Server) fields(tag, lastMod string, gzip, vary bool) fields {
	h := make([]biplane.Field, 0, 7) // and a 206's Content-Range
	// Fields every answer about this representation carries, 304 too
	// (RFC 9110 §15.4.5).
	h = append(h, biplane.Field{Name: "ETag", Value: tag})
	if lastMod != "" {
		h = append(h, biplane.Field{Name: "Last-Modified", Value: lastMod})
	}
	if vary {
		h = append(h, biplane.Field{Name: "Vary", Value: "Accept-Encoding"})
	}
	if s.CacheControl != "" {
		h = append(h, biplane.Field{Name: "Cache-Control", Value: s.CacheControl})
	}
	n304 := len(h)
	if gzip {
		h = append(h, biplane.Field{Name: "Content-Encoding", Value: "gzip"})
	}
	h = append(h, biplane.Field{Name: "Accept-Ranges", Value: "bytes"})
	return fields{h, n304}
}

// lastModified returns the Last-Modified value for mod, or "" if it is
// zero.
func lastModified(mod time.Time) string {
	if mod.IsZero() {
		return ""
	}
	var b [len(imfFixdate)]byte
	return string(appendHTTPDate(b[:0], mod))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A view is one response's reader of a kept file: it reads with ReadAt
// from its own offset, since the file is shared, and a biplane server
// whose connection can send files (a [biplane.FileSender]) sends from
// its FileSection instead. Closing it releases the file.
type view struct {
	s   *Server
	e   *entry
	off int64
}

func newView(s *Server, e *entry) *view { return &view{s: s, e: e} }

func (v *view) Stat() (fs.FileInfo, error) { return v.e.fi, nil }

func (v *view) Read(p []byte) (int, error) {
	n, err := v.ReadAt(p, v.off)
	v.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil // ReadAt may report EOF with the file's last bytes
	}
	return n, err
}

func (v *view) ReadAt(p []byte, off int64) (int, error) {
	if d := v.e.data; d != nil {
		if off >= int64(len(d)) {
			return 0, io.EOF
		}
		n := copy(p, d[off:])
		if n < len(p) {
			return n, io.EOF
		}
		return n, nil
	}
	return v.e.ra.ReadAt(p, off)
}

func (v *view) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += v.off
	case io.SeekEnd:
		off += v.e.fi.Size()
	}
	if off < 0 {
		return v.off, errNegativeOffset
	}
	v.off = off
	return off, nil
}

// FileSection says where the view's bytes are: from its offset in the
// file open as fd. A biplane server sends them from there.
func (v *view) FileSection() (fd uintptr, off int64) { return v.e.fd, v.off }

func (v *view) Close() error {
	if v.e == nil {
		return nil
	}
	v.s.mu.Lock()
	v.s.unref(v.e)
	v.s.mu.Unlock()
	v.e = nil
	return nil
}

// inMemory returns resp with a Body in place of its Stream if that is a
// view of a file kept in memory.
func inMemory(resp biplane.Response) biplane.Response {
	if v, ok := resp.Stream.(*view); ok && v.e.data != nil {
		resp.Body = v.e.data[v.off : v.off+resp.Length : v.off+resp.Length]
		resp.Stream, resp.Length = nil, 0
		v.Close()
	}
	return resp
}

// gzMemory is how long a kept file's lack of a .gz sibling is remembered.
const gzMemory = time.Second

// mayHaveGz reports whether e's name may have a .gz sibling: it had none
// when last looked for, more than gzMemory ago, or was never looked for.
func (e *entry) mayHaveGz() bool { return time.Now().UnixNano() >= e.noGzUntil.Load() }

// noGz remembers that e's name has no .gz sibling now.
func (e *entry) noGz() { e.noGzUntil.Store(time.Now().Add(gzMemory).UnixNano()) }
