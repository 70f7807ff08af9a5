package web_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

const formType = "application/x-www-form-urlencoded"

var formCases = []struct {
	name     string
	raw      string
	maxBytes int
	form     url.Values // ParseForm's, when status is 0
	post     url.Values // PostForm's, when status is 0
	status   int        // the *web.Error's status, if any
	reason   string     // in its reason
}{
	{name: "query only, no body", raw: "GET /?a=1&b=2&a=3 HTTP/1.1\r\nHost: h\r\n\r\n",
		form: url.Values{"a": {"1", "3"}, "b": {"2"}}, post: url.Values{}},
	{name: "body values first, then the query", raw: post("/?x=q&a=1", formType, "x=1&y=2&x=3"),
		form: url.Values{"x": {"1", "3", "q"}, "y": {"2"}, "a": {"1"}}, post: url.Values{"x": {"1", "3"}, "y": {"2"}}},
	{name: "plus and percent decoding", raw: post("/", formType, "q=a+b%20c&e=%C3%A9"),
		form: url.Values{"q": {"a b c"}, "e": {"é"}}, post: url.Values{"q": {"a b c"}, "e": {"é"}}},
	{name: "media type in any case, with parameters (RFC 9110 §8.3.1)",
		raw:  post("/", "Application/X-WWW-Form-URLEncoded ; charset=UTF-8", "k=v"),
		form: url.Values{"k": {"v"}}, post: url.Values{"k": {"v"}}},
	{name: "empty body with another Content-Type", raw: post("/", "text/plain", ""),
		form: url.Values{}, post: url.Values{}},
	{name: "empty values and keys", raw: post("/", formType, "a=&=b&c"),
		form: url.Values{"a": {""}, "": {"b"}, "c": {""}}, post: url.Values{"a": {""}, "": {"b"}, "c": {""}}},
	{name: "at the bound", raw: post("/", formType, "a=45678901"), maxBytes: 10,
		form: url.Values{"a": {"45678901"}}, post: url.Values{"a": {"45678901"}}},
	{name: "over the bound: 413 (RFC 9110 §15.5.14)", raw: post("/", formType, "a=456789012"), maxBytes: 10,
		status: 413, reason: "11 bytes is over the limit of 10"},
	{name: "text/plain: 415 (RFC 9110 §15.5.16)", raw: post("/", "text/plain", "a=1"),
		status: 415, reason: `Content-Type "text/plain"`},
	{name: "no Content-Type: 415", raw: post("/", "", "a=1"),
		status: 415, reason: `Content-Type ""`},
	{name: "multipart: 415, not supported", raw: post("/", "multipart/form-data; boundary=x", "--x--"),
		status: 415, reason: "multipart/form-data is not supported"},
	{name: "JSON is not a form", raw: post("/", "application/json", `{"a":1}`),
		status: 415},
	{name: "bad escape: 400", raw: post("/", formType, "a=%zz"),
		status: 400, reason: "malformed form body"},
	{name: "semicolon separator: 400", raw: post("/", formType, "a=1;b=2"),
		status: 400, reason: "malformed form body"},
}

func TestForm(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			withRequest(t, tc.raw, func(r *biplane.Request) {
				form, ferr := web.ParseForm(r, tc.maxBytes)
				post, perr := web.PostForm(r, tc.maxBytes)
				if tc.status != 0 {
					for _, err := range []error{ferr, perr} {
						var e *web.Error
						if !errors.As(err, &e) || e.Status != tc.status || !strings.Contains(e.Reason, tc.reason) {
							t.Errorf("error %v, want status %d with %q", err, tc.status, tc.reason)
						}
					}
					return
				}
				if ferr != nil || perr != nil {
					t.Fatalf("errors %v, %v", ferr, perr)
				}
				if !reflect.DeepEqual(form, tc.form) {
					t.Errorf("ParseForm %v, want %v", form, tc.form)
				}
				if !reflect.DeepEqual(post, tc.post) {
					t.Errorf("PostForm %v, want %v", post, tc.post)
				}
			})
		})
	}
}

// TestFormBadQuery: the core refuses bad %-escapes in the target, but
// net/url also refuses ";" as a separator.
func TestFormBadQuery(t *testing.T) {
	withRequest(t, "GET /?a=1;b=2 HTTP/1.1\r\nHost: h\r\n\r\n", func(r *biplane.Request) {
		_, err := web.ParseForm(r, 0)
		var e *web.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Reason != "malformed query" {
			t.Errorf("error %v, want 400 malformed query", err)
		}
	})
}

func TestErrorResponse(t *testing.T) {
	err := error(&web.Error{Status: 415, Reason: `Content-Type "text/plain" is not JSON`})
	resp := web.ErrorResponse(err)
	if resp.Status != 415 || string(resp.Body) != "415 Unsupported Media Type: Content-Type \"text/plain\" is not JSON\n" ||
		resp.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("got %d %q %q", resp.Status, resp.ContentType, resp.Body)
	}
	resp = web.ErrorResponse(errors.New("database password is hunter2"))
	if resp.Status != 500 || strings.Contains(string(resp.Body), "hunter2") {
		t.Errorf("other error: %d %q", resp.Status, resp.Body)
	}
	wrapped := &web.Error{Status: 400, Reason: "invalid JSON body", Err: errors.New("unexpected end")}
	if got := wrapped.Error(); got != "web: 400 invalid JSON body: unexpected end" {
		t.Errorf("Error() = %q", got)
	}
	if resp = web.ErrorResponse(wrapped); string(resp.Body) != "400 Bad Request: invalid JSON body: unexpected end\n" {
		t.Errorf("wrapped: %q", resp.Body)
	}
}
