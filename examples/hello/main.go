// Command hello is Biplane's basic example: GET / answers
// "<b>Hello, world!</b>" as text/html.
//
//	go run ./examples/hello -addr 127.0.0.1:8000
//
// With -loops N it runs N loops, each in a goroutine of its own with its
// own listening socket on the same address (SO_REUSEPORT, so the kernel
// spreads new connections over them) and its own biplane.Server. Each loop
// still serves all of its connections itself; set GOMAXPROCS to let the
// loops use as many cores.
//
// With -log it prints a line in Common Log Format to standard output for
// every response, the server's own refusals (400, 408, 413, 431, 503, …)
// included, through Server.OnResponse:
//
//	127.0.0.1 - - [06/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 20
//
// -max-conns, -request-timeout and -max-body set the server's Limits.
//
// With -mdns NAME (Linux) the first loop also answers Multicast DNS for
// NAME.local, so that http://NAME.local:8000/ reaches the server from
// other hosts of the link: it joins 224.0.0.251:5353 on -mdns-if (by
// default the first interface that is up and can multicast) and
// announces the -addr address, or the interface's addresses when -addr
// is a wildcard or loopback address. If another host has the name, it
// takes NAME-2, and so on; it prints the name and each change of state:
//
//	go run ./examples/hello -addr 0.0.0.0:8000 -mdns app
//	hello: mdns: app.local probing
//	hello: mdns: app.local announcing
//	hello: mdns: app.local announced
package main

import (
	"cmp"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/internal/clf"
	"github.com/biplane-go/biplane/mdns"
	"github.com/biplane-go/biplane/unixsock"
)

var hello = []byte("<b>Hello, world!</b>")

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	loops := flag.Int("loops", 1, "number of loops, each with its own SO_REUSEPORT listener")
	logging := flag.Bool("log", false, "print a Common Log Format line for every response")
	var lim biplane.Limits
	flag.IntVar(&lim.MaxConns, "max-conns", 0, "Limits.MaxConns; 0 means the default (1024)")
	flag.DurationVar(&lim.RequestTimeout, "request-timeout", 0, "Limits.RequestTimeout; 0 means the default (10s)")
	flag.IntVar(&lim.MaxBodyBytes, "max-body", 0, "Limits.MaxBodyBytes; 0 means the default (1 MiB)")
	mdnsName := flag.String("mdns", "", "answer Multicast DNS for `NAME`.local from the first loop (Linux)")
	mdnsIf := flag.String("mdns-if", "", "network interface for -mdns (default: the first that is up and can multicast)")
	flag.Parse()
	if *loops < 1 {
		fmt.Fprintln(os.Stderr, "hello: -loops must be at least 1")
		os.Exit(2)
	}

	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	// One loop listens as before; several share the port. Conns grows the
	// descriptor table now rather than in the middle of serving.
	cfg := unixsock.Config{ReusePort: *loops > 1, Conns: cmp.Or(lim.MaxConns, biplane.DefaultMaxConns)}
	srvs := make([]*biplane.Server, *loops)
	var ln, first *unixsock.Listener
	for i := range srvs {
		var err error
		ln, err = cfg.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
		// Port 0 picks a port once; the other loops join it.
		*addr = ln.Addr().String()
		// Mux is read-only once built, so the loops can share it.
		srvs[i] = &biplane.Server{Listener: ln, Handler: &mux, Limits: lim}
		if *logging {
			srvs[i].OnResponse = clf.New(os.Stdout).Log
		}
		if i == 0 {
			first = ln
		}
	}
	var resp *mdns.Responder
	if *mdnsName != "" {
		var err error
		if resp, err = newResponder(*mdnsName, *mdnsIf, first); err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("hello: serving on http://%s/\n", ln.Addr())
	// SIGTERM or SIGINT drains gracefully: requests in flight finish.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		for _, srv := range srvs {
			srv.Shutdown(10 * time.Second)
		}
	}()
	errs := make([]error, len(srvs))
	var wg sync.WaitGroup
	for i, srv := range srvs {
		if i == 0 && resp != nil {
			wg.Go(func() { errs[i] = serveMDNS(srv, resp) })
			continue
		}
		wg.Go(func() { errs[i] = srv.Serve() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "hello:", err)
			os.Exit(1)
		}
	}
}

// newResponder joins the mDNS group on the interface named ifname and
// makes a responder for name.local that announces ln's address, or the
// interface's addresses if ln listens on a wildcard or loopback address.
// ln's Wait wakes for queries.
func newResponder(name, ifname string, ln *unixsock.Listener) (*mdns.Responder, error) {
	pc, err := unixsock.ListenMulticast(mdns.IPv4Group, ifname)
	if err != nil {
		return nil, err
	}
	if err := ln.Watch(pc); err != nil {
		pc.Close()
		return nil, err
	}
	resp := &mdns.Responder{Conn: pc, Name: name}
	if ip := ln.Addr().Addr(); ip.IsValid() && !ip.IsUnspecified() && !ip.IsLoopback() {
		resp.Addrs = []netip.Addr{ip}
	}
	return resp, nil
}

// serveMDNS is Server.Serve with a Multicast DNS responder in the same
// loop: the server's Wait wakes for a query (Listener.Watch) and sleeps
// no later than the responder's next probe, announcement or delayed
// answer. When the server stops, the responder says goodbye and its
// counters are printed.
func serveMDNS(srv *biplane.Server, resp *mdns.Responder) error {
	defer func() {
		resp.Close()
		st := resp.Stats()
		fmt.Printf("hello: mdns: %d datagrams received, %d malformed, %d queries, %d answers, %d suppressed, %d delayed, %d conflicts\n",
			st.Received, st.Malformed, st.Queries, st.Answers, st.Suppressed, st.Delayed, st.Conflicts)
	}()
	host, state := "", mdns.Closed
	for srv.Step() {
		now := time.Now()
		if !resp.Step(now) {
			srv.Close()
			return resp.Err()
		}
		if h, st := resp.Hostname(), resp.State(); h != host || st != state {
			host, state = h, st
			fmt.Printf("hello: mdns: %s %s\n", host, state)
		}
		srv.Wait(time.Until(resp.Deadline()))
	}
	return srv.Err()
}
