//go:build unix && !baremetal

package static

import (
	"io/fs"
	"syscall"
)

// A fileID tells one file from another on the same system: its device
// and inode, which a file replaced under the same name does not keep.
type fileID struct{ dev, ino uint64 }

// statID returns the identity of the file fi describes, if fi is the
// operating system's.
func statID(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}
