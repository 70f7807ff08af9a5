#!/usr/bin/env bash
# deploy/rolling-restart.sh [--mode reuseport|handoff] [--duration SECONDS]
#
# nginx (deploy/nginx.conf) in front of two examples/echo processes on
# loopback, under wrk load (wrk -t1 -c32 -d20s through nginx); meanwhile
# each process is restarted in turn with a graceful drain (SIGTERM, which
# calls Server.Shutdown). Counts the requests, the responses that are not
# 2xx (deploy/wrk-count.lua) and wrk's socket errors; the target is zero.
#
# Two ways to hand a port over from the old process to its replacement:
#
#   reuseport  (default) both listen with SO_REUSEPORT: the replacement
#              starts first on the same port, then the old one gets
#              SIGTERM, closes its listener and drains. The port never
#              refuses a connection.
#   handoff    the old one gets SIGTERM first; once its listener is closed
#              the replacement binds the port. In between, connections to
#              the port are refused and nginx retries them on the other
#              process (proxy_next_upstream error).
#
# Either way the script waits a few seconds before restarting the second
# process, so that nginx uses the first again (fail_timeout=1s).
#
# Ports: PROXY_PORT (default 18080) and BACKEND_PORTS (default "18081
# 18082"), substituted for 8080, 8001 and 8002 in a copy of
# deploy/nginx.conf. Needs go, nginx and wrk (apt-get install -y nginx
# wrk); root is not needed. Prints progress on stderr, one summary line on
# stdout, and exits 1 if any request failed.
set -euo pipefail

mode=reuseport
duration=20
while [ $# -gt 0 ]; do
	case "$1" in
	--mode)
		mode=${2:-}
		shift 2 || true
		;;
	--duration)
		duration=${2:-}
		shift 2 || true
		;;
	*)
		echo "usage: $0 [--mode reuseport|handoff] [--duration SECONDS]" >&2
		exit 2
		;;
	esac
done
case "$mode" in
reuseport | handoff) ;;
*)
	echo "rolling-restart: --mode must be reuseport or handoff, not '$mode'" >&2
	exit 2
	;;
esac
if ! [[ "$duration" =~ ^[0-9]+$ ]] || [ "$duration" -lt 12 ]; then
	echo "rolling-restart: --duration must be a whole number of seconds, at least 12" >&2
	exit 2
fi

cd "$(dirname "$0")/.."

log() { printf 'rolling-restart: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

for tool in go nginx wrk ss; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y nginx wrk iproute2)"
done

PROXY_PORT=${PROXY_PORT:-18080}
read -r -a PORTS <<<"${BACKEND_PORTS:-18081 18082}"
[ "${#PORTS[@]}" = 2 ] || die "BACKEND_PORTS must name two ports"
for p in "$PROXY_PORT" "${PORTS[@]}"; do
	[ -z "$(ss -ltnH "( sport = :$p )")" ] || die "port $p on this machine is taken; set PROXY_PORT / BACKEND_PORTS"
done

work=$(mktemp -d)
chmod 755 "$work" # nginx's workers run as nobody when it is started as root
cleanup() {
	local p
	# Our own children only (a job's PID cannot be reused until it is
	# waited for): ask first, so nginx can stop its worker, then insist.
	for p in $(jobs -p); do
		kill -TERM "$p" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		[ -z "$(jobs -pr)" ] && break
		sleep 0.1
	done
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [ -n "${ROLLING_KEEP:-}" ]; then
		log "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

log "building examples/echo"
go build -o "$work/echo" ./examples/echo

# The config as committed, with this run's ports.
sed -e "s/127\.0\.0\.1:8080;/127.0.0.1:$PROXY_PORT;/" \
	-e "s/127\.0\.0\.1:8001 /127.0.0.1:${PORTS[0]} /" \
	-e "s/127\.0\.0\.1:8002 /127.0.0.1:${PORTS[1]} /" deploy/nginx.conf >"$work/nginx.conf"
[ "$(grep -v '^[[:space:]]*#' "$work/nginx.conf" | grep -c "127.0.0.1:\($PROXY_PORT\|${PORTS[0]}\|${PORTS[1]}\)[ ;]")" = 3 ] ||
	die "could not set the ports in a copy of deploy/nginx.conf"

# start_echo PORT: starts a process on PORT, waits until it serves, and
# sets STARTED to its PID.
STARTED="" n_started=0
start_echo() {
	local port=$1 out
	n_started=$((n_started + 1))
	out="$work/echo-$port-$n_started.log"
	local flags=()
	[ "$mode" = reuseport ] && flags+=(-reuseport)
	"$work/echo" -addr "127.0.0.1:$port" "${flags[@]}" >"$out" 2>&1 &
	STARTED=$!
	for _ in $(seq 100); do
		grep -qs 'serving on' "$out" && return 0
		kill -0 "$STARTED" 2>/dev/null || die "echo on port $port exited: $(cat "$out")"
		sleep 0.1
	done
	die "echo on port $port did not say it was serving within 10 s"
}

# stop_echo PID: SIGTERM (unless it was sent already and the process is
# gone), then waits (up to its 10 s drain and 5 s more) for a clean exit.
stop_echo() {
	local pid=$1 rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && die "echo (pid $pid) still running 15 s after SIGTERM"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || die "echo (pid $pid) exited $rc after SIGTERM, want 0"
}

declare -A PID
for port in "${PORTS[@]}"; do
	start_echo "$port"
	PID[$port]=$STARTED
done

nginx -p "$work/" -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.stderr" &
nginx_pid=$!
ok=0
for _ in $(seq 50); do
	kill -0 "$nginx_pid" 2>/dev/null || die "nginx exited: $(cat "$work/nginx.stderr" "$work/error.log" 2>/dev/null)"
	if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY_PORT/" || true)" = 200 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
[ "$ok" = 1 ] || die "nginx did not answer 200 within 5 s: $(cat "$work/error.log" 2>/dev/null)"
log "nginx (pid $nginx_pid) on 127.0.0.1:$PROXY_PORT in front of echo on ${PORTS[*]} (pids ${PID[${PORTS[0]}]} ${PID[${PORTS[1]}]}); mode $mode"

log "wrk -t1 -c32 -d${duration}s through nginx"
wrk -t1 -c32 -d"${duration}s" --timeout 5s -s deploy/wrk-count.lua "http://127.0.0.1:$PROXY_PORT/" >"$work/wrk.out" 2>&1 &
wrk_pid=$!

# Restart each process in turn, well inside wrk's run.
sleep 3
t0=${EPOCHREALTIME/./}
for port in "${PORTS[@]}"; do
	old=${PID[$port]}
	if [ "$mode" = reuseport ]; then
		start_echo "$port" # beside the old one, on the same port
		stop_echo "$old"
	else
		kill -TERM "$old"
		# Its listener closes at once (Server.Shutdown with an
		# AcceptCloser); then the port is free for the replacement.
		for _ in $(seq 100); do
			[ -z "$(ss -ltnH "( sport = :$port )")" ] && break
			sleep 0.05
		done
		[ -z "$(ss -ltnH "( sport = :$port )")" ] || log "port $port still listening 5 s after SIGTERM"
		start_echo "$port"
		stop_echo "$old"
	fi
	PID[$port]=$STARTED
	log "port $port: pid $old drained and exited 0; pid $STARTED serving"
	sleep 3 # nginx takes the port back after fail_timeout (1 s)
done
t1=${EPOCHREALTIME/./}

rc=0
wait "$wrk_pid" || rc=$?
[ "$rc" = 0 ] || die "wrk exited $rc: $(cat "$work/wrk.out")"
line=$(grep '^wrk:' "$work/wrk.out" || true)
[ -n "$line" ] || die "wrk printed no summary: $(cat "$work/wrk.out")"
log "$line"

# Both replacements still serve through nginx.
for port in "${PORTS[@]}"; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" = 200 ] ||
		die "the replacement on port $port does not answer 200"
done
kill -QUIT "$nginx_pid" # graceful
for port in "${PORTS[@]}"; do
	stop_echo "${PID[$port]}"
done
wait "$nginx_pid" || true

requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
non2xx=$(sed -n 's/.*non-2xx=\([0-9]*\).*/\1/p' <<<"$line")
sockerr=$(sed -n 's/.*socket-errors=\([0-9]*\).*/\1/p' <<<"$line")
verdict=PASS
[ "$non2xx" = 0 ] && [ "$sockerr" = 0 ] && [ "${requests:-0}" -gt 0 ] || verdict=FAIL
# Each upstream error nginx logged is a request it passed to the other
# process (or a 502, which wrk counted above).
retried=$(grep -c '\[error\].*upstream' "$work/error.log" 2>/dev/null || true)
if [ "${retried:-0}" -gt 0 ]; then
	log "nginx logged $retried upstream errors, each retried on the other process; the first:"
	grep '\[error\].*upstream' "$work/error.log" | head -1 | sed 's/^/rolling-restart:   /' >&2
fi
printf 'rolling-restart (%s): wrk -t1 -c32 -d%ss via nginx, 2 processes restarted one at a time in %.1fs: %s, nginx retries %s => %s\n' \
	"$mode" "$duration" "$(((t1 - t0) / 1000))e-3" "${line#wrk: }" "${retried:-0}" "$verdict"
[ "$verdict" = PASS ]
