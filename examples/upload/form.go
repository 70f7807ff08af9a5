package main

import (
	"io"
	"strconv"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// formSlack is what a form may hold beyond -max: its boundaries and part
// heads, and small fields beside the file.
const formSlack = 64 << 10

// acceptForm takes POST /upload on its head: the form's part named
// "file" becomes a file of the name it was sent with.
func (st *store) acceptForm(r *biplane.Request) biplane.Response {
	r.LimitBody(biplane.BodyLimits{MaxBytes: st.max + formSlack})
	u := st.newUpload(r)
	form, err := web.NewMultipart(r, web.MultipartOptions{OnPart: u.part})
	if err != nil {
		return web.ErrorResponse(err) // 415 for another Content-Type, 400 for a bad boundary
	}
	u.form = form
	st.begin(u)
	return biplane.Response{Receive: u}
}

// part is the form's OnPart: the first part named "file" goes to a file
// of its (sanitized) file name; the others, and further parts named
// "file", are discarded (a nil writer).
func (u *upload) part(p *web.Part) (io.Writer, error) {
	if p.Name != "file" || u.out != nil {
		return nil, nil
	}
	name, ok := sanitize(p.FileName)
	if !ok {
		return nil, &statusError{400, "the file part's file name " + strconv.Quote(p.FileName) + " is not a usable name"}
	}
	out, err := u.st.create(name)
	if err != nil {
		return nil, err
	}
	u.out = out
	return out, nil
}
