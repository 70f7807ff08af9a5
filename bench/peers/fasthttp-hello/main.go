// Command fasthttp-hello is the fasthttp peer of examples/hello: GET / (and
// HEAD /) answers "<b>Hello, world!</b>" as text/html, other methods on /
// 405 and other paths 404, with fasthttp's default Server settings.
//
//	go run ./peers/fasthttp-hello -addr 127.0.0.1:8000
//
// It prints "hello: serving on http://ADDR/" once it listens, and exits 0 on
// SIGTERM or SIGINT, so that a profiler running it writes its output.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/valyala/fasthttp"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		switch {
		case string(ctx.Path()) != "/":
			ctx.SetStatusCode(fasthttp.StatusNotFound)
		case !ctx.IsGet() && !ctx.IsHead():
			ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
		default:
			ctx.SetContentType("text/html; charset=utf-8")
			ctx.SetBody(hello)
		}
	}}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		os.Exit(0)
	}()
	fmt.Printf("hello: serving on http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}
