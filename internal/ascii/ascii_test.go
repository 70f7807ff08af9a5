package ascii

import (
	"slices"
	"testing"
)

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		b, lower string
		want     bool
	}{
		{"Keep-Alive", "keep-alive", true},
		{"CHUNKED", "chunked", true},
		{"chunked", "chunke", false},
		{"chunkeD ", "chunked", false},
		{"\u017fec", "sec", false}, // ſ is no s: folding is ASCII only
		{"", "", true},
	} {
		if got := EqualFold(tc.b, tc.lower); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.b, tc.lower, got, tc.want)
		}
		if got := EqualFold([]byte(tc.b), tc.lower); got != tc.want {
			t.Errorf("EqualFold([]byte(%q), %q) = %v, want %v", tc.b, tc.lower, got, tc.want)
		}
	}
	if !EqualFoldBoth("upgrade", "Upgrade") || EqualFoldBoth("upgrades", "Upgrade") {
		t.Error("EqualFoldBoth compares wrongly")
	}
}

func TestElements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{" a ,\tb\t, , c,", []string{"a", "b", "c"}},
		{",,,", nil},
		{"close, keep-alive", []string{"close", "keep-alive"}},
	} {
		got := slices.Collect(Elements(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Elements(%q) = %q, want %q", tc.in, got, tc.want)
		}
		got = nil
		for e, rest := NextElement(tc.in); len(e) > 0; e, rest = NextElement(rest) {
			got = append(got, e)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("NextElement over %q gave %q, want %q", tc.in, got, tc.want)
		}
	}
	// Stopping early stops the iteration.
	for e := range Elements("a, b") {
		if e != "a" {
			t.Fatalf("first element %q", e)
		}
		break
	}
}

func TestToken(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"chunked", true}, {"x-gzip", true}, {"!#$%&'*+-.^_`|~09azAZ", true},
		{"", false}, {"a b", false}, {"a:b", false}, {"a\"", false}, {"é", false},
	} {
		if got := IsToken(tc.s); got != tc.want {
			t.Errorf("IsToken(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	if got := TrimOWS(" \t x y\t "); got != "x y" {
		t.Errorf("TrimOWS = %q", got)
	}
}
