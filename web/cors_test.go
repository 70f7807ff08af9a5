package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// Policies the CORS cases run against.
var (
	corsList = web.CORSOptions{
		Origins:       []string{"https://app.example", "http://127.0.0.1:8080"},
		Methods:       []string{"PUT", "DELETE"},
		Headers:       []string{"Content-Type", "X-Token"},
		ExposeHeaders: []string{"X-Request-Id"},
		MaxAge:        10 * time.Minute,
	}
	corsCredentials = web.CORSOptions{
		Origins:     []string{"https://app.example"},
		Methods:     []string{"PUT"},
		Headers:     []string{"Authorization"},
		Credentials: true,
	}
	corsAny = web.CORSOptions{
		Origins: []string{"*"},
		Methods: []string{"PUT"},
		Headers: []string{"Content-Type"},
	}
	corsFunc = web.CORSOptions{
		Origins: []string{"https://app.example"},
		AllowOrigin: func(o string) bool {
			return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".devices.example")
		},
		Methods: []string{"PUT"},
	}
	corsReflect = web.CORSOptions{
		Origins:     []string{"https://app.example"},
		Methods:     []string{"*"},
		Headers:     []string{"*"},
		Credentials: true,
	}
)

// Field values the cases expect, one "Name: value" per line.
const (
	varyOrigin    = "Vary: Origin"
	varyPreflight = "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
)

// corsCases are requests to a handler wrapped in CORS, and what comes back:
// the status, the header fields of the response, and whether the handler
// ran. The handler answers 200 with no fields of its own.
var corsCases = []struct {
	name    string
	opts    web.CORSOptions
	req     string
	status  int
	fields  []string
	reached bool
}{
	// Requests other than preflights: to the handler, fields added.
	{"listed origin", corsList, corsReq("GET", "Origin: https://app.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Expose-Headers: X-Request-Id"}, true},
	{"second listed origin, with a port", corsList, corsReq("PUT", "Origin: http://127.0.0.1:8080", "Content-Length: 0"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: http://127.0.0.1:8080", "Access-Control-Expose-Headers: X-Request-Id"}, true},
	{"origin in another case: the listed spelling is sent", corsList, corsReq("GET", "Origin: HTTPS://APP.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Expose-Headers: X-Request-Id"}, true},
	{"unlisted origin: only Vary", corsList, corsReq("GET", "Origin: https://evil.example"), 200, []string{varyOrigin}, true},
	{"listed origin with another port", corsList, corsReq("GET", "Origin: http://127.0.0.1:8081"), 200, []string{varyOrigin}, true},
	{"listed origin with a trailing slash", corsList, corsReq("GET", "Origin: https://app.example/"), 200, []string{varyOrigin}, true},
	{"a prefix of a listed origin", corsList, corsReq("GET", "Origin: https://app.exampl"), 200, []string{varyOrigin}, true},
	{"no Origin: only Vary, for caches", corsList, corsReq("GET"), 200, []string{varyOrigin}, true},
	{"empty Origin", corsList, corsReq("GET", "Origin:"), 200, []string{varyOrigin}, true},
	{"null origin, not listed", corsList, corsReq("GET", "Origin: null"), 200, []string{varyOrigin}, true},
	{"OPTIONS without Access-Control-Request-Method is no preflight", corsList, corsReq("OPTIONS", "Origin: https://app.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Expose-Headers: X-Request-Id"}, true},
	{"Access-Control-Request-Method on a GET is no preflight", corsList,
		corsReq("GET", "Origin: https://app.example", "Access-Control-Request-Method: PUT"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Expose-Headers: X-Request-Id"}, true},
	{"credentials", corsCredentials, corsReq("GET", "Origin: https://app.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Credentials: true"}, true},
	{"credentials, unlisted origin", corsCredentials, corsReq("GET", "Origin: https://evil.example"), 200, []string{varyOrigin}, true},
	{"wildcard: *, no Vary", corsAny, corsReq("GET", "Origin: https://anyone.example"), 200,
		[]string{"Access-Control-Allow-Origin: *"}, true},
	{"wildcard, no Origin: * all the same (Fetch §3.2.5)", corsAny, corsReq("GET"), 200,
		[]string{"Access-Control-Allow-Origin: *"}, true},
	{"AllowOrigin allows: the origin echoed", corsFunc, corsReq("GET", "Origin: https://lamp.devices.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://lamp.devices.example"}, true},
	{"AllowOrigin refuses", corsFunc, corsReq("GET", "Origin: http://lamp.devices.example"), 200, []string{varyOrigin}, true},
	{"listed beside AllowOrigin", corsFunc, corsReq("GET", "Origin: https://app.example"), 200,
		[]string{varyOrigin, "Access-Control-Allow-Origin: https://app.example"}, true},
	{"zero options allow nothing", web.CORSOptions{}, corsReq("GET", "Origin: https://app.example"), 200, []string{varyOrigin}, true},

	// Preflights: answered 204 without the handler.
	{"preflight", corsList, preflight("https://app.example", "PUT", "content-type,x-token"), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Methods: PUT, DELETE",
			"Access-Control-Allow-Headers: Content-Type, X-Token", "Access-Control-Max-Age: 600"}, false},
	{"preflight, header names in any case and with spaces", corsList, preflight("https://app.example", "DELETE", " X-TOKEN , Content-type "), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Methods: PUT, DELETE",
			"Access-Control-Allow-Headers: Content-Type, X-Token", "Access-Control-Max-Age: 600"}, false},
	{"preflight without header names", corsList, preflight("http://127.0.0.1:8080", "PUT", ""), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: http://127.0.0.1:8080", "Access-Control-Allow-Methods: PUT, DELETE",
			"Access-Control-Allow-Headers: Content-Type, X-Token", "Access-Control-Max-Age: 600"}, false},
	{"preflight for POST, never listed (safelisted)", corsList, preflight("https://app.example", "POST", "x-token"), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Methods: PUT, DELETE",
			"Access-Control-Allow-Headers: Content-Type, X-Token", "Access-Control-Max-Age: 600"}, false},
	{"preflight from an unlisted origin: no CORS fields", corsList, preflight("https://evil.example", "PUT", "x-token"), 204,
		[]string{varyPreflight}, false},
	{"preflight for an unlisted method", corsList, preflight("https://app.example", "PATCH", ""), 204, []string{varyPreflight}, false},
	{"preflight for a method in another case (RFC 9110 §9.1)", corsList, preflight("https://app.example", "put", ""), 204,
		[]string{varyPreflight}, false},
	{"preflight for a method that is no token", corsList, preflight("https://app.example", "P(T", ""), 204, []string{varyPreflight}, false},
	{"preflight for an unlisted header", corsList, preflight("https://app.example", "PUT", "content-type,x-other"), 204,
		[]string{varyPreflight}, false},
	{"preflight for a header name that is a prefix of a listed one", corsList, preflight("https://app.example", "PUT", "x-tok"), 204,
		[]string{varyPreflight}, false},
	{"preflight naming a header that is no token", corsList, preflight("https://app.example", "PUT", "x-token,x:y"), 204,
		[]string{varyPreflight}, false},
	{"preflight with empty list elements", corsList, preflight("https://app.example", "PUT", ",x-token,,"), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Methods: PUT, DELETE",
			"Access-Control-Allow-Headers: Content-Type, X-Token", "Access-Control-Max-Age: 600"}, false},
	{"preflight with credentials", corsCredentials, preflight("https://app.example", "PUT", "authorization"), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: PUT", "Access-Control-Allow-Headers: Authorization"}, false},
	{"preflight to the wildcard", corsAny, preflight("https://anyone.example", "PUT", "content-type"), 204,
		[]string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT", "Access-Control-Allow-Headers: Content-Type"}, false},
	{"preflight to the wildcard for an unlisted method", corsAny, preflight("https://anyone.example", "DELETE", ""), 204, nil, false},
	{"preflight from an origin AllowOrigin allows", corsFunc, preflight("https://lamp.devices.example", "PUT", ""), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://lamp.devices.example", "Access-Control-Allow-Methods: PUT"}, false},
	{"preflight: methods and headers * reflect the request's", corsReflect, preflight("https://app.example", "PURGE", "x-a, x-b"), 204,
		[]string{varyPreflight, "Access-Control-Allow-Origin: https://app.example", "Access-Control-Allow-Credentials: true",
			"Access-Control-Allow-Methods: PURGE", "Access-Control-Allow-Headers: x-a, x-b"}, false},
	{"preflight: * reflects nothing to an unlisted origin", corsReflect, preflight("https://evil.example", "PURGE", "x-a"), 204,
		[]string{varyPreflight}, false},
}

// corsReq is a request head with the given method and field lines.
func corsReq(method string, fields ...string) string {
	return method + " /config HTTP/1.1\r\nHost: api.example\r\n" + strings.Join(append(fields, ""), "\r\n") + "\r\n"
}

// preflight is a browser's preflight request (Fetch §4.8): names in
// Access-Control-Request-Headers are lower-case, sorted, without spaces.
func preflight(origin, method, headers string) string {
	fields := []string{"Origin: " + origin, "Access-Control-Request-Method: " + method}
	if headers != "" {
		fields = append(fields, "Access-Control-Request-Headers: "+headers)
	}
	return corsReq("OPTIONS", fields...)
}

func fieldLines(h []biplane.Field) []string {
	var lines []string
	for _, f := range h {
		lines = append(lines, f.Name+": "+f.Value)
	}
	return lines
}

func TestCORS(t *testing.T) {
	for _, tc := range corsCases {
		t.Run(tc.name, func(t *testing.T) {
			reached := false
			h := web.CORS(tc.opts)(biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
				reached = true
				return biplane.Response{Body: []byte("ok")}
			}))
			resp := h.Respond(mustParse(t, tc.req))
			if resp.Status == 0 {
				resp.Status = 200
			}
			got, want := strings.Join(fieldLines(resp.Header), "\n"), strings.Join(tc.fields, "\n")
			if resp.Status != tc.status || got != want || reached != tc.reached {
				t.Errorf("got %d, handler ran %v, fields\n%s\nwant %d, %v,\n%s", resp.Status, reached, got, tc.status, tc.reached, want)
			}
			for _, f := range resp.Header {
				if !biplane.ValidField(f.Name, f.Value) {
					t.Errorf("invalid field %q: %q", f.Name, f.Value)
				}
			}
		})
	}
}

// TestCORSHandlerFields: the handler's own fields are kept, in front of
// CORS's, and the array they came in is not written to; a handler that
// set Access-Control-Allow-Origin itself is left alone.
func TestCORSHandlerFields(t *testing.T) {
	own := make([]biplane.Field, 1, 4) // room that CORS must not use
	own[0] = biplane.Field{Name: "Cache-Control", Value: "no-store"}
	h := web.CORS(corsList)(biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Header: own}
	}))
	resp := h.Respond(mustParse(t, corsReq("GET", "Origin: https://app.example")))
	want := "Cache-Control: no-store\n" + varyOrigin + "\nAccess-Control-Allow-Origin: https://app.example\nAccess-Control-Expose-Headers: X-Request-Id"
	if got := strings.Join(fieldLines(resp.Header), "\n"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if spare := own[:2]; spare[1] != (biplane.Field{}) {
		t.Errorf("CORS wrote %v into the handler's array", spare[1])
	}

	self := []biplane.Field{{Name: "access-control-allow-origin", Value: "https://other.example"}}
	h = web.CORS(corsList)(biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		return biplane.Response{Header: self}
	}))
	resp = h.Respond(mustParse(t, corsReq("GET", "Origin: https://app.example")))
	if got := strings.Join(fieldLines(resp.Header), "\n"); got != "access-control-allow-origin: https://other.example" {
		t.Errorf("a handler's own CORS: got\n%s", got)
	}
}

// TestCORSAllocs: a request from a listed origin, a preflight, a request
// from another origin and one with "*" allocate nothing; one that
// AllowOrigin allows costs the origin's string and its fields. (TinyGo's AllocsPerRun
// counts nothing: hence "at most".)
func TestCORSAllocs(t *testing.T) {
	ok := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response { return biplane.Response{} })
	for _, tc := range []struct {
		name   string
		opts   web.CORSOptions
		req    string
		allocs float64
	}{
		{"listed", corsList, corsReq("GET", "Origin: https://app.example"), 0},
		{"unlisted", corsList, corsReq("GET", "Origin: https://evil.example"), 0},
		{"no origin", corsList, corsReq("GET"), 0},
		{"preflight", corsList, preflight("https://app.example", "PUT", "content-type,x-token"), 0},
		{"refused preflight", corsList, preflight("https://app.example", "PATCH", ""), 0},
		{"wildcard", corsAny, corsReq("GET", "Origin: https://anyone.example"), 0},
		{"wildcard preflight", corsAny, preflight("https://anyone.example", "PUT", "content-type"), 0},
		{"AllowOrigin", corsFunc, corsReq("GET", "Origin: https://lamp.devices.example"), 2},
	} {
		h := web.CORS(tc.opts)(ok)
		r := mustParse(t, tc.req)
		if got := testing.AllocsPerRun(100, func() { h.Respond(r) }); got > tc.allocs {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, got, tc.allocs)
		}
	}
}

// recorder is a Receiver that keeps the body it is given.
type recorder struct{ body []byte }

func (rc *recorder) Write(p []byte) (int, error) { rc.body = append(rc.body, p...); return len(p), nil }
func (rc *recorder) Done() (biplane.Response, error) {
	return biplane.Response{Body: []byte("got " + strconv.Itoa(len(rc.body)) + " bytes\n")}, nil
}
func (rc *recorder) Abort(error) {}

// TestCORSHeadHandler: around a HeadHandler, CORS's handler is one too,
// so the route still takes its body as it arrives: the route's handler
// runs on the head, and the fields CORS adds there reach the final
// response. A preflight is answered on its head too.
func TestCORSHeadHandler(t *testing.T) {
	var heads int
	var rc recorder
	route := biplane.Receive(func(r *biplane.Request) biplane.Response {
		heads++
		return biplane.Response{Receive: &rc}
	})
	h := web.CORS(corsList)(route)
	if _, ok := h.(biplane.HeadHandler); !ok {
		t.Fatalf("CORS around a HeadHandler is a %T, not a HeadHandler", h)
	}
	if _, ok := web.CORS(corsList)(biplane.HandlerFunc(nil)).(biplane.HeadHandler); ok {
		t.Errorf("CORS around a plain Handler is a HeadHandler")
	}
	var mux biplane.Mux
	mux.Handle("PUT /firmware", h)
	body := strings.Repeat("x", 3000)
	got := serve(&mux, "PUT /firmware HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\n"+
		"Content-Length: 3000\r\nConnection: close\r\n\r\n"+body)
	want := "HTTP/1.1 200 OK\nContent-Length: 15\nConnection: close\nVary: Origin\n" +
		"Access-Control-Allow-Origin: https://app.example\nAccess-Control-Expose-Headers: X-Request-Id\n\ngot 3000 bytes\n"
	if got != want || heads != 1 || string(rc.body) != body {
		t.Errorf("got %q (handler ran %d times, receiver got %d bytes)\nwant %q", got, heads, len(rc.body), want)
	}

	// A preflight with a body (browsers send none, others may) is
	// answered on its head.
	heads = 0
	hh := h.(biplane.HeadHandler)
	resp, ok := hh.RespondHead(mustParse(t, "OPTIONS /firmware HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n"+
		"Access-Control-Request-Method: PUT\r\nContent-Length: 5\r\n\r\n"))
	if !ok || resp.Status != 204 || heads != 0 || len(resp.Header) != 5 {
		t.Errorf("preflight on the head: ok %v, %d, fields %v, handler ran %d times", ok, resp.Status, fieldLines(resp.Header), heads)
	}
}

// TestCORSMux: with Mux.Use, preflights reach CORS through the Mux's
// automatic OPTIONS answer, whatever the routes' methods; the Mux's 404
// and 405 get the fields too, and 405 keeps its Allow.
func TestCORSMux(t *testing.T) {
	var mux biplane.Mux
	mux.Use(web.CORS(corsList))
	mux.HandleFunc("PUT /config", func(r *biplane.Request) biplane.Response {
		return biplane.Response{Body: []byte("saved\n")}
	})
	for _, tc := range []struct{ name, req, want string }{
		{"preflight", "OPTIONS /config HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\n" +
			"Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 204 No Content\nConnection: close\n" + varyPreflight + "\nAccess-Control-Allow-Origin: https://app.example\n" +
				"Access-Control-Allow-Methods: PUT, DELETE\nAccess-Control-Allow-Headers: Content-Type, X-Token\n" +
				"Access-Control-Max-Age: 600\n\n"},
		{"preflight from another origin", "OPTIONS /config HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\n" +
			"Access-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 204 No Content\nConnection: close\n" + varyPreflight + "\n\n"},
		{"plain OPTIONS: the Mux's answer", "OPTIONS /config HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 204 No Content\nConnection: close\nAllow: PUT, OPTIONS\n" + varyOrigin + "\n\n"},
		{"PUT", "PUT /config HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
			"HTTP/1.1 200 OK\nContent-Length: 6\nConnection: close\n" + varyOrigin + "\nAccess-Control-Allow-Origin: https://app.example\n" +
				"Access-Control-Expose-Headers: X-Request-Id\n\nsaved\n"},
		{"405", "GET /config HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 405 Method Not Allowed\nContent-Type: text/plain; charset=utf-8\nContent-Length: 23\nConnection: close\n" +
				"Allow: PUT\n" + varyOrigin + "\nAccess-Control-Allow-Origin: https://app.example\n" +
				"Access-Control-Expose-Headers: X-Request-Id\n\n405 method not allowed\n"},
		{"404", "GET /nowhere HTTP/1.1\r\nHost: a\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n",
			"HTTP/1.1 404 Not Found\nContent-Type: text/plain; charset=utf-8\nContent-Length: 19\nConnection: close\n" +
				varyOrigin + "\n\n404 page not found\n"},
	} {
		if got := serve(&mux, tc.req); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// BenchmarkCORS: the middleware's cost per request on a parsed request,
// against the bare handler.
func BenchmarkCORS(b *testing.B) {
	ok := biplane.HandlerFunc(func(r *biplane.Request) biplane.Response { return biplane.Response{} })
	for _, bc := range []struct {
		name string
		h    biplane.Handler
		req  string
	}{
		{"bare", ok, corsReq("GET", "Origin: https://app.example")},
		{"listed", web.CORS(corsList)(ok), corsReq("GET", "Accept: */*", "User-Agent: bench", "Origin: http://127.0.0.1:8080")},
		{"no-origin", web.CORS(corsList)(ok), corsReq("GET", "Accept: */*", "User-Agent: bench")},
		{"preflight", web.CORS(corsList)(ok), preflight("http://127.0.0.1:8080", "PUT", "content-type,x-token")},
		{"wildcard", web.CORS(corsAny)(ok), corsReq("GET", "Origin: https://anyone.example")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := mustParse(b, bc.req)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.Respond(r)
			}
		})
	}
}
