package clf

import (
	"bytes"
	"net/netip"
	"regexp"
	"testing"

	"github.com/biplane-go/biplane"
)

func TestLog(t *testing.T) {
	var out bytes.Buffer
	l := New(&out)
	l.Log(&biplane.ResponseInfo{Method: []byte("GET"), Target: []byte("/x?y"), Proto: "HTTP/1.1", Status: 200, Bytes: 62,
		Remote: netip.MustParseAddrPort("127.0.0.1:5000")})
	l.Log(&biplane.ResponseInfo{Status: 503, Bytes: 120})
	want := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /x\?y HTTP/1\.1" 200 62\n` +
		`- - - \[[^]]+\] "-" 503 120\n$`)
	if !want.Match(out.Bytes()) {
		t.Fatalf("got %q", out.String())
	}
	if allocs := testing.AllocsPerRun(100, func() { l.Log(&biplane.ResponseInfo{Status: 200}) }); allocs != 0 {
		t.Errorf("%v allocations a line, want 0", allocs)
	}
}
