package biplane_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
)

// serveOne sends raw on a new in-memory connection to srv, steps the
// server until the response is complete, and returns the response with
// "\n" for CRLF. raw should ask to close the connection.
func serveOne(srv *biplane.Server, ln *memsock.Listener, raw string) string {
	client, _ := ln.Dial()
	client.Write([]byte(raw))
	for range 20 {
		srv.Step()
	}
	resp, _ := io.ReadAll(client)
	return strings.ReplaceAll(string(resp), "\r\n", "\n")
}

// Patterns as net/http's ServeMux has them: a method, literal segments,
// {name} for one segment, {name...} for the rest, {$} for the end. The
// most specific pattern wins; a path that no pattern matches is 404, one
// that only other methods' patterns match is 405 with Allow.
func ExampleMux() {
	var mux biplane.Mux
	text := func(s string) biplane.Response {
		return biplane.Response{ContentType: "text/plain", Body: []byte(s + "\n")}
	}
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return text("home")
	})
	mux.HandleFunc("GET /users/{id}", func(r *biplane.Request) biplane.Response {
		return text("user " + r.PathValue("id"))
	})
	mux.HandleFunc("GET /users/me", func(r *biplane.Request) biplane.Response {
		return text("you") // more specific than /users/{id}
	})
	mux.HandleFunc("GET /files/{path...}", func(r *biplane.Request) biplane.Response {
		return text("file " + r.PathValue("path") + " for pattern " + r.Pattern())
	})
	mux.HandleFunc("DELETE /users/{id}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Status: 204}
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}

	for _, req := range []string{
		"GET /", "GET /users/42", "GET /users/me", "GET /files/a/b%20c.txt",
		"DELETE /users/42", "GET /nowhere", "PUT /users/42",
	} {
		resp := serveOne(srv, ln, req+" HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n")
		head, body, _ := strings.Cut(resp, "\n\n")
		status, _, _ := strings.Cut(head, "\n")
		var allow string
		if i := strings.Index(head, "Allow: "); i >= 0 {
			allow, _, _ = strings.Cut(head[i:], "\n")
			allow = " (" + allow + ")"
		}
		if body = strings.TrimSpace(body); body != "" {
			body = ": " + body
		}
		fmt.Printf("%-22s %s%s%s\n", req, status, allow, body)
	}
	// Output:
	// GET /                  HTTP/1.1 200 OK: home
	// GET /users/42          HTTP/1.1 200 OK: user 42
	// GET /users/me          HTTP/1.1 200 OK: you
	// GET /files/a/b%20c.txt HTTP/1.1 200 OK: file a/b c.txt for pattern GET /files/{path...}
	// DELETE /users/42       HTTP/1.1 204 No Content
	// GET /nowhere           HTTP/1.1 404 Not Found: 404 page not found
	// PUT /users/42          HTTP/1.1 405 Method Not Allowed (Allow: DELETE, GET, HEAD): 405 method not allowed
}

// A feed is a Response.Stream that the program fills from its own loop:
// Read returns what was queued, ErrWouldBlock while nothing is, and io.EOF
// once it is ended. The server calls Read again after Wake.
type feed struct {
	buf  bytes.Buffer
	end  bool
	wake biplane.Wakeup
}

func (f *feed) Read(p []byte) (int, error) {
	switch {
	case f.buf.Len() > 0:
		return f.buf.Read(p)
	case f.end:
		return 0, io.EOF
	}
	return 0, biplane.ErrWouldBlock
}

// send queues a line and wakes the connection, from the loop.
func (f *feed) send(line string) {
	f.buf.WriteString(line + "\n")
	f.wake.Wake()
}

// A response streamed from the program's loop: the handler keeps the
// request's Wakeup, and the loop queues lines into the stream and wakes
// the connection, between steps. Of unknown length, the body goes out
// chunked, a chunk per line here, as each is queued.
func ExampleResponse_Stream() {
	var live *feed
	var mux biplane.Mux
	mux.HandleFunc("GET /ticks", func(r *biplane.Request) biplane.Response {
		live = &feed{wake: r.Wakeup()} // valid after the handler returns
		return biplane.Response{ContentType: "text/plain", Stream: live}
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	client, _ := ln.Dial()
	client.Write([]byte("GET /ticks HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))

	for step := range 40 {
		srv.Step()
		// The program's own work between steps: a tick every 10 steps.
		if live != nil && step%10 == 9 {
			if tick := step / 10; tick < 3 {
				live.send(fmt.Sprintf("tick %d", tick))
			} else {
				live.end = true
				live.wake.Wake()
			}
		}
	}
	srv.Step()
	resp, _ := io.ReadAll(client)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	// Output:
	// HTTP/1.1 200 OK
	// Content-Type: text/plain
	// Transfer-Encoding: chunked
	// Connection: close
	//
	// 7
	// tick 0
	//
	// 7
	// tick 1
	//
	// 7
	// tick 2
	//
	// 0
	//
}

// An upper is a tiny protocol for Response.Upgrade: it answers each line
// the peer sends in upper case, and ends the connection after "bye".
type upper struct {
	out  []byte
	done bool
}

// Write takes what the peer sent: whole lines; a partial one waits for
// more bytes.
func (u *upper) Write(p []byte) (int, error) {
	n := 0
	for {
		i := bytes.IndexByte(p[n:], '\n')
		if i < 0 || u.done {
			return n, nil
		}
		line := p[n : n+i+1]
		u.out = append(u.out, bytes.ToUpper(line)...)
		u.done = string(line) == "bye\n"
		n += i + 1
	}
}

// Read gives what there is to send; io.EOF after "BYE" closes the
// connection.
func (u *upper) Read(p []byte) (int, error) {
	if len(u.out) == 0 {
		if u.done {
			return 0, io.EOF
		}
		return 0, biplane.ErrWouldBlock
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// A connection handed over to another protocol after a 101 response (RFC
// 9110 §7.8), in the same loop: the server writes the peer's bytes into
// the Upgrade, those that came right behind the request included, and
// sends what it reads from it.
func ExampleResponse_Upgrade() {
	var mux biplane.Mux
	mux.HandleFunc("GET /shout", func(r *biplane.Request) biplane.Response {
		if !strings.EqualFold(string(r.Header("Upgrade")), "upper") {
			return biplane.Response{Status: 426, Header: []biplane.Field{{Name: "Upgrade", Value: "upper"}}}
		}
		return biplane.Response{
			Status:  101,
			Header:  []biplane.Field{{Name: "Upgrade", Value: "upper"}, {Name: "Connection", Value: "Upgrade"}},
			Upgrade: &upper{},
		}
	})
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}
	client, _ := ln.Dial()
	client.Write([]byte("GET /shout HTTP/1.1\r\nHost: example\r\nUpgrade: upper\r\nConnection: Upgrade\r\n\r\nhello\nwor"))
	for range 10 {
		srv.Step()
	}
	client.Write([]byte("ld\nbye\nignored\n"))
	for range 10 {
		srv.Step()
	}
	resp, _ := io.ReadAll(client)
	fmt.Print(strings.ReplaceAll(string(resp), "\r\n", "\n"))
	// Output:
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: upper
	// Connection: Upgrade
	//
	// HELLO
	// WORLD
	// BYE
}
