package web_test

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// A form with a file, decoded as it arrives: each part's content goes,
// piece by piece, to the writer OnPart chose for it, and Close says
// whether the body was whole.
func ExampleMultipart() {
	body := "--xyz\r\n" +
		"Content-Disposition: form-data; name=\"title\"\r\n" +
		"\r\n" +
		"Holiday\r\n" +
		"--xyz\r\n" +
		"Content-Disposition: form-data; name=\"photo\"; filename=\"beach.jpg\"\r\n" +
		"Content-Type: image/jpeg\r\n" +
		"\r\n" +
		"\xff\xd8 JPEG data \xff\xd9\r\n" +
		"--xyz--\r\n"

	var title strings.Builder
	form, err := web.NewMultipartBoundary("xyz", web.MultipartOptions{
		OnPart: func(p *web.Part) (io.Writer, error) {
			fmt.Printf("part %q: file %q, %s\n", p.Name, p.FileName, p.ContentType)
			if p.Name == "title" {
				return &title, nil
			}
			return &file{name: p.FileName}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	// The body arrives in pieces of 16 bytes.
	for piece := range slices.Chunk([]byte(body), 16) {
		if _, err := form.Write(piece); err != nil {
			panic(err)
		}
	}
	fmt.Println(form.Close())
	fmt.Printf("title %q\n", title.String())
	// Output:
	// part "title": file "", text/plain
	// part "photo": file "beach.jpg", image/jpeg
	// beach.jpg: 15 bytes, closed
	// <nil>
	// title "Holiday"
}

// file stands for a file being written: it counts the bytes.
type file struct {
	name string
	n    int
}

func (f *file) Write(p []byte) (int, error) {
	f.n += len(p)
	return len(p), nil
}

func (f *file) Close() error {
	fmt.Printf("%s: %d bytes, closed\n", f.name, f.n)
	return nil
}

// upload is a biplane.Receiver that takes a form as it arrives.
type upload struct {
	form  *web.Multipart
	parts []string
}

func (u *upload) Write(p []byte) (int, error) { return u.form.Write(p) }

func (u *upload) Done() (biplane.Response, error) {
	switch err := u.form.Close(); err {
	case nil:
		return biplane.Response{Body: []byte("got " + strings.Join(u.parts, ", ") + "\n")}, nil
	case biplane.ErrWouldBlock: // the last file is still closing
		return biplane.Response{}, err
	default:
		return web.ErrorResponse(err), nil // 400, saying why
	}
}

func (u *upload) Abort(err error) {} // a real one would remove its files

// A route that takes multipart/form-data bodies as they arrive, with the
// core's Receiver API, however large they are: the body is never held in
// memory whole.
func ExampleNewMultipart() {
	h := biplane.Receive(func(r *biplane.Request) biplane.Response {
		u := &upload{}
		form, err := web.NewMultipart(r, web.MultipartOptions{
			OnPart: func(p *web.Part) (io.Writer, error) {
				u.parts = append(u.parts, p.Name)
				return io.Discard, nil // a real one would write files
			},
		})
		if err != nil {
			return web.ErrorResponse(err) // 415 or 400, before any byte of the body
		}
		u.form = form
		return biplane.Response{Receive: u}
	})
	body := "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--b--\r\n"
	for _, req := range []string{
		post("/", "multipart/form-data; boundary=b", body),
		post("/", "multipart/form-data; boundary=b", strings.TrimSuffix(body, "--b--\r\n")),
		post("/", "text/plain", body),
	} {
		resp := serve(h, req)
		status, _, _ := strings.Cut(resp, "\n")
		_, text, _ := strings.Cut(resp, "\n\n")
		fmt.Printf("%s: %s", status, text)
	}
	// Output:
	// HTTP/1.1 200 OK: got a, b
	// HTTP/1.1 400 Bad Request: 400 Bad Request: multipart body ended early (in a part's content)
	// HTTP/1.1 415 Unsupported Media Type: 415 Unsupported Media Type: Content-Type "text/plain" is not multipart/form-data
}
