//go:build !unix || baremetal

package static

import "io/fs"

// A fileID would tell one file from another; without one, files are not
// kept open between requests.
type fileID struct{}

func statID(fs.FileInfo) (fileID, bool) { return fileID{}, false }
