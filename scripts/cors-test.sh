#!/usr/bin/env bash
# CORS in a real browser: runs examples/api on a free port of 127.0.0.1,
# allowing one origin, and serves a page (examples/api/e2e/page) with
# examples/files on two more ports: the allowed origin and another one.
# Debian's headless Chromium, through playwright-core
# (examples/api/e2e/cors.mjs), calls the API from both pages: the allowed
# page's PUT with a custom header succeeds, the other page's PUT and GET
# are blocked by the browser (fetch rejects with TypeError). Then the API's
# log must show that the browser sent a preflight (OPTIONS, answered 204)
# before each PUT, and that the blocked PUT was never sent. Installs
# chromium (apt) and playwright-core (npm ci) if missing.
#
#	scripts/cors-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q chromium
fi
command -v node >/dev/null || { echo "cors-test: node is not installed" >&2; exit 1; }
(cd examples/api/e2e && npm ci --silent --no-audit --no-fund)

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM HUP PIPE

go build -o "$tmp/api" ./examples/api
go build -o "$tmp/files" ./examples/files

# start VAR NAME ARGS...: runs the program NAME in the background (in this
# shell, so that cleanup stops it) with its standard output to a fifo that
# this shell holds open as fd ${VAR}_fd, so that the program's later lines
# never block it; waits for its first line, and sets VAR to the URL that
# line says it serves on and ${VAR}_pid to its process ID.
start() {
	local var=$1 name=$2 fd line
	shift 2
	mkfifo "$tmp/$var.out"
	"$tmp/$name" -addr 127.0.0.1:0 "$@" >"$tmp/$var.out" &
	pids+=($!)
	printf -v "${var}_pid" '%s' $!
	exec {fd}<"$tmp/$var.out"
	printf -v "${var}_fd" '%s' "$fd"
	if ! read -r -t 60 line <&"$fd" || [[ $line != *"serving on http://"* ]]; then
		echo "cors-test: $name did not say it was serving" >&2
		exit 1
	fi
	line=${line#*serving on }
	printf -v "$var" '%s' "${line%/}"
}

start allowed files -dir examples/api/e2e/page -hz 10
start blocked files -dir examples/api/e2e/page -hz 10
token=e2e-$RANDOM$RANDOM
start api api -log -token "$token" -cors-origin "$allowed"
echo "cors-test: API $api allows $allowed; $blocked is another origin"
chromium --version
node examples/api/e2e/cors.mjs "$api" "$allowed/" "$blocked/" "$token"

# The server's side, from its Common Log Format lines (read once SIGTERM
# has stopped it, gracefully): each PUT the browser sent came after a
# preflight, and the blocked origin's PUT was never sent (its preflight
# was answered without CORS fields).
kill -TERM "$api_pid"
requests=$(timeout 30 cat <&"$api_fd" | sed -nE 's/.*"([A-Z]+) ([^ ]+) HTTP\/1\.1" ([0-9]+) .*/\1 \2 \3/p')
wait "$api_pid"
echo "cors-test: the API's log:"
echo "$requests" | sed 's/^/  /'
# The wrong-token PUT needs no preflight of its own: the browser keeps the
# first one's answer (Access-Control-Max-Age: 600).
want="OPTIONS /config 204
PUT /config 200
GET /config 200
PUT /config 401
OPTIONS /config 204
GET /config 200
GET /config 200"
if [ "$requests" != "$want" ]; then
	echo "cors-test: FAIL the API's log differs from:" >&2
	echo "$want" | sed 's/^/  /' >&2
	exit 1
fi
echo "cors-test: PASS preflights before each PUT; the other origin's PUT never sent"
