//go:build !(tinygo && wasm)

// Not built by TinyGo for WebAssembly, which has no recover(): these tests
// expect panics, and encoding/json reports encoding errors by panicking
// and recovering inside.

package web_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/biplane-go/biplane/web"
)

func TestRedirectBadStatus(t *testing.T) {
	for _, status := range []int{0, 200, 300, 304, 305, 306, 309, 404} {
		func() {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.HasPrefix(s, "web: Redirect with status "+fmt.Sprint(status)) {
					t.Errorf("Redirect(%d): panic %v, want one naming the status", status, v)
				}
			}()
			web.Redirect(status, "/")
		}()
	}
}

func TestBasicAuthBadRealm(t *testing.T) {
	defer func() {
		if v := recover(); v == nil {
			t.Error("no panic for a realm with CR LF")
		}
	}()
	web.BasicAuth("a\r\nb", web.CheckUser("u", "p"), nil)
}

// TestJSONUnencodable: a value encoding/json refuses gets a plain 500.
func TestJSONUnencodable(t *testing.T) {
	for _, v := range []any{make(chan int), math.Inf(1), func() {}} {
		resp := web.JSON(200, v)
		if resp.Status != 500 || resp.ContentType != "text/plain; charset=utf-8" || string(resp.Body) != "500 Internal Server Error\n" {
			t.Errorf("JSON(200, %T): %d %q %q", v, resp.Status, resp.ContentType, resp.Body)
		}
	}
}
