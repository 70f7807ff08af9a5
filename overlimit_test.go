//go:build !baremetal

package biplane

import "strings"

// Inputs over the default limits are 9 KiB and more each. A board with
// 64 KiB of RAM (cortex-m-qemu) cannot hold them beside the rest of the
// tables, so they join the tables only where memory allows; TestParseLimits
// checks the same refusals with small limits everywhere.
func init() {
	parseCases = append(parseCases, []parseCase{
		{name: "request line too long §3", in: "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", status: 414},
		{name: "header section too large", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", status: 431},
		{name: "too many fields", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", 100) + "\r\n", status: 431},
	}...)
	chunkedCases = append(chunkedCases, []chunkedCase{
		{name: "huge trailer", in: "0\r\nX: " + strings.Repeat("a", 9000) + "\r\n\r\n", status: 431},
		{name: "too much framing", in: strings.Repeat("1;"+strings.Repeat("e", 100)+"\r\nx\r\n", 200) + "0\r\n\r\n", status: 400},
	}...)
}
