#!/usr/bin/env bash
# Runs examples/dashboard and drives it in a real browser: Debian's headless
# Chromium through playwright-core (examples/dashboard/e2e/dashboard.mjs).
# The page must show live readings over Server-Sent Events, and its button
# must toggle the LED. Then runs examples/upload and uploads a 20 MiB file
# through its page (examples/upload/e2e/upload.mjs): the page must show
# progress events part-way through and the device's answer, and the stored
# file must have the SHA-256 of the one chosen. Installs chromium (apt) and
# playwright-core (npm ci) if missing. Saves the dashboard's screenshot to
# $1 and the upload page's to $2 (default: temporary files).
#
#	scripts/browser-test.sh [dashboard.png [upload.png]]
set -euo pipefail
cd "$(dirname "$0")/.."

shot=${1:-}
upshot=${2:-}
if ! command -v chromium >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q chromium
fi
command -v node >/dev/null || { echo "browser-test: node is not installed" >&2; exit 1; }
(cd examples/dashboard/e2e && npm ci --silent --no-audit --no-fund)
(cd examples/upload/e2e && npm ci --silent --no-audit --no-fund)

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
[ -n "$upshot" ] || upshot=$tmp/upload.png

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

# The upload page: a 20 MiB file through the browser's form, stored in
# $tmp/uploads; the file the page chose and the one stored must match.
go build -o "$tmp/upload" ./examples/upload
mkdir "$tmp/uploads"
mkfifo "$tmp/upout"
"$tmp/upload" -addr 127.0.0.1:0 -dir "$tmp/uploads" >"$tmp/upout" &
pid=$!
exec {upout}<"$tmp/upout"
if ! read -r -t 60 line <&"$upout"; then
	echo "browser-test: upload did not say it was serving" >&2
	exit 1
fi
echo "browser-test: $line"
url=${line#upload: serving on }
url=${url%% *}
node examples/upload/e2e/upload.mjs "$url" "$tmp/browser-20MiB.bin" "$upshot"
sent=$(sha256sum <"$tmp/browser-20MiB.bin")
stored=$(sha256sum <"$tmp/uploads/browser-20MiB.bin")
if [ "$sent" != "$stored" ]; then
	echo "browser-test: the stored file's SHA-256 is ${stored%% *}, the chosen file's ${sent%% *}" >&2
	exit 1
fi
echo "browser-test: stored file matches the chosen one: sha256 ${stored%% *}"

kill -TERM "$pid"
if ! read -r -t 30 line <&"$upout"; then
	echo "browser-test: upload printed no lateness line on SIGTERM" >&2
	exit 1
fi
wait "$pid"
pid=
echo "browser-test: upload exited 0: $line"
