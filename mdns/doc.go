// Package mdns answers Multicast DNS (RFC 6762) for one host name,
// NAME.local, from the program's own loop, one bounded non-blocking step at
// a time, like biplane's HTTP server: a device serving http://app.local/
// needs nothing else on the link.
//
// A [Responder] claims the name, answers A and AAAA queries for it with
// the host's addresses, and defends it:
//
//	pc, err := unixsock.ListenMulticast(mdns.IPv4Group, "") // Linux
//	…
//	ln.Watch(pc) // the HTTP server's Wait wakes for queries
//	resp := &mdns.Responder{Conn: pc, Name: "app"}
//	for srv.Step() {
//		now := time.Now()
//		resp.Step(now)
//		srv.Wait(time.Until(resp.Deadline()))
//	}
//	resp.Close() // goodbye: caches forget the name at once
//
// # Theory of operation
//
// Each [Responder.Step] reads up to 16 datagrams without blocking, acts on
// each, then sends what its timers say is due, and returns. Nothing else
// happens between steps: no goroutine, no timer, no blocking call.
// [Responder.Deadline] says when the next step is due if no datagram
// comes first. The responder passes through these states:
//
//	state       what it sends                              leaves when
//	Probing     after 0–250 ms at random, three probes     250 ms after the third probe with no
//	            250 ms apart: a question for NAME.local    conflict → Announcing. A response with any
//	            of type ANY (QU), with the addresses it    record of the name that is not ours: the
//	            proposes in the authority section (§8.1)   name is taken → NAME-2.local, probe again.
//	                                                       Another host's probe with records that sort
//	                                                       later (§8.2) → wait 1 s, probe again.
//	Announcing  every address record, cache-flush bit     after the second, 1 s later → Announced
//	            set, TTL 120 s, twice (§8.3, §10, §10.2)
//	Announced   answers                                    a response with an address of the name
//	                                                       that is not ours (§9) → Probing, same name
//	Closed      a goodbye (TTL 0, §10.1) on Close          —
//
// It answers queries in Announcing and Announced: for type A with its
// IPv4 addresses, AAAA with its IPv6 ones, ANY with both; for a type it
// has no record of, with an NSEC record that lists the types it has
// (§6.1); with the other addresses (and that NSEC record) as additional
// records (§6.2). Answers go out at once, since the records are unique
// (§6):
//
//   - to a query from a port other than 5353, a legacy resolver's, by
//     unicast to it, with its ID and questions, TTL 10 s and no
//     cache-flush bit (§6.7);
//   - to a question with the QU bit, by unicast, unless a record has not
//     been multicast for 30 s, a quarter of its TTL; then by multicast
//     (§5.4);
//   - else by multicast, each record at most once a second: a record
//     multicast less than a second ago waits, and goes out with the others
//     that wait in one message, when its second is up (§6). An answer to a
//     probe waits only 250 ms.
//
// A record the query lists as a known answer with at least 60 s of its TTL
// left is not sent (§7.1). Responses from a port other than 5353 are
// ignored (§6). After 15 conflicts in 10 s, each new probe waits 5 s
// (§8.1).
//
// # Limits
//
// Hostile or broken datagrams cost bounded time and no memory: the
// responder allocates its buffers in its first Step (about 2.5 KB for
// itself, MaxPacket+1 bytes to read into and 1 KiB to write from, as
// the longest message it sends is 714 bytes) and never again. A
// malformed datagram is dropped and counted ([Stats].Malformed); nothing
// in one can make the responder panic, loop or allocate.
//
//	bound                           value        at the boundary
//	datagram size                   MaxPacket    longer: dropped as malformed (1500 bytes unless set;
//	                                             9000 at most, RFC 6762 §17)
//	datagrams read per Step         16           the rest wait for the next Step; Deadline is now
//	questions examined per message  16           later ones are not read
//	records examined per message    64           later ones are not read
//	compression pointers per name   16           more: malformed. Each must point before
//	                                             itself, so no name loops (RFC 1035 §4.1.4)
//	name length                     255 bytes    longer: malformed (RFC 1035 §3.1)
//	label length                    63 bytes     longer, or the reserved label types: malformed
//	addresses announced             16           more in Addrs: Step fails; of the interface's,
//	                                             the first 16, IPv4 first
//	messages sent per datagram read 1            so the responder amplifies no flood
//
// A message is malformed, by RFC 1035 §4.1, if a section ends before its
// count says, or bytes follow the last record; one with an opcode or
// response code other than zero is dropped too (RFC 6762 §18.3, §18.11).
//
// # Waiting for datagrams
//
// A loop that sleeps must wake when a query arrives, or the querier waits
// for the loop's next tick. With package unixsock on Linux,
// unixsock.Listener.Watch adds the socket to the HTTP server's epoll set:
// biplane.Server.Wait then returns when a datagram arrives, and the loop's
// next Step reads it, so a query is answered within microseconds while an
// idle program sleeps. Bound the wait by [Responder.Deadline] for the
// responder's own timers. A loop that cannot wake on the socket (a
// Listener with UsePoll, or a transport without readiness) steps the
// responder at its own tick, which delays each answer by up to a tick.
//
// # Transports
//
// A [PacketConn] is any non-blocking datagram socket bound to port 5353
// and joined to the group. unixsock.ListenMulticast makes one on Linux,
// for IPv4 (224.0.0.251) or IPv6 (ff02::fb); it tells the responder its
// group, and it is an [InterfaceConn], so a Responder without Addrs
// announces the interface's addresses. One Responder serves one socket:
// for both families, run two with the same Name (each probes on its own
// family; they may end with different names after conflicts).
//
// tinysock has no UDP yet: a netdev driver's UDP socket (Socket with
// SOCK_DGRAM, Bind, Recv, Send) could make a PacketConn, but netdev's
// Recv does not tell the sender, and joining a group depends on the
// driver (SetSockOpt), so that is not done. Such a PacketConn would
// return the zero AddrPort from ReadFrom, and the responder would answer
// every query by multicast.
//
// # Not done
//
// Only host names: no DNS-SD services (RFC 6763), no reverse (PTR)
// names. Queries with the TC bit (§7.2) are answered at once, without
// waiting for the rest of their known answers. A PacketConn does not say
// whether a datagram came to the group or straight to the host, so a
// query sent by unicast to port 5353 is answered as if multicast (§5.5
// asks for a unicast answer). Duplicate question and answer suppression
// (§7.3, §7.4) are not done: they only save traffic. The source address of a
// unicast query is not checked to be on the link (§11): a socket bound
// to port 5353 on every address answers a unicast query from anywhere
// the host is reachable from, as a unicast DNS server would.
// Addresses are read once, by the first Step; a change of address needs
// a new Responder.
package mdns
