package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/sse"
	"github.com/biplane-go/biplane/web"
)

// A store takes uploads into a directory and tells the event stream how
// they go. Like the server, it is touched only by the loop.
type store struct {
	dir       string
	max       int64
	failAfter int64 // for tests: firmware writes fail after this many bytes
	events    sse.Broker
	live      []*upload // uploads whose body is still arriving
	ids       int
	buf       []byte // an event being encoded
	trash     shredder
}

// acceptFirmware takes PUT /firmware on its head: the raw body becomes
// firmware.bin.
func (st *store) acceptFirmware(r *biplane.Request) biplane.Response {
	r.LimitBody(biplane.BodyLimits{MaxBytes: st.max})
	out, err := st.create("firmware.bin")
	if err != nil {
		return errorResponse(err)
	}
	out.failAfter = st.failAfter
	u := st.newUpload(r)
	u.out = out
	st.begin(u)
	return biplane.Response{Receive: u}
}

// newUpload returns the receiver for r's body.
func (st *store) newUpload(r *biplane.Request) *upload {
	st.ids++
	return &upload{st: st, id: st.ids, wake: r.Wakeup(), shown: -1}
}

// begin starts reporting u's progress.
func (st *store) begin(u *upload) {
	st.live = append(st.live, u)
}

// end stops reporting u's progress.
func (st *store) end(u *upload) {
	for i, v := range st.live {
		if v == u {
			st.live = append(st.live[:i], st.live[i+1:]...)
			return
		}
	}
}

// create opens a temporary file in the directory for the file name. The
// leading dot keeps it from ever clashing with an upload's name, which
// never starts with one.
func (st *store) create(name string) (*sink, error) {
	f, err := os.CreateTemp(st.dir, ".upload-*")
	if err != nil {
		return nil, storageError(err)
	}
	return &sink{f: f, path: filepath.Join(st.dir, name), name: name, sum: sha256.New(), trash: &st.trash}, nil
}

// publishProgress sends a progress event for each upload whose body has
// moved since the last one. The loop calls it every progressEvery.
func (st *store) publishProgress() {
	for _, u := range st.live {
		got, total := u.wake.Progress()
		if got == u.shown {
			continue
		}
		u.shown = got
		b := u.appendStart(st.buf[:0])
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, got, 10)
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, total, 10)
		st.buf = append(b, '}')
		st.events.Publish(sse.Event{Type: "progress", Data: string(st.buf)})
	}
}

// An upload is one request's body on its way to a file: the
// [biplane.Receiver] of PUT /firmware and POST /upload.
type upload struct {
	st    *store
	id    int
	wake  biplane.Wakeup
	form  *web.Multipart // nil for a raw body
	out   *sink          // the file; for a form, nil until its file part begins
	shown int64          // body bytes at the last progress event
}

// Write takes the next piece of the body: the file's bytes, or the
// form's, which hands its file part's bytes to out.
func (u *upload) Write(p []byte) (int, error) {
	if u.form != nil {
		return u.form.Write(p)
	}
	return u.out.Write(p)
}

// Done ends the body: the file is synced and renamed into place, and the
// answer says what was stored.
func (u *upload) Done() (biplane.Response, error) {
	if u.form != nil {
		if err := u.form.Close(); err != nil {
			return biplane.Response{}, err
		}
		if u.out == nil {
			return biplane.Response{}, &statusError{400, `the form has no part named "file"`}
		}
	}
	if err := u.out.commit(); err != nil {
		return biplane.Response{}, err
	}
	u.st.end(u)
	body := append(u.out.appendResult(nil), '\n')
	// The event: the answer's fields, with the upload's id.
	st := u.st
	b := append(u.appendStart(st.buf[:0]), ',')
	st.buf = append(u.out.appendSum(b), '}')
	st.events.Publish(sse.Event{Type: "done", Data: string(st.buf)})
	return biplane.Response{ContentType: "application/json", Body: body,
		Header: []biplane.Field{{Name: "Cache-Control", Value: "no-store"}}}, nil
}

// Abort discards what arrived: the body will not be whole.
func (u *upload) Abort(err error) {
	u.st.end(u)
	var n int64
	if u.out != nil {
		n = u.out.n
		u.out.discard()
	}
	st := u.st
	b := u.appendStart(st.buf[:0])
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"error":`...)
	b = appendQuoted(b, err.Error())
	st.buf = append(b, '}')
	st.events.Publish(sse.Event{Type: "abort", Data: string(st.buf)})
}

// appendStart appends the start of an event's JSON object: its id and
// file name.
func (u *upload) appendStart(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(u.id), 10)
	b = append(b, `,"name":`...)
	name := ""
	if u.out != nil {
		name = u.out.name
	}
	return appendQuoted(b, name)
}

// A sink is a file being uploaded: a temporary file in the directory,
// renamed to path once whole, and the SHA-256 of what was written.
type sink struct {
	f         *os.File
	path      string
	name      string
	sum       hash.Hash
	n         int64
	behind    int64 // bytes whose writeback has been started
	failAfter int64
	closed    bool
	trash     *shredder // where replaced and discarded files go
}

// writeBehind is how much a file may hold that the kernel has not begun
// to write to the disk. The fsync at the end blocks the loop until the
// disk has it all: 400 ms for 1 GiB of dirty pages, against 5 to 10 ms
// when writeback has kept up. Each start of writeback holds the loop
// too: about 160 µs for 1 MiB, 1.1 ms for 8 MiB (measured on a virtio
// disk), so it is started often, a little at a time.
const writeBehind = 1 << 20

// Write writes p to the temporary file. A regular file's write does not
// wait for the disk, and p is at most the server's read buffer, so each
// call is bounded; every writeBehind bytes it has the kernel start
// writing them out.
func (k *sink) Write(p []byte) (int, error) {
	full := k.failAfter > 0 && k.n+int64(len(p)) > k.failAfter
	if full {
		p = p[:k.failAfter-k.n]
	}
	n, err := k.f.Write(p)
	k.sum.Write(p[:n])
	k.n += int64(n)
	if k.n-k.behind >= writeBehind {
		startWriteback(k.f, k.behind, k.n-k.behind)
		k.behind = k.n
	}
	if err == nil && full {
		err = &os.PathError{Op: "write", Path: k.f.Name(), Err: syscall.ENOSPC}
	}
	if err != nil {
		return n, storageError(err)
	}
	return n, nil
}

// commit makes the file durable and gives it its name, durably too: a
// file of that name is whole even after a power cut. The fsyncs block
// the loop until the disk has the file; Write's write-behind keeps that
// to its last few MiB. The file it replaces is kept open, so that the
// rename does not free it (200 ms or more for 1 GiB), and goes to the
// shredder.
func (k *sink) commit() error {
	err := k.f.Sync()
	if cerr := k.f.Close(); err == nil {
		err = cerr
	}
	k.closed = true
	if err != nil {
		return storageError(err)
	}
	old, oerr := os.OpenFile(k.path, os.O_RDWR, 0)
	if err = os.Rename(k.f.Name(), k.path); err != nil {
		if oerr == nil {
			old.Close()
		}
		return storageError(err)
	}
	if oerr == nil {
		k.trash.add(old)
	}
	if err = syncDir(filepath.Dir(k.path)); err != nil {
		return storageError(err)
	}
	return nil
}

// syncDir makes the names in dir durable: a rename is not, until its
// directory is synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// discard removes the temporary file, and leaves freeing it to the
// shredder.
func (k *sink) discard() {
	os.Remove(k.f.Name())
	if !k.closed {
		k.trash.add(k.f)
		k.closed = true
	}
}

// A shredder frees files that are gone from the directory but still
// open, a step at a time from the loop. Unlinking or replacing a large
// file frees its blocks and cached pages in that one system call, which
// would hold the loop for 200 ms or more per GiB; truncating it 1 MiB at
// a time costs about 300 µs a step. Truncating changes the file for
// anyone who still has it open: the directory is this program's own.
type shredder struct {
	files []*os.File
}

// shredStep is how much of a file one step frees.
const shredStep = 1 << 20

// add takes f, whose name has just been removed or replaced, to be freed
// and closed. A file with another name (a hard link) is only closed.
func (s *shredder) add(f *os.File) {
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
			s.files = append(s.files, f)
			return
		}
	}
	f.Close()
}

// step frees up to shredStep bytes of the first file, closing it once
// no more is left than that, and reports whether any file is left.
func (s *shredder) step() bool {
	if len(s.files) == 0 {
		return false
	}
	f := s.files[0]
	if fi, err := f.Stat(); err == nil && fi.Size() > shredStep && f.Truncate(fi.Size()-shredStep) == nil {
		return true
	}
	// Small enough to free at once, or it cannot be shrunk: closing it
	// frees what is left.
	f.Close()
	s.files[0] = nil
	s.files = s.files[1:]
	return len(s.files) > 0
}

// appendResult appends the JSON answer for the stored file.
func (k *sink) appendResult(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = appendQuoted(b, k.name)
	b = append(b, ',')
	return append(k.appendSum(b), '}')
}

// appendSum appends the JSON fields that say what was stored: its size
// and SHA-256.
func (k *sink) appendSum(b []byte) []byte {
	b = append(b, `"bytes":`...)
	b = strconv.AppendInt(b, k.n, 10)
	b = append(b, `,"sha256":"`...)
	b = hex.AppendEncode(b, k.sum.Sum(nil))
	return append(b, '"')
}

// sanitize returns the name a form's file is stored under: the last
// element of the name it was sent with (browsers send the base name,
// other clients may send a path, with either separator), without leading
// dots, which would make it hidden or name a directory. It reports false
// if nothing is left, or the name is not printable UTF-8 or too long for
// a file system.
func sanitize(name string) (string, bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimLeft(name, ".")
	if name == "" || len(name) > 255 || !utf8.ValidString(name) ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return name, true
}

// A statusError is an upload refused with a status: the server answers a
// receiver's error with its StatusCode.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string   { return "upload: " + e.msg }
func (e *statusError) StatusCode() int { return e.status }

// storageError gives a file system error the status to answer with: 507
// Insufficient Storage (RFC 4918 §11.5) for a full disk or quota, else
// 500.
func storageError(err error) error {
	status := 500
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		status = 507
	}
	return &statusError{status, err.Error()}
}

// errorResponse answers a refusal on the head.
func errorResponse(err error) biplane.Response {
	status := 500
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	return biplane.Response{Status: status, ContentType: "text/plain; charset=utf-8", Body: []byte(err.Error() + "\n")}
}

// appendQuoted appends s as a JSON string.
func appendQuoted(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
