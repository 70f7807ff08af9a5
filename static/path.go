package static

import "io/fs"

// Outcomes of cleanPath other than a name.
const (
	pathOK     = 0
	pathBad    = 400 // cannot name a file: refused
	pathHidden = 404 // names a dotfile, which is not served
)

// hasEncodedSlash reports whether the raw path holds %2F, an encoded
// slash. Decoded, it would join two segments into one name, or split one
// into two, so the path's segments as the client and any proxy saw them
// would not be the names opened.
func hasEncodedSlash(raw []byte) bool {
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] == '%' && raw[i+1] == '2' && (raw[i+2] == 'f' || raw[i+2] == 'F') {
			return true
		}
	}
	return false
}

// cleanPath turns p, a decoded request path starting with "/" (the
// server's Prefix already removed), into a name for an [fs.FS]. dir says p
// ended in "/", naming a directory. The name is "." for the root.
//
// Paths are refused (pathBad), never cleaned, so that one file has one
// path and no spelling can climb out of the root: a path that is not "/"
// followed by a name [fs.ValidPath] accepts, with an optional final "/",
// is refused. That refuses "..", "." and empty segments ("//") and
// invalid UTF-8. So are backslashes (a separator on Windows, and in
// some proxies' eyes), NUL and the other control bytes (which some file
// systems treat as ends of names). Unless dotfiles is set, a name with a
// segment starting with "." is pathHidden.
func cleanPath(p []byte, dotfiles bool) (name string, dir bool, status int) {
	if len(p) == 0 || p[0] != '/' {
		return "", false, pathBad
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", false, pathBad
		}
	}
	if len(p) == 1 {
		return ".", true, pathOK
	}
	b := p[1:]
	if b[len(b)-1] == '/' {
		dir = true
		b = b[:len(b)-1]
	}
	name = string(b)
	if name == "." || !fs.ValidPath(name) {
		return "", false, pathBad
	}
	if !dotfiles {
		for i := 0; i < len(name); i++ {
			if name[i] == '.' && (i == 0 || name[i-1] == '/') {
				return "", false, pathHidden
			}
		}
	}
	return name, dir, pathOK
}
