// floor: the least an HTTP/1.1 server can cost on this kernel path. One
// thread, epoll, non-blocking sockets; it does no parsing: it counts the
// ends of request heads ("\r\n\r\n") in what arrives and writes a canned
// response for each, all of a read's responses in one write (so pipelined
// requests are answered together), and closes after a response to a head
// that says "Connection: close". The response is the bytes biplane's
// examples/hello sends, with a fixed Date.
//
// Given a file, it answers every head with that file instead: a canned
// head (its Content-Length, Content-Type image/jpeg) sent with MSG_MORE,
// then the file's bytes with one sendfile(2) for all that the socket
// takes, resumed when epoll reports the socket writable again. That is the
// least a static file can cost, beside the file servers of the static
// phase.
//
//	floor [host:port] [file]        (default 127.0.0.1:8080)
//
// It exits on SIGTERM or SIGINT. A benchmark peer, not a server: it
// ignores bodies and trusts its clients.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char resp[] =
	"HTTP/1.1 200 OK\r\n"
	"Date: Sun, 06 Dec 2026 10:00:00 GMT\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"Content-Length: 20\r\n"
	"\r\n"
	"<b>Hello, world!</b>";
#define RESP_LEN (sizeof resp - 1)

enum { MAXFD = 1 << 17, RBUF = 16384, WBUF = 64 * RESP_LEN };

// Per connection: how many bytes of "\r\n\r\n" the last read ended in
// (0-3), and of "Connection: close" matched so far in the current head.
static unsigned char tail[MAXFD], closing[MAXFD];
static volatile sig_atomic_t stop;

// File mode: the file, its canned head, and per connection the responses
// owed (heads counted but not yet answered whole), the bytes of the first
// of them sent so far, and whether the last head owed asked to close.
static int file = -1;
static off_t file_size;
static char file_head[128];
static size_t file_head_len;
static unsigned owed[MAXFD];
static off_t sent[MAXFD];
static unsigned char close_after[MAXFD];

static void on_signal(int sig) { (void)sig; stop = 1; }

static void die(const char *what) {
	perror(what);
	exit(1);
}

// scan counts the request heads that in[0, n) completes on fd, carrying
// the partial matches of "\r\n\r\n" and "Connection: close" from one read
// to the next. It stops after a head that asks to close, and sets *done.
static size_t scan(int fd, const char *in, ssize_t n, int *done) {
	static const char crlf2[] = "\r\n\r\n", cc[] = "Connection: close";
	size_t heads = 0;
	int t = tail[fd], c = closing[fd];
	for (ssize_t i = 0; i < n; i++) {
		char b = in[i];
		t = b == crlf2[t] ? t + 1 : (b == '\r' ? 1 : 0);
		if (c < (int)sizeof cc - 1)
			c = b == cc[c] ? c + 1 : (b == 'C' ? 1 : 0);
		if (t == 4) {
			heads++;
			t = 0;
			if (c == (int)sizeof cc - 1) {
				*done = 1;
				break;
			}
			c = 0;
		}
	}
	tail[fd] = t;
	closing[fd] = c;
	return heads;
}

// serve reads what fd has and answers the heads it completes. It returns
// -1 once fd should be closed.
static int serve(int fd) {
	static char in[RBUF], out[WBUF];
	for (;;) {
		ssize_t n = read(fd, in, sizeof in);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		int done = 0;
		size_t heads = scan(fd, in, n, &done);
		while (heads > 0) {
			size_t w = 0;
			for (; heads > 0 && w + RESP_LEN <= sizeof out; heads--) {
				memcpy(out + w, resp, RESP_LEN);
				w += RESP_LEN;
			}
			if (write(fd, out, w) != (ssize_t)w)
				return -1; // a client that cannot take a response in one write is not this benchmark's
		}
		if (done)
			return -1;
		if (n < (ssize_t)sizeof in)
			return 0;
	}
}

// serve_file reads what fd has, counting heads, and sends the responses
// owed until the socket's buffer is full. It returns -1 once fd should be
// closed.
static int serve_file(int fd) {
	static char in[RBUF];
	while (!close_after[fd]) {
		ssize_t n = read(fd, in, sizeof in);
		if (n == 0)
			return owed[fd] ? 0 : -1; // answer what was asked, then close
		if (n < 0) {
			if (errno != EAGAIN)
				return -1;
			break;
		}
		int done = 0;
		owed[fd] += scan(fd, in, n, &done);
		close_after[fd] = done;
		if (n < (ssize_t)sizeof in)
			break;
	}
	while (owed[fd] > 0) {
		off_t s = sent[fd];
		ssize_t m;
		if (s < (off_t)file_head_len) {
			m = send(fd, file_head + s, file_head_len - s, MSG_MORE | MSG_NOSIGNAL);
		} else {
			off_t off = s - file_head_len;
			m = sendfile(fd, file, &off, file_size - off);
		}
		if (m < 0)
			return errno == EAGAIN ? 0 : -1;
		sent[fd] += m;
		if (sent[fd] == (off_t)file_head_len + file_size) {
			sent[fd] = 0;
			owed[fd]--;
		}
	}
	return close_after[fd] && owed[fd] == 0 ? -1 : 0;
}

int main(int argc, char **argv) {
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8080";
	char host[64];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host) {
		fprintf(stderr, "floor: bad address %s\n", addr);
		return 2;
	}
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "floor: bad host %s\n", host);
		return 2;
	}
	if (argc > 2) {
		struct stat st;
		if ((file = open(argv[2], O_RDONLY | O_CLOEXEC)) < 0 || fstat(file, &st) < 0)
			die(argv[2]);
		file_size = st.st_size;
		file_head_len = snprintf(file_head, sizeof file_head,
			"HTTP/1.1 200 OK\r\nDate: Sun, 06 Dec 2026 10:00:00 GMT\r\n"
			"Content-Type: image/jpeg\r\nContent-Length: %lld\r\n\r\n",
			(long long)file_size);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	int ln = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (ln < 0 || setsockopt(ln, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die("socket");
	if (bind(ln, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ln, 4096) < 0)
		die("bind");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ln};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ln, &ev) < 0)
		die("epoll");
	printf("floor: serving on http://%s/\n", addr);
	fflush(stdout);

	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ln) {
				int c;
				while ((c = accept4(ln, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (c >= MAXFD) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					tail[c] = closing[c] = close_after[c] = 0;
					owed[c] = 0;
					sent[c] = 0;
					struct epoll_event cev = {.events = EPOLLIN | EPOLLET, .data.fd = c};
					if (file >= 0)
						cev.events |= EPOLLOUT;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			if ((file >= 0 ? serve_file(fd) : serve(fd)) < 0)
				close(fd); // also leaves the epoll set
		}
	}
	return 0;
}
