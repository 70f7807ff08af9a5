// Package unixsock is a biplane transport over non-blocking Unix sockets,
// made with the syscall package alone: no net, no netpoller, no goroutines.
//
// [Listen] opens a TCP or Unix-domain listening socket and returns a
// [Listener], which implements [biplane.Listener], [biplane.Waiter],
// [biplane.Waker] and [biplane.AcceptCloser]; the [Conn] values it accepts
// implement [biplane.Conn] and [biplane.CloseWriter]. A Listener and the
// connections it accepted belong to one loop: they keep no locks, so use
// them from one goroutine at a time. The exception is [Listener.Wake], which
// any goroutine may call. To spread connections over several loops, give
// each loop its own Listener on the same port with [Config.ReusePort].
//
// # Non-blocking operations
//
// Every socket is in non-blocking mode. Accept, Read and Write return
// [biplane.ErrWouldBlock] instead of waiting; Read returns io.EOF once the
// peer has finished sending; Write returns the count it wrote together with
// ErrWouldBlock when the kernel's send buffer is full. Nothing here sends
// SIGPIPE to the process when the peer has gone: writes fail with EPIPE.
//
// # Waiting
//
// [Listener.Wait] blocks until the listener or one of its connections is
// ready. Like epoll's EPOLLET mode, which it uses on Linux, it is
// edge-triggered: a connection is reported once when it becomes readable,
// writable or closed, and again only after a Read or Write on it returned
// ErrWouldBlock and it became ready anew. Likewise the listener is reported
// again only after Accept returned ErrWouldBlock. So the owner of a reported
// connection reads (or writes) until ErrWouldBlock, or else remembers that
// the connection still has work. Spurious reports happen, for instance, with
// epoll, once for every new connection; they are harmless: the Read returns
// ErrWouldBlock.
//
// A closed connection is never reported again, even if its descriptor number
// is reused by a newer connection (which may then be reported spuriously).
//
// [Listener.Wake], called from another goroutine (a signal handler, say),
// makes a blocked Wait return early: it writes to an eventfd on Linux, or a
// pipe elsewhere, that Wait watches beside the sockets and drains.
//
// To shut down gracefully, call [Listener.CloseAccept]: the listening socket
// closes, so new connections are refused, while Wait, Read and Write go on
// serving the connections already accepted until [Listener.Close].
//
// Timeouts have microsecond resolution on Linux 5.11 and later
// (epoll_pwait2); elsewhere they are rounded up to the next millisecond, so
// that a loop never wakes before its deadline and spins.
//
// # Platforms
//
// Linux is the main target: it waits with epoll, or with ppoll(2) when
// [Config.UsePoll] is set. Darwin, FreeBSD, NetBSD and DragonFly BSD wait with
// poll(2), each Wait costing time in proportion to the open connections;
// the edge-triggered contract is emulated by polling only for the events a
// connection last hit ErrWouldBlock on. On Darwin, accepted
// sockets have SO_NOSIGPIPE set in place of MSG_NOSIGNAL. OpenBSD is not
// supported: since 7.5 it no longer has the syscall(2) entry point through
// which the poll(2) wait is made. The package is empty on other systems.
//
// # Multicast UDP
//
// On Linux, [ListenMulticast] opens a non-blocking UDP socket joined to a
// multicast group on one interface, for package mdns; [Listener.Watch]
// makes Wait wake when a datagram arrives on it. Elsewhere it returns an
// error.
package unixsock
