//go:build !tinygo

// Not built by TinyGo: its os package has no Root.

package static_test

import (
	"os"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/static"
)

// Serving a directory of the file system. The FS of an os.Root, unlike
// os.DirFS, does not follow symbolic links out of the directory.
func Example_directory() {
	root, err := os.OpenRoot(".")
	if err != nil {
		panic(err)
	}
	defer root.Close()
	// Clients revalidate each time (with If-None-Match, answered 304
	// while the file is unchanged).
	files := &static.Server{FS: root.FS(), CacheControl: "no-cache"}
	_ = &biplane.Server{Handler: files} // and a Listener, as in the other examples
}
