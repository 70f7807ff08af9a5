//go:build !wasip1

package wasisock

// Outside WASI the calls go to host, which the package's tests replace
// with a fake runtime; by default every call fails with ENOSYS, so
// [Listen] reports that there is no WASI runtime.
var host hostCalls = noHost{}

// hostCalls is the WASI preview 1 surface the package uses, one method per
// call, in the shape of the wrappers in abi_wasip1.go.
type hostCalls interface {
	sockAccept(fd uint32, flags uint16) (uint32, Errno)
	sockRecv(fd uint32, p []byte) (int, Errno)
	sockSend(fd uint32, p []byte) (int, Errno)
	sockShutdown(fd uint32, how uint8) Errno
	fdClose(fd uint32) Errno
	fdFdstatGet(fd uint32) (filetype uint8, flags uint16, _ Errno)
	fdFdstatSetFlags(fd uint32, flags uint16) Errno
	pollOneoff(in []subscription, out []event) (int, Errno)
}

type noHost struct{}

func (noHost) sockAccept(uint32, uint16) (uint32, Errno)       { return 0, ENOSYS }
func (noHost) sockRecv(uint32, []byte) (int, Errno)            { return 0, ENOSYS }
func (noHost) sockSend(uint32, []byte) (int, Errno)            { return 0, ENOSYS }
func (noHost) sockShutdown(uint32, uint8) Errno                { return ENOSYS }
func (noHost) fdClose(uint32) Errno                            { return ENOSYS }
func (noHost) fdFdstatGet(uint32) (uint8, uint16, Errno)       { return 0, 0, ENOSYS }
func (noHost) fdFdstatSetFlags(uint32, uint16) Errno           { return ENOSYS }
func (noHost) pollOneoff([]subscription, []event) (int, Errno) { return 0, ENOSYS }

func sockAccept(fd uint32, flags uint16) (uint32, Errno) { return host.sockAccept(fd, flags) }
func sockRecv(fd uint32, p []byte) (int, Errno)          { return host.sockRecv(fd, p) }
func sockSend(fd uint32, p []byte) (int, Errno)          { return host.sockSend(fd, p) }
func sockShutdown(fd uint32, how uint8) Errno            { return host.sockShutdown(fd, how) }
func fdClose(fd uint32) Errno                            { return host.fdClose(fd) }
func fdFdstatGet(fd uint32) (uint8, uint16, Errno)       { return host.fdFdstatGet(fd) }
func fdFdstatSetFlags(fd uint32, flags uint16) Errno     { return host.fdFdstatSetFlags(fd, flags) }
func pollOneoff(in []subscription, out []event) (int, Errno) {
	return host.pollOneoff(in, out)
}
