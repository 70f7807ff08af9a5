//go:build linux && !arm

package main

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing n bytes of f from off
// to the disk, and returns without waiting for it (sync_file_range(2)
// with SYNC_FILE_RANGE_WRITE). It is only a hint, so its error is of no
// interest: the fsync at the end is what makes the file durable.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
}
