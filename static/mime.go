package static

// types maps lowercase file extensions, without the dot, to media types.
// It is a small table rather than package mime so that TinyGo builds stay
// small and the answer does not depend on the host's /etc/mime.types.
// text/* types carry charset=utf-8, the encoding a browser should assume
// for them (RFC 9110 §8.3.2 leaves the default to the media type).
var types = map[string]string{
	"avif":        "image/avif",
	"css":         "text/css; charset=utf-8",
	"csv":         "text/csv; charset=utf-8",
	"gif":         "image/gif",
	"gz":          "application/gzip",
	"htm":         "text/html; charset=utf-8",
	"html":        "text/html; charset=utf-8",
	"ico":         "image/x-icon",
	"jpeg":        "image/jpeg",
	"jpg":         "image/jpeg",
	"js":          "text/javascript; charset=utf-8", // RFC 9239 §6
	"json":        "application/json",               // RFC 8259 §11: no charset parameter
	"map":         "application/json",               // source maps
	"md":          "text/markdown; charset=utf-8",
	"mjs":         "text/javascript; charset=utf-8",
	"mp3":         "audio/mpeg",
	"mp4":         "video/mp4",
	"otf":         "font/otf",
	"pdf":         "application/pdf",
	"png":         "image/png",
	"svg":         "image/svg+xml",
	"tar":         "application/x-tar",
	"ttf":         "font/ttf",
	"txt":         "text/plain; charset=utf-8",
	"wasm":        "application/wasm",
	"wav":         "audio/wav",
	"webm":        "video/webm",
	"webmanifest": "application/manifest+json",
	"webp":        "image/webp",
	"woff":        "font/woff",
	"woff2":       "font/woff2",
	"xml":         "text/xml; charset=utf-8",
	"zip":         "application/zip",
}

// defaultType is the type of a file whose extension is not in the table:
// RFC 9110 §8.3 lets a recipient treat unknown content as opaque data.
const defaultType = "application/octet-stream"

// TypeByExtension returns the media type for the extension of name (the
// part after its last dot, compared without regard to case), as
// [Server] sends it in Content-Type: text types with "; charset=utf-8".
// An unknown or missing extension gives "application/octet-stream".
//
// The table covers the web's common types: html, css, js, mjs, json, map,
// svg, png, jpg, jpeg, gif, webp, avif, ico, txt, md, csv, xml, pdf, wasm,
// woff, woff2, ttf, otf, mp4, webm, mp3, wav, gz, zip, tar, webmanifest.
// [Server].Types adds to it or overrides it.
func TypeByExtension(name string) string {
	if t, ok := types[extension(name)]; ok {
		return t
	}
	return defaultType
}

// extension returns name's extension without the dot, in lowercase. It
// allocates only for an extension with upper-case letters.
func extension(name string) string {
	i := len(name) - 1
	for i >= 0 && name[i] != '.' && name[i] != '/' {
		i--
	}
	if i < 0 || name[i] != '.' {
		return ""
	}
	ext := name[i+1:]
	for j := 0; j < len(ext); j++ {
		if c := ext[j]; 'A' <= c && c <= 'Z' {
			b := []byte(ext)
			for k, c := range b {
				if 'A' <= c && c <= 'Z' {
					b[k] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return ext
}
