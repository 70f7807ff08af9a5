package web_test

import (
	"fmt"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// A device API that a page from another origin may call: Mux.Use puts
// CORS around every route and the Mux's own answers, so the browser's
// preflight for a PUT with a JSON body is answered by the middleware,
// and the PUT's response tells the browser the page may read it.
func ExampleCORS() {
	var mux biplane.Mux
	mux.Use(web.CORS(web.CORSOptions{
		Origins: []string{"https://dashboard.example"},
		Methods: []string{"PUT"},
		Headers: []string{"Content-Type", "Authorization"},
		MaxAge:  10 * time.Minute,
	}))
	mux.HandleFunc("PUT /config", func(r *biplane.Request) biplane.Response {
		return web.JSON(200, map[string]bool{"saved": true})
	})

	fmt.Print(serve(&mux, "OPTIONS /config HTTP/1.1\r\nHost: device.local\r\n"+
		"Origin: https://dashboard.example\r\nAccess-Control-Request-Method: PUT\r\n"+
		"Access-Control-Request-Headers: authorization,content-type\r\n\r\n"))
	fmt.Println("---")
	fmt.Print(serve(&mux, "PUT /config HTTP/1.1\r\nHost: device.local\r\n"+
		"Origin: https://dashboard.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
	// Output:
	// HTTP/1.1 204 No Content
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
	// Access-Control-Allow-Origin: https://dashboard.example
	// Access-Control-Allow-Methods: PUT
	// Access-Control-Allow-Headers: Content-Type, Authorization
	// Access-Control-Max-Age: 600
	//
	// ---
	// HTTP/1.1 200 OK
	// Content-Type: application/json
	// Content-Length: 15
	// Vary: Origin
	// Access-Control-Allow-Origin: https://dashboard.example
	//
	// {"saved":true}
}
