#!/usr/bin/env bash
# scripts/bigdownload.sh: a 1 GiB file streamed by examples/files to curl
# while the server's loop ticks at 1000 Hz.
#
# It writes a file of random bytes (so that no layer can shortcut zeros or
# a pattern) under a temporary directory in /tmp, builds examples/files,
# starts it on a free port of 127.0.0.1 serving that directory, and
# downloads the file twice with curl: once to /dev/null, reporting bytes
# and speed (-w), and once through sha256sum, compared with the file's own.
# Then it sends the server SIGTERM and prints its report: tick count and
# lateness percentiles, and its peak resident memory (VmHWM).
#
# Tick lateness on a shared machine is mostly the kernel's scheduling, so
# as a control it then runs the same server idle, with no request at all,
# for as long as the download run lasted, and prints its report too: the
# downloads kept the ticks on time if the two are alike. CONTROL=0 skips it.
# RT=1 runs the server (both times) under chrt -f 1, SCHED_FIFO, so that
# other processes (curl, sha256sum, anything else on the machine) cannot
# preempt it: what lateness is left is the loop's own.
#
# Page cache: the file was just written, and read again for its checksum,
# so the server reads it from memory, not the disk; this measures the
# loop, not the disk. Its pages are the kernel's, not the server's: they
# do not count in the server's RSS.
#
# Exits non-zero if a download is not 200 with every byte, if the checksum
# differs, or if the server's peak RSS is 20 MiB or more.
#
#   bash scripts/bigdownload.sh            # SIZE=1G by default
#   SIZE=256M bash scripts/bigdownload.sh  # any size head -c takes
#   RT=1 bash scripts/bigdownload.sh       # server under SCHED_FIFO (root)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1G}
HZ=${HZ:-1000}
CONTROL=${CONTROL:-1}
RT=${RT:-0}
run=()
if [ "$RT" != 0 ]; then
	run=(chrt -f 1) # chrt execs the server: $! is still the server's PID
fi
RSS_LIMIT_KIB=$((20 * 1024))

tmp=$(mktemp -d /tmp/bigdownload.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/www"
file=$tmp/www/big.bin
echo "bigdownload: writing $SIZE of random bytes to $file"
head -c "$SIZE" /dev/urandom >"$file"
size=$(stat -c %s "$file")
want_sum=$(sha256sum <"$file" | cut -d' ' -f1)

echo "bigdownload: building examples/files"
go build -o "$tmp/files" ./examples/files

# start_server starts examples/files, setting pid and addr once it says
# where it listens (its first line: the sign that it is ready).
start_server() {
	: >"$tmp/out"
	"${run[@]}" "$tmp/files" -addr 127.0.0.1:0 -hz "$HZ" -dir "$tmp/www" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	addr=
	for _ in $(seq 1 300); do
		if line=$(head -n 1 "$tmp/out" 2>/dev/null) && [[ $line =~ http://([0-9.:]+)/ ]]; then
			addr=${BASH_REMATCH[1]}
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$addr" ]; then
		echo "bigdownload: examples/files did not start:" >&2
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	fi
	echo "bigdownload: $(head -n 1 "$tmp/out") (pid $pid)"
}

# stop_server sends SIGTERM, waits, and sets status and report.
stop_server() {
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	report=$(tail -n 1 "$tmp/out")
}

start_server
started=$(date +%s%N)
url=http://$addr/big.bin

fail=0
# 1: to /dev/null, for the speed.
read -r code bytes speed < <(curl -sS --max-time 600 -o /dev/null \
	-w '%{http_code} %{size_download} %{speed_download}\n' "$url")
echo "bigdownload: curl -o /dev/null: http $code, $bytes bytes, $speed bytes/s ($((speed / 1048576)) MiB/s)"
if [ "$code" != 200 ] || [ "$bytes" != "$size" ]; then
	echo "bigdownload: FAIL: want http 200 and $size bytes" >&2
	fail=1
fi

# 2: through sha256sum.
got_sum=$(curl -sS --max-time 600 "$url" | sha256sum | cut -d' ' -f1)
echo "bigdownload: sha256 served $got_sum"
echo "bigdownload: sha256 file   $want_sum"
if [ "$got_sum" != "$want_sum" ]; then
	echo "bigdownload: FAIL: checksums differ" >&2
	fail=1
fi

elapsed_ms=$((($(date +%s%N) - started) / 1000000))
stop_server
echo "bigdownload: server exited $status after ${elapsed_ms} ms: $report"
if ! [[ $report =~ ^ticks\ [0-9]+\ late_p50_us\ [0-9]+\ late_p99_us\ [0-9]+\ late_max_us\ [0-9]+\ peak_rss_kib\ ([0-9]+)$ ]]; then
	echo "bigdownload: FAIL: no report from the server" >&2
	cat "$tmp/err" >&2
	exit 1
fi
rss=${BASH_REMATCH[1]}
echo "bigdownload: peak RSS $rss KiB (limit $RSS_LIMIT_KIB KiB)"
if [ "$rss" -ge "$RSS_LIMIT_KIB" ]; then
	echo "bigdownload: FAIL: peak RSS $rss KiB >= $RSS_LIMIT_KIB KiB" >&2
	fail=1
fi
if [ "$status" != 0 ]; then
	echo "bigdownload: FAIL: server exit status $status" >&2
	fail=1
fi
if [ "$CONTROL" != 0 ]; then
	start_server
	sleep "$((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))"
	stop_server
	echo "bigdownload: idle control, same server, no requests, ${elapsed_ms} ms: $report"
fi
if [ "$fail" = 0 ]; then
	echo "bigdownload: OK"
fi
exit "$fail"
