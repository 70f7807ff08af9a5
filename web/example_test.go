package web_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// A form POST, its values read with ParseForm.
func ExampleParseForm() {
	h := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		form, err := web.ParseForm(r, 0)
		if err != nil {
			return web.ErrorResponse(err)
		}
		return biplane.Response{Body: []byte("hello " + form.Get("name") + ", page " + form.Get("page") + "\n")}
	})
	fmt.Print(serve(h, "POST /greet?page=2 HTTP/1.1\r\nHost: example\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\nConnection: close\r\n\r\n"+
		"name=Zo%C3%AB+K"))
	// Output:
	// HTTP/1.1 200 OK
	// Content-Length: 21
	// Connection: close
	//
	// hello Zoë K, page 2
}

// A JSON API: DecodeJSON refuses what is not JSON, and JSON answers.
func ExampleDecodeJSON() {
	type order struct {
		Item string `json:"item"`
		Qty  int    `json:"qty"`
	}
	h := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		var o order
		if err := web.DecodeJSON(r, &o); err != nil {
			return web.ErrorResponse(err)
		}
		o.Qty *= 2
		return web.JSON(201, o)
	})
	for _, req := range []string{
		post("/orders", "application/json", `{"item":"tea","qty":2}`),
		post("/orders", "text/plain", `{"item":"tea"}`),
		post("/orders", "application/json", `{"item":"tea",}`),
	} {
		resp := serve(h, req)
		status, _, _ := strings.Cut(resp, "\n")
		_, body, _ := strings.Cut(resp, "\n\n")
		fmt.Printf("%s: %s", status, body)
	}
	// Output:
	// HTTP/1.1 201 Created: {"item":"tea","qty":4}
	// HTTP/1.1 415 Unsupported Media Type: 415 Unsupported Media Type: Content-Type "text/plain" is not JSON
	// HTTP/1.1 400 Bad Request: 400 Bad Request: invalid JSON body: invalid character '}' looking for beginning of object key string
}

// A stricter decoder, for APIs that want to hear of misspelt fields.
func ExampleJSONDecoder() {
	dec := web.JSONDecoder{MaxBytes: 4 << 10, DisallowUnknownFields: true}
	h := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		var v struct{ Name string }
		if err := dec.Decode(r, &v); err != nil {
			return web.ErrorResponse(err)
		}
		return web.JSON(200, v)
	})
	resp := serve(h, post("/", "application/json", `{"Nmae":"x"}`))
	_, body, _ := strings.Cut(resp, "\n\n")
	fmt.Print(body)
	// Output:
	// 400 Bad Request: invalid JSON body: json: unknown field "Nmae"
}

func ExampleJSON() {
	resp := web.JSON(200, map[string]any{"ok": true, "n": 3})
	fmt.Printf("%d %s %s", resp.Status, resp.ContentType, resp.Body)
	// Output:
	// 200 application/json {"n":3,"ok":true}
}

func ExampleRedirect() {
	resp := web.Redirect(303, "/orders/42")
	fmt.Println(resp.Status, resp.Header)
	fmt.Print(string(resp.Body))
	// Output:
	// 303 [{Location /orders/42}]
	// <a href="/orders/42">See Other</a>.
}

// Basic authentication on one route: a browser asks for a password.
func ExampleBasicAuth() {
	var mux biplane.Mux
	mux.Handle("GET /admin", web.BasicAuth("admin", web.CheckUser("alice", "secret"),
		biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			user, _, _ := web.BasicCredentials(r)
			return biplane.Response{Body: []byte("welcome, " + user + "\n")}
		})))
	fmt.Print(serve(&mux, "GET /admin HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))
	fmt.Print(serve(&mux, "GET /admin HTTP/1.1\r\nHost: example\r\nConnection: close\r\n"+
		"Authorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n"))
	// Output:
	// HTTP/1.1 401 Unauthorized
	// Content-Type: text/plain; charset=utf-8
	// Content-Length: 17
	// Connection: close
	// WWW-Authenticate: Basic realm="admin", charset="UTF-8"
	//
	// 401 Unauthorized
	// HTTP/1.1 200 OK
	// Content-Length: 15
	// Connection: close
	//
	// welcome, alice
}

func ExampleBearerAuth() {
	h := web.BearerAuth(web.CheckToken("s3cr3t-t0ken"), biplane.HandlerFunc(
		func(r *biplane.Request) biplane.Response { return web.JSON(200, "ok") }))
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cr3t-t0ken"} {
		req := "GET /api HTTP/1.1\r\nHost: example\r\n"
		if auth != "" {
			req += "Authorization: " + auth + "\r\n"
		}
		resp := serve(h, req+"\r\n")
		status, _, _ := strings.Cut(resp, "\n")
		_, challenge, _ := strings.Cut(resp, "WWW-Authenticate: ")
		challenge, _, _ = strings.Cut(challenge, "\n")
		fmt.Printf("%q: %s %s\n", auth, status, challenge)
	}
	// Output:
	// "": HTTP/1.1 401 Unauthorized Bearer
	// "Bearer wrong": HTTP/1.1 401 Unauthorized Bearer error="invalid_token"
	// "Bearer s3cr3t-t0ken": HTTP/1.1 200 OK
}

func ExampleCookieValue() {
	var p biplane.Parser
	p.Parse([]byte("GET / HTTP/1.1\r\nHost: example\r\nCookie: theme=dark; session=\"abc123\"\r\n\r\n"))
	r := p.Request()
	session, ok := web.CookieValue(r, "session")
	fmt.Println(session, ok)
	_, ok = web.CookieValue(r, "lang")
	fmt.Println(ok)
	// Output:
	// abc123 true
	// false
}

func ExampleSetCookie() {
	f, err := web.SetCookie(web.Cookie{
		Name: "session", Value: "abc123", Path: "/",
		Expires:  time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		HttpOnly: true, Secure: true, SameSite: web.SameSiteLax,
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%s: %s\n", f.Name, f.Value)

	_, err = web.SetCookie(web.Cookie{Name: "note", Value: "hello world"})
	fmt.Println(err)
	// Output:
	// Set-Cookie: session=abc123; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; Secure; SameSite=Lax
	// web: cookie note: value "hello world" holds a byte other than a cookie-octet
}

func ExampleErrorResponse() {
	resp := web.ErrorResponse(&web.Error{Status: 413, Reason: "upload over 1 MiB"})
	fmt.Printf("%d %q", resp.Status, resp.Body)
	// Output:
	// 413 "413 Content Too Large: upload over 1 MiB\n"
}
