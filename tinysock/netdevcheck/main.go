// Command netdevcheck checks at compile time that the netdev interface of
// TinyGo's drivers, tinygo.org/x/drivers/netdev.Netdever, satisfies
// tinysock.Netdev, so that every netdev driver (wifinina, rtl8720dn, …)
// can be handed to tinysock.Listen as it is. It lives in a module of its
// own so that biplane's module keeps no dependency on the drivers.
// scripts/boards.sh builds it natively and with TinyGo.
//
// serve is the loop of a program with a radio: it differs from README's
// wifinina example only in where the device comes from. The radio
// drivers themselves import TinyGo's net package, which is absent from
// the TinyGo that scripts/install-tinygo.sh installs, so the check stops
// at the netdev interface. Run, it serves through a stand-in device whose
// every call fails, prints the error that stops it, and exits.
package main

import (
	"net/netip"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/tinysock"
	"tinygo.org/x/drivers/netdev"
)

// The check: a compile error here means tinysock.Netdev and the drivers'
// interface have drifted apart.
var _ tinysock.Netdev = netdev.Netdever(nil)

var hello = []byte("<b>Hello, world!</b>")

// serve brings dev onto a network with connect (the driver's NetConnect),
// then serves the hello page and toggles led in one loop.
func serve(dev netdev.Netdever, connect func() error, led func(on bool)) error {
	ln, err := tinysock.Listen(dev, tinysock.Config{Connect: connect})
	if err != nil {
		return err
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /{$}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/html; charset=utf-8", Body: hello}
	})
	srv := &biplane.Server{Listener: ln, Handler: &mux, NoDate: true, Limits: biplane.Limits{
		ReadBufferSize: 1024, WriteBufferSize: 1024, MaxConns: 4,
	}}
	on := false
	next := time.Now()
	for srv.Step() {
		if now := time.Now(); !now.Before(next) {
			on = !on
			led(on)
			next = next.Add(10 * time.Millisecond)
		}
		srv.Wait(time.Until(next))
	}
	return srv.Err()
}

// noRadio is the netdev.Netdever of a board without a radio: every call
// fails. A real program passes its driver's device instead.
type noRadio struct{}

var errNoRadio = netdev.ErrNotSupported

func (noRadio) GetHostByName(string) (netip.Addr, error)                   { return netip.Addr{}, errNoRadio }
func (noRadio) Addr() (netip.Addr, error)                                  { return netip.Addr{}, errNoRadio }
func (noRadio) Socket(int, int, int) (int, error)                          { return -1, errNoRadio }
func (noRadio) Bind(int, netip.AddrPort) error                             { return errNoRadio }
func (noRadio) Connect(int, string, netip.AddrPort) error                  { return errNoRadio }
func (noRadio) Listen(int, int) error                                      { return errNoRadio }
func (noRadio) Accept(int) (int, netip.AddrPort, error)                    { return -1, netip.AddrPort{}, errNoRadio }
func (noRadio) Send(int, []byte, int, time.Time) (int, error)              { return 0, errNoRadio }
func (noRadio) Recv(int, []byte, int, time.Time) (int, error)              { return 0, errNoRadio }
func (noRadio) Close(int) error                                            { return errNoRadio }
func (noRadio) SetSockOpt(sockfd int, level int, opt int, value any) error { return errNoRadio }

func main() {
	var dev netdev.Netdever = noRadio{} // on a board: wifinina.New(&cfg), rtl8720dn.New(…), …
	err := serve(dev, nil, func(bool) {})
	println("netdevcheck: netdev.Netdever satisfies tinysock.Netdev; with no radio, serve returns:", err.Error())
}
