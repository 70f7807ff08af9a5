//go:build !(tinygo && wasm)

// Not built by TinyGo for WebAssembly, which has no recover(): these tests
// expect panics.

package web_test

import (
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// TestCORSBadOptions: options that cannot work are refused where the
// program builds its middleware, with a panic naming the problem.
func TestCORSBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts web.CORSOptions
		want string // in the panic's message
	}{
		{"credentials with *", web.CORSOptions{Origins: []string{"*"}, Credentials: true}, "cannot allow every origin"},
		{"credentials with * beside a listed origin", web.CORSOptions{Origins: []string{"https://a.example", "*"}, Credentials: true}, "cannot allow every origin"},
		{"credentials exposing *", web.CORSOptions{Origins: []string{"https://a.example"}, ExposeHeaders: []string{"*"}, Credentials: true}, "cannot expose every header"},
		{"trailing slash", web.CORSOptions{Origins: []string{"https://a.example/"}}, `"https://a.example/" is not an origin`},
		{"a path", web.CORSOptions{Origins: []string{"https://a.example/app"}}, "is not an origin"},
		{"no scheme", web.CORSOptions{Origins: []string{"a.example"}}, "is not an origin"},
		{"empty", web.CORSOptions{Origins: []string{""}}, "is not an origin"},
		{"no host", web.CORSOptions{Origins: []string{"https://"}}, "is not an origin"},
		{"a space", web.CORSOptions{Origins: []string{"https://a.example "}}, "is not an origin"},
		{"user info", web.CORSOptions{Origins: []string{"https://u@a.example"}}, "is not an origin"},
		{"a query", web.CORSOptions{Origins: []string{"https://a.example?x"}}, "is not an origin"},
		{"scheme starting with a digit", web.CORSOptions{Origins: []string{"1http://a.example"}}, "is not an origin"},
		{"method with a space", web.CORSOptions{Methods: []string{"PU T"}}, `method "PU T" is not a token`},
		{"empty method", web.CORSOptions{Methods: []string{""}}, "is not a token"},
		{"header with a colon", web.CORSOptions{Headers: []string{"X-Token:"}}, `header name "X-Token:" is not a token`},
		{"exposed header with CRLF", web.CORSOptions{ExposeHeaders: []string{"X\r\nSet-Cookie: a=b"}}, "is not a token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.HasPrefix(s, "web: CORS") || !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one naming %q", v, tc.want)
				}
			}()
			web.CORS(tc.opts)
		})
	}
	t.Run("nil handler", func(t *testing.T) {
		defer func() {
			if v := recover(); v == nil {
				t.Errorf("no panic")
			}
		}()
		web.CORS(web.CORSOptions{})(nil)
	})
	// And these are fine: the credentials rule is about "*" only.
	web.CORS(web.CORSOptions{Origins: []string{"https://a.example", "null", "chrome-extension://abc"}, Credentials: true,
		Methods: []string{"*"}, Headers: []string{"*"}})(biplane.HandlerFunc(nil))
}
