package wasisock

import "strconv"

// An Errno is a WASI preview 1 error number, as a call returns it. The
// numbering is WASI's own, not the host system's.
type Errno uint16

// The error numbers the package tells apart (WASI preview 1, enum errno).
const (
	EAGAIN       Errno = 6
	EBADF        Errno = 8
	ECONNABORTED Errno = 13
	ECONNRESET   Errno = 15
	EINTR        Errno = 27
	EINVAL       Errno = 28
	EMFILE       Errno = 33
	ENFILE       Errno = 41
	ENOBUFS      Errno = 42
	ENOMEM       Errno = 48
	ENOSYS       Errno = 52
	ENOTCONN     Errno = 53
	ENOTSUP      Errno = 58
	EPIPE        Errno = 64
	ENOTCAPABLE  Errno = 76
)

// Error returns the errno's name, such as "EPIPE", or its number.
func (e Errno) Error() string {
	switch e {
	case EAGAIN:
		return "EAGAIN"
	case EBADF:
		return "EBADF"
	case ECONNABORTED:
		return "ECONNABORTED"
	case ECONNRESET:
		return "ECONNRESET"
	case EINTR:
		return "EINTR"
	case EINVAL:
		return "EINVAL"
	case EMFILE:
		return "EMFILE"
	case ENFILE:
		return "ENFILE"
	case ENOBUFS:
		return "ENOBUFS"
	case ENOMEM:
		return "ENOMEM"
	case ENOSYS:
		return "ENOSYS"
	case ENOTCONN:
		return "ENOTCONN"
	case ENOTSUP:
		return "ENOTSUP"
	case EPIPE:
		return "EPIPE"
	case ENOTCAPABLE:
		return "ENOTCAPABLE"
	}
	return "errno " + strconv.Itoa(int(e))
}

// Temporary reports whether e is a shortage that may pass once some
// connections have closed: out of descriptors, buffers or memory. The
// server retries an Accept that failed with such an error a little later.
func (e Errno) Temporary() bool {
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM
}

// An Error is a failed WASI call.
type Error struct {
	Op    string // the call, such as "sock_recv"
	FD    uint32 // the descriptor it was made on
	Errno Errno
}

func (e *Error) Error() string {
	return "wasisock: " + e.Op + " on fd " + strconv.Itoa(int(e.FD)) + ": " + e.Errno.Error()
}

// Unwrap returns the [Errno], so that errors.Is(err, wasisock.EPIPE) works.
func (e *Error) Unwrap() error { return e.Errno }

// Temporary reports whether the errno is temporary; see [Errno.Temporary].
func (e *Error) Temporary() bool { return e.Errno.Temporary() }
