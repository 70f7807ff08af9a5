// Command api is the device API a new user builds first: a JSON
// configuration that a client reads and, with a token, replaces, and
// sensor readings, with every error answered in JSON, the server's own
// refusals included, and CORS for pages served from other origins.
//
//	go run ./examples/api -addr 127.0.0.1:8000 -token s3cret -cors-origin http://127.0.0.1:8080
//
// Routes:
//
//	GET /                 what the API offers
//	GET /config           the configuration
//	PUT /config           replaces it (Authorization: Bearer <token>); answers the new one
//	GET /sensors/{id}     a reading of temperature, humidity or light
//
// Try it with curl:
//
//	curl http://127.0.0.1:8000/config
//	curl -X PUT -H 'Authorization: Bearer s3cret' -H 'Content-Type: application/json' \
//	     -d '{"name":"greenhouse","interval_ms":500,"led":true,"units":"F"}' http://127.0.0.1:8000/config
//	curl http://127.0.0.1:8000/sensors/temperature
//
// Every error is a JSON object with Content-Type application/json:
//
//	{"status":400,"error":"invalid config","fields":[{"field":"units","error":"must be \"C\" or \"F\""}]}
//
// The handlers' errors, the Mux's 404 and 405 (with Allow), the token
// check's 401 and the server's own refusals (400 for a malformed request,
// 413 for a body over -max-body, 408, 431, 503, …) alike: Mux.NotFound,
// Mux.MethodNotAllowed and Server.Refusal shape them.
//
// Flags:
//
//	-addr        address to listen on (default 127.0.0.1:8000)
//	-token       the Bearer token that PUT /config needs; without it, writes are refused (403)
//	-cors-origin an origin whose pages may call the API (repeatable), e.g. http://127.0.0.1:8080
//	-log         a Common Log Format line on standard output for every response
//	-max-body    the largest request body, in bytes (default 4096); larger ones get 413
//
// Its first line of output says where it listens:
//
//	api: serving on http://127.0.0.1:8000/
//
// SIGINT or SIGTERM drains gracefully and exits 0.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/clf"
	"github.com/biplane-go/biplane/unixsock"
	"github.com/biplane-go/biplane/web"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	token := flag.String("token", "", "Bearer token that PUT /config needs; if empty, writes are refused")
	var origins []string
	flag.Func("cors-origin", "an origin whose pages may call the API, e.g. http://127.0.0.1:8080 (repeatable)", func(s string) error {
		origins = append(origins, s)
		return nil
	})
	logging := flag.Bool("log", false, "print a Common Log Format line for every response")
	maxBody := flag.Int("max-body", 4096, "largest request body in bytes; larger ones are answered 413")
	flag.Parse()
	if *maxBody < 1 {
		fmt.Fprintln(os.Stderr, "api: -max-body must be at least 1")
		os.Exit(2)
	}

	mux, err := newAPI(*token, origins, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(2)
	}
	ln, err := unixsock.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	srv := &biplane.Server{
		Listener: ln,
		Handler:  mux,
		Limits:   biplane.Limits{MaxBodyBytes: *maxBody},
		// The server's own refusals (400, 408, 413, 431, 503, …) in JSON
		// too, so that clients parse one kind of error.
		Refusal: func(status int, reason string) (string, []byte) {
			return "application/json", errorJSON(status, reason, nil)
		},
	}
	if *logging {
		srv.OnResponse = clf.New(os.Stdout).Log
	}
	if *token == "" {
		fmt.Fprintln(os.Stderr, "api: no -token: PUT /config is refused")
	}
	if len(origins) > 0 {
		fmt.Fprintln(os.Stderr, "api: CORS for", strings.Join(origins, ", "))
	}
	fmt.Printf("api: serving on http://%s/\n", ln.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		srv.Shutdown(5 * time.Second)
	}()
	if err := srv.Serve(); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

// newAPI returns the API's routes: writes need token (none if empty), and
// pages from origins may call it. It returns an error for an origin that
// CORS would refuse.
func newAPI(token string, origins []string, start time.Time) (mux *biplane.Mux, err error) {
	a := &api{start: start, config: Config{Name: "device", IntervalMS: 1000, Units: "C"}}
	mux = &biplane.Mux{
		NotFound: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return errorResponse(404, "no such resource: "+string(r.Path()), nil)
		}),
		// The Mux adds the Allow field to this answer.
		MethodNotAllowed: biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
			return errorResponse(405, "method "+r.Method()+" not allowed on "+string(r.Path()), nil)
		}),
	}
	if len(origins) > 0 {
		// CORS's panic for an origin that is not one becomes a usage error.
		defer func() {
			if v := recover(); v != nil {
				mux, err = nil, fmt.Errorf("-cors-origin: %v", v)
			}
		}()
		// Middleware, outermost first: CORS answers preflights and marks
		// every response, the Mux's 404 and 405 included.
		mux.Use(web.CORS(web.CORSOptions{
			Origins:       origins,
			Methods:       []string{"PUT"},
			Headers:       []string{"Authorization", "Content-Type", "X-Request-Id"},
			ExposeHeaders: []string{"X-Request-Id"},
			MaxAge:        10 * time.Minute,
		}))
	}
	mux.Use(requestID, jsonErrors)

	mux.HandleFunc("GET /{$}", a.index)
	mux.HandleFunc("GET /config", a.getConfig)
	if token != "" {
		mux.Handle("PUT /config", web.BearerAuth(web.CheckToken(token), biplane.HandlerFunc(a.putConfig)))
	} else {
		mux.HandleFunc("PUT /config", func(r *biplane.Request) biplane.Response {
			return errorResponse(403, "writes are disabled: start the server with -token", nil)
		})
	}
	mux.HandleFunc("GET /sensors/{id}", a.sensor)
	return mux, nil
}
