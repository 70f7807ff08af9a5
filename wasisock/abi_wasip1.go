//go:build wasip1

package wasisock

import (
	"runtime"
	"unsafe"
)

// The WASI preview 1 calls the package makes, imported from the host. Only
// int32-sized values and unsafe.Pointer cross the boundary, which both Go
// (GOOS=wasip1) and TinyGo accept in a //go:wasmimport signature. Each
// returns an errno (0 for success).

//go:wasmimport wasi_snapshot_preview1 sock_accept
func wasiSockAccept(fd, flags uint32, newFD unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 sock_recv
func wasiSockRecv(fd uint32, iovs unsafe.Pointer, iovsLen, riFlags uint32, nread, roFlags unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 sock_send
func wasiSockSend(fd uint32, iovs unsafe.Pointer, iovsLen, siFlags uint32, nwritten unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 sock_shutdown
func wasiSockShutdown(fd, how uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_close
func wasiFdClose(fd uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_get
func wasiFdFdstatGet(fd uint32, stat unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_fdstat_set_flags
func wasiFdFdstatSetFlags(fd, flags uint32) uint32

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func wasiPollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

// abi is scratch memory for the calls' vectors and results. One is enough:
// a WebAssembly module runs on one thread, and nothing yields inside a host
// call, so no two calls overlap. Keeping it here rather than on the stack
// means that no call allocates, whatever escape analysis decides.
var abi struct {
	iov   [2]uint32 // one ciovec/iovec: buffer address, length
	n     uint32    // bytes moved, or the new descriptor
	flags uint32    // roflags
	stat  [3]uint64 // fdstat: filetype u8, flags u16 at byte 2, rights
}

// ptr32 is the linear-memory address of p's first byte: wasm32 addresses
// fit in 32 bits (uintptr is 64 bits wide under Go's GOARCH=wasm).
func ptr32(p []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(p)))) }

func sockAccept(fd uint32, flags uint16) (uint32, Errno) {
	e := wasiSockAccept(fd, uint32(flags), unsafe.Pointer(&abi.n))
	return abi.n, Errno(e)
}

func sockRecv(fd uint32, p []byte) (int, Errno) {
	abi.iov = [2]uint32{ptr32(p), uint32(len(p))}
	abi.n = 0
	e := wasiSockRecv(fd, unsafe.Pointer(&abi.iov), 1, 0, unsafe.Pointer(&abi.n), unsafe.Pointer(&abi.flags))
	runtime.KeepAlive(p)
	return int(abi.n), Errno(e)
}

func sockSend(fd uint32, p []byte) (int, Errno) {
	abi.iov = [2]uint32{ptr32(p), uint32(len(p))}
	abi.n = 0
	e := wasiSockSend(fd, unsafe.Pointer(&abi.iov), 1, 0, unsafe.Pointer(&abi.n))
	runtime.KeepAlive(p)
	return int(abi.n), Errno(e)
}

func sockShutdown(fd uint32, how uint8) Errno { return Errno(wasiSockShutdown(fd, uint32(how))) }

func fdClose(fd uint32) Errno { return Errno(wasiFdClose(fd)) }

func fdFdstatGet(fd uint32) (filetype uint8, flags uint16, _ Errno) {
	e := wasiFdFdstatGet(fd, unsafe.Pointer(&abi.stat))
	return uint8(abi.stat[0]), uint16(abi.stat[0] >> 16), Errno(e)
}

func fdFdstatSetFlags(fd uint32, flags uint16) Errno {
	return Errno(wasiFdFdstatSetFlags(fd, uint32(flags)))
}

func pollOneoff(in []subscription, out []event) (int, Errno) {
	abi.n = 0
	e := wasiPollOneoff(unsafe.Pointer(unsafe.SliceData(in)), unsafe.Pointer(unsafe.SliceData(out)),
		uint32(len(in)), unsafe.Pointer(&abi.n))
	runtime.KeepAlive(in)
	runtime.KeepAlive(out)
	return int(abi.n), Errno(e)
}
