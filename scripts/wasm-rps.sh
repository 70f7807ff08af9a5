#!/usr/bin/env bash
# Requests per second of the hello page served by examples/hello (Go,
# native, unixsock with epoll) beside examples/wasm under wazero (Go's
# GOOS=wasip1 build and TinyGo's -scheduler=none build, both wasisock), in
# one run, one after the other, each measured with
#
#	wrk -t1 -c64 -d5s http://127.0.0.1:PORT/
#
# Needs wrk, and TinyGo and wazero from scripts/install-tinygo.sh. Every
# server listens on 127.0.0.1 on a free port and is stopped by its PID.
# Not part of CI: it keeps both cores busy for about 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export TINYGOROOT=${TINYGOROOT:-/opt/tinygo/root} PATH=/opt/tinygo/bin:$PATH
DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
out=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT

go build -o "$out/hello" ./examples/hello
GOOS=wasip1 GOARCH=wasm go build -o "$out/go.wasm" ./examples/wasm
tinygo build -target=wasip1 -scheduler=none -o "$out/tiny.wasm" ./examples/wasm

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# waitport polls until the server answers, for at most 60 s (wazero
# compiles a module before running it).
waitport() {
	for _ in $(seq 600); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		kill -0 "$pid" 2>/dev/null || { echo "server exited:" >&2; cat "$out/server.log" >&2; return 1; }
		sleep 0.1
	done
	echo "server on port $1 did not answer" >&2
	return 1
}

bench() {
	local name=$1 port=$2
	shift 2
	"$@" >"$out/server.log" 2>&1 &
	pid=$!
	waitport "$port"
	local rps
	rps=$(wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$port/" | awk '/^Requests\/sec:/ {print $2}')
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	printf '| %s | %s |\n' "$name" "$rps"
}

echo "| server (wrk -t1 -c$CONNS -d$DURATION, GET /) | requests/s |"
echo "|---|---:|"
p=$(freeport); bench "examples/hello, Go native (unixsock, epoll)" "$p" "$out/hello" -addr "127.0.0.1:$p"
p=$(freeport); bench "examples/wasm, Go wasip1 under wazero $(wazero version)" "$p" wazero run -listen="127.0.0.1:$p" "$out/go.wasm"
p=$(freeport); bench "examples/wasm, TinyGo wasip1 -scheduler=none under wazero" "$p" wazero run -listen="127.0.0.1:$p" "$out/tiny.wasm"
