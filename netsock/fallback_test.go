package netsock_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/netsock"
)

// chanListener is a net.Listener whose Accept returns what the test sends.
type chanListener struct {
	accepts chan acceptResult
	done    chan struct{}
	once    sync.Once
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newChanListener() *chanListener {
	return &chanListener{accepts: make(chan acceptResult), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case r := <-l.accepts:
		return r.c, r.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }

type tempError struct{}

func (tempError) Error() string   { return "temporarily out of descriptors" }
func (tempError) Temporary() bool { return true }
func (tempError) Timeout() bool   { return false }

// TestFallbackAccept feeds the accept goroutine a temporary error, a
// net.Pipe connection and a final error.
func TestFallbackAccept(t *testing.T) {
	cl := newChanListener()
	bl, err := netsock.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, l: bl, w: bl.(biplane.Waiter)}
	defer bl.Close()

	final := errors.New("listener broke")
	client, pipe := net.Pipe()
	defer client.Close()
	go func() {
		cl.accepts <- acceptResult{err: tempError{}} // retried after a pause
		cl.accepts <- acceptResult{c: pipe}
		cl.accepts <- acceptResult{err: final}
	}()

	c := s.accept()
	if _, ok := c.(biplane.CloseWriter); ok {
		t.Errorf("a net.Pipe connection implements CloseWriter; its net.Conn cannot")
	}
	if got := c.RemoteAddr(); got != (netip.AddrPort{}) {
		t.Errorf("RemoteAddr of a pipe = %v, want the zero AddrPort", got)
	}
	go client.Write([]byte("hello"))
	if got := s.readN(c, 5); got != "hello" {
		t.Errorf("read %q, want %q", got, "hello")
	}

	deadline := time.Now().Add(guard)
	for {
		_, err := bl.Accept()
		if errors.Is(err, final) {
			break
		}
		if err != biplane.ErrWouldBlock || time.Now().After(deadline) {
			t.Fatalf("Accept = %v, want eventually %v", err, final)
		}
		s.wait(nil)
	}
	c.Close()
}

// TestFallbackCloseReleasesPending checks that Close closes connections the
// accept goroutine took but the loop did not.
func TestFallbackCloseReleasesPending(t *testing.T) {
	cl := newChanListener()
	bl, err := netsock.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	client, pipe := net.Pipe()
	cl.accepts <- acceptResult{c: pipe} // taken by the accept goroutine
	if err := bl.Close(); err != nil {
		t.Fatal(err)
	}
	// The pending pipe was closed, so the client sees EOF.
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client Read of a pending conn after Close = %v, want EOF", err)
	}
}

// TestFallbackTLS serves a crypto/tls listener, the fallback's main use:
// the handshake and the TLS records happen in the connection's goroutines.
func TestFallbackTLS(t *testing.T) {
	serverConf, clientConf := tlsConfigs(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl, err := netsock.New(tls.NewListener(ln, serverConf))
	if err != nil {
		t.Fatal(err)
	}
	defer bl.Close()
	if _, ok := bl.(*netsock.Listener); !ok {
		t.Fatalf("New(tls listener) = %T, want the fallback", bl)
	}
	s := &server{t: t, l: bl, w: bl.(biplane.Waiter)}

	type result struct {
		reply []byte
		err   error
		local netip.AddrPort
	}
	done := make(chan result, 1)
	go func() {
		c, err := tls.Dial("tcp", ln.Addr().String(), clientConf)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		local := c.LocalAddr().(*net.TCPAddr).AddrPort()
		if _, err := c.Write([]byte("hello over tls")); err != nil {
			done <- result{err: err}
			return
		}
		c.CloseWrite() // close_notify
		reply, err := io.ReadAll(c)
		done <- result{reply, err, local}
	}()

	c := s.accept()
	got := s.readAll(c)
	s.write(c, []byte("echo: "+got))
	if err := c.(biplane.CloseWriter).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("client: %v", r.err)
	}
	if want := "echo: hello over tls"; string(r.reply) != want {
		t.Errorf("client read %q, want %q", r.reply, want)
	}
	if c.RemoteAddr() != r.local {
		t.Errorf("RemoteAddr = %v, want the client's %v", c.RemoteAddr(), r.local)
	}
	c.Close()
}

// tlsConfigs returns a server config with a fresh self-signed certificate
// for 127.0.0.1 and a client config that trusts it.
func tlsConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}
