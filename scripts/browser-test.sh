#!/usr/bin/env bash
# Runs examples/dashboard and drives it in a real browser: Debian's headless
# Chromium through playwright-core (examples/dashboard/e2e/dashboard.mjs).
# The page must show live readings over Server-Sent Events, and its button
# must toggle the LED. Installs chromium (apt) and playwright-core (npm ci)
# if missing. Saves a screenshot to $1 (default: a temporary file).
#
#	scripts/browser-test.sh [screenshot.png]
set -euo pipefail
cd "$(dirname "$0")/.."

shot=${1:-}
if ! command -v chromium >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q chromium
fi
command -v node >/dev/null || { echo "browser-test: node is not installed" >&2; exit 1; }
(cd examples/dashboard/e2e && npm ci --silent --no-audit --no-fund)

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM HUP PIPE
[ -n "$shot" ] || shot=$tmp/screenshot.png

go build -o "$tmp/dashboard" ./examples/dashboard
mkfifo "$tmp/out"
"$tmp/dashboard" -addr 127.0.0.1:0 >"$tmp/out" &
pid=$!
exec {out}<"$tmp/out" # held open, so the server's later lines never block
if ! read -r -t 60 line <&"$out"; then
	echo "browser-test: the dashboard did not say it was serving" >&2
	exit 1
fi
url=${line#dashboard: serving on }
echo "browser-test: $line"
chromium --version
node examples/dashboard/e2e/dashboard.mjs "$url" "$shot"

# The dashboard drains on SIGTERM and prints its timer's lateness.
kill -TERM "$pid"
if ! read -r -t 30 line <&"$out"; then
	echo "browser-test: the dashboard printed no lateness line on SIGTERM" >&2
	exit 1
fi
wait "$pid"
pid=
echo "browser-test: dashboard exited 0: $line"
