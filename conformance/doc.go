// Package conformance is biplane's black-box conformance suite. It has no
// API: its tests build examples/echo, start it on 127.0.0.1, and speak raw
// TCP to it, one table of cases drawn from RFC 9110, RFC 9112 and RFC 6585
// and from public suites and findings (h1spec, Http11Probe, the HTTP Garden,
// net/http's own tests).
//
// Each case is fed three ways: whole, in one write; one byte per write; and
// followed by a pipelined request, which a server must never answer once
// it has refused the request before it, because framing is then in doubt.
//
//	go test ./conformance/
package conformance
