package web_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

type item struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

var jsonCases = []struct {
	name   string
	ct     string
	body   string
	dec    web.JSONDecoder
	want   item
	status int // 0: no error
	reason string
	cause  any // a pointer to the type the *Error must wrap, if any
}{
	{name: "object", ct: "application/json", body: `{"name":"x","n":1}`, want: item{"x", 1}},
	{name: "charset parameter and case", ct: "Application/JSON; charset=utf-8", body: `{"n":2}`, want: item{N: 2}},
	{name: "+json suffix (RFC 6839 §3.1)", ct: "application/problem+json", body: `{"n":3}`, want: item{N: 3}},
	{name: "vendor +json", ct: "application/vnd.api+JSON", body: `{"n":4}`, want: item{N: 4}},
	{name: "whitespace around the value", ct: "application/json", body: " \r\n\t{\"n\":5}\n\n ", want: item{N: 5}},
	{name: "unknown field ignored by default", ct: "application/json", body: `{"n":6,"x":true}`, want: item{N: 6}},
	{name: "text/plain: 415", ct: "text/plain", body: `{}`, status: 415, reason: `Content-Type "text/plain" is not JSON`},
	{name: "no Content-Type: 415", body: `{}`, status: 415},
	{name: "text/json is not JSON's type: 415", ct: "text/json", body: `{}`, status: 415},
	{name: "application/jsonx: 415", ct: "application/jsonx", body: `{}`, status: 415},
	{name: "suffix without a name: 415", ct: "application/+json", body: `{}`, status: 415},
	{name: "empty body: 400", ct: "application/json", body: "", status: 400, reason: "empty JSON body"},
	{name: "whitespace only: 400", ct: "application/json", body: "  \n", status: 400, reason: "empty JSON body"},
	{name: "syntax error: 400", ct: "application/json", body: `{"n":}`, status: 400, reason: "invalid JSON body",
		cause: new(*json.SyntaxError)},
	{name: "truncated: 400", ct: "application/json", body: `{"n":1`, status: 400, reason: "invalid JSON body"},
	{name: "wrong type: 400", ct: "application/json", body: `{"n":"one"}`, status: 400, reason: "invalid JSON body",
		cause: new(*json.UnmarshalTypeError)},
	{name: "unknown field when disallowed: 400", ct: "application/json", body: `{"n":1,"x":true}`,
		dec: web.JSONDecoder{DisallowUnknownFields: true}, status: 400, reason: "invalid JSON body"},
	{name: "two values: 400", ct: "application/json", body: `{} {}`, status: 400, reason: "more after its value"},
	{name: "trailing garbage: 400", ct: "application/json", body: `{"n":1}x`, status: 400, reason: "more after its value"},
	{name: "at MaxBytes", ct: "application/json", body: `{"n":12345}`, dec: web.JSONDecoder{MaxBytes: 11}, want: item{N: 12345}},
	{name: "over MaxBytes: 413", ct: "application/json", body: `{"n":123456}`, dec: web.JSONDecoder{MaxBytes: 11},
		status: 413, reason: "12 bytes is over the limit of 11"},
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			withRequest(t, post("/", tc.ct, tc.body), func(r *biplane.Request) {
				var got item
				var err error
				if tc.dec == (web.JSONDecoder{}) {
					err = web.DecodeJSON(r, &got)
				} else {
					err = tc.dec.Decode(r, &got)
				}
				if tc.status == 0 {
					if err != nil || got != tc.want {
						t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
					}
					return
				}
				var e *web.Error
				if !errors.As(err, &e) || e.Status != tc.status || !strings.Contains(e.Reason, tc.reason) {
					t.Fatalf("error %v, want status %d with %q", err, tc.status, tc.reason)
				}
				if tc.cause != nil && !errors.As(err, tc.cause) {
					t.Errorf("error %v does not wrap a %T", err, tc.cause)
				}
			})
		})
	}
}

func TestJSON(t *testing.T) {
	cases := []struct {
		status     int
		v          any
		wantStatus int
		ct, body   string
	}{
		{201, item{"x", 1}, 201, "application/json", "{\"name\":\"x\",\"n\":1}\n"},
		{200, []int{1, 2}, 200, "application/json", "[1,2]\n"},
		{200, "<script>", 200, "application/json", "\"\\u003cscript\\u003e\"\n"},
		{200, nil, 200, "application/json", "null\n"},
	}
	for _, tc := range cases {
		resp := web.JSON(tc.status, tc.v)
		if resp.Status != tc.wantStatus || resp.ContentType != tc.ct || string(resp.Body) != tc.body {
			t.Errorf("JSON(%d, %T): got %d %q %q, want %d %q %q", tc.status, tc.v,
				resp.Status, resp.ContentType, resp.Body, tc.wantStatus, tc.ct, tc.body)
		}
	}
}
