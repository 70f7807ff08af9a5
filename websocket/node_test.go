//go:build !tinygo

// Not built by TinyGo: it runs Node in a process of its own.

package websocket_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/biplane-go/biplane/websocket"
)

// TestNodeClient runs testdata/client.mjs, on Node's built-in WebSocket
// client (undici's), against the echo server: subprotocol selection, no
// extension although the client offers permessage-deflate, echoes of text
// and binary messages up to 64 KiB, a clean close from each side.
func TestNodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED: node is not on PATH, so Node's WebSocket client was not tried")
	}
	// Node 20 has WebSocket behind a flag; from Node 22 on it is there.
	var args []string
	probe, err := exec.Command(node, "-e", "process.stdout.write(typeof WebSocket)").Output()
	if err != nil {
		t.Fatalf("running node: %v", err)
	}
	if string(probe) != "function" {
		args = append(args, "--experimental-websocket")
	}
	es := startEcho(t, websocket.Config{Protocols: []string{"chat"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append(args, "testdata/client.mjs", "ws://"+es.Addr+"/echo", "chat")
	out, err := exec.CommandContext(ctx, node, args...).CombinedOutput()
	line := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(line, "ok: ") {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	t.Log(line)
	// Both connections closed as they should, as the server saw it.
	var codes []int
	for range 2 {
		select {
		case ev := <-es.closes:
			codes = append(codes, ev.code)
			if ev.err != nil {
				t.Errorf("the server failed a connection: %v", ev.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("OnClose reported %v, want two closes", codes)
		}
	}
	if !(codes[0] == 1000 && codes[1] == 4001 || codes[0] == 4001 && codes[1] == 1000) {
		t.Errorf("OnClose codes %v, want 1000 and 4001", codes)
	}
}
