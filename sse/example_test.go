//go:build !tinygo

// Not built by TinyGo: the examples read responses with net/http. See README.md, "TinyGo".

package sse_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/memsock"
	"github.com/biplane-go/biplane/sse"
)

// A sensor read every 100 ms from the program's own loop, published to
// every client of /events, beside the server's steps. Here one client, in
// memory, gets three readings; then the broker ends the streams, and the
// client's connection closes as it asked.
func Example() {
	var broker sse.Broker
	var mux biplane.Mux
	mux.Handle("GET /events", &broker)
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true}

	client, _ := ln.Dial()
	client.Write([]byte("GET /events HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"))

	reading := 21.0 // a stand-in for the sensor
	published := 0
	next := time.Now()
	for srv.Step() {
		if now := time.Now(); !now.Before(next) {
			next = now.Add(100 * time.Millisecond)
			broker.Tick(now) // a heartbeat, if nothing was sent for a while
			if broker.Len() > 0 {
				broker.PublishData(strconv.FormatFloat(reading, 'f', 1, 64))
				reading += 0.5
				if published++; published == 3 {
					broker.Close() // ends the streams once their events are sent
				}
			}
		}
		if published == 3 && srv.Conns() == 0 {
			srv.Close()
		}
		srv.Wait(time.Until(next))
	}

	resp, _ := http.ReadResponse(bufio.NewReader(client), nil)
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), resp.TransferEncoding)
	fmt.Print(string(body))
	// Output:
	// 200 OK text/event-stream [chunked]
	// : ok
	//
	// data: 21.0
	//
	// data: 21.5
	//
	// data: 22.0
}

// A handler that subscribes the client itself, to resend the events it
// missed: those after the Last-Event-ID it sends when it reconnects.
func ExampleBroker_Subscribe() {
	var broker sse.Broker
	history := []sse.Event{{ID: "1", Data: "a"}, {ID: "2", Data: "b"}, {ID: "3", Data: "c"}}
	events := func(r *biplane.Request) biplane.Response {
		resp, sub := broker.Subscribe(r)
		if sub == nil {
			return resp // HEAD, or the broker is closed
		}
		for i, ev := range history {
			if ev.ID == sub.LastEventID() {
				for _, missed := range history[i+1:] {
					sub.Send(missed)
				}
			}
		}
		return resp
	}
	ln := memsock.NewListener()
	srv := &biplane.Server{Listener: ln, Handler: biplane.HandlerFunc(events), NoDate: true}
	client, _ := ln.Dial()
	client.Write([]byte("GET / HTTP/1.1\r\nHost: example\r\nLast-Event-ID: 1\r\nConnection: close\r\n\r\n"))
	for range 10 {
		srv.Step()
	}
	broker.Publish(sse.Event{ID: "4", Data: "d"}) // live, after the missed ones
	broker.Close()
	for range 10 {
		srv.Step()
	}
	resp, _ := http.ReadResponse(bufio.NewReader(client), nil)
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// : ok
	//
	// id: 2
	// data: b
	//
	// id: 3
	// data: c
	//
	// id: 4
	// data: d
}

// The wire format of an event with every field; Data's line breaks make
// one data field per line.
func ExampleAppendEvent() {
	ev := sse.Event{Type: "reading", ID: "42", Data: "21.5\n22.0", Retry: 3 * time.Second}
	b, _ := sse.AppendEvent(nil, ev)
	fmt.Print(string(b))

	_, err := sse.AppendEvent(nil, sse.Event{ID: "4\n2"})
	fmt.Println(err)
	// Output:
	// id: 42
	// event: reading
	// retry: 3000
	// data: 21.5
	// data: 22.0
	//
	// sse: invalid event: id "4\n2" contains a line break or NUL
}
