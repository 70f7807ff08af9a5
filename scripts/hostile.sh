#!/usr/bin/env bash
# scripts/hostile.sh [--quick]: hostile clients against examples/echo, each
# while a well-behaved client (scripts/probe) keeps sending keep-alive GETs
# and POSTs at a fixed rate and measures its success rate and p99 latency.
#
#   slowloris  slowhttptest -H: 200 connections trickle header lines
#   slowbody   slowhttptest -B: 200 connections trickle a declared body
#   slowread   slowhttptest -X: 200 connections with tiny receive windows,
#              reading 32 bytes a second
#   noread     scripts/attack: connections with the smallest receive buffer
#              that POST 512 KiB and never read the echo, so the server's
#              output is stuck (this is WriteTimeout's case)
#   vanish     scripts/attack: connections cut off mid-head, mid-body, idle
#              between requests and with an unread response, whose packets
#              are then dropped both ways by nftables and whose process is
#              killed: peers gone without FIN or RST
#   flood      scripts/attack: MaxConns (1024) connections, then more, each
#              of which must get 503 and a close, and no hang
#
# The full run (about 70 s) has noread 200 connections, vanish 50 of each
# kind and flood 200 beyond the cap; --quick, for CI (about 45 s), has 50,
# 20 and 100, and a shorter T. slowhttptest always has 200.
#
# echo runs with RequestTimeout = IdleTimeout = WriteTimeout = T (10 s, the
# default RequestTimeout, or 4 s with --quick). Every attack's connections
# must be closed by the server within ramp-up + T + 3 s (the 3 s covers the
# 2 s lingering close after a 408, and sampling); the server's side is read
# with ss(8), and slowhttptest must see every connection closed too.
#
# Everything runs in a private network namespace, so that the firewall rules
# touch nothing else and ports cannot clash; its TCP send buffers are capped
# at 128 KiB (net.ipv4.tcp_wmem) because on loopback Linux grows them to
# 4 MiB, which would swallow a whole echoed body and leave WriteTimeout
# nothing to do. Needs root, Go, slowhttptest, nftables and iproute2.
#
# Prints progress on stderr and one summary line on stdout; exits 1 if any
# attack fails. Thresholds for the probe: MIN_SUCCESS (percent, default
# 99.9) and MAX_P99_MS (default 500; the machine is shared with the attack
# tools). HOSTILE_KEEP=1 keeps the logs of every tool.
set -euo pipefail

quick=0
case "${1:-}" in
"") ;;
--quick) quick=1 ;;
*)
	echo "usage: $0 [--quick]" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/.."

log() { printf 'hostile: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root: it makes a network namespace and firewall rules"
for tool in go ip ss nft slowhttptest; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y golang slowhttptest nftables iproute2)"
done

if [ "$quick" = 1 ]; then
	T=4 NOREAD=50 VANISH=20 EXTRA=100 mode=quick
else
	T=10 NOREAD=200 VANISH=50 EXTRA=200 mode=full
fi
N=200          # slowhttptest connections per attack
MAXCONNS=1024  # echo's MaxConns: the default
SLACK=3        # seconds allowed beyond T
RATE=50        # probe requests per second
PROBE_CONNS=4  # probe keep-alive connections
MIN_SUCCESS=${MIN_SUCCESS:-99.9}
MAX_P99_MS=${MAX_P99_MS:-500}
PORT=8080
URL="http://127.0.0.1:$PORT/"
# Peers are told apart by their source address (all of 127/8 is on lo):
# slowhttptest connects from 127.0.0.1, the rest choose their own.
PROBE_IP=127.0.0.2 NOREAD_IP=127.0.0.3 FLOOD_IP=127.0.0.4
declare -A VANISH_IP=([head]=127.0.0.10 [body]=127.0.0.11 [idle]=127.0.0.12 [unread]=127.0.0.13)

# The hard limit bounds what Go raises the soft one to; the flood needs
# MaxConns descriptors on each side and then some.
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $((MAXCONNS + 512)) ] ||
	die "ulimit -Hn is $(ulimit -Hn); the flood needs at least $((MAXCONNS + 512))"

work=$(mktemp -d)
ns="biplane-hostile-$$"
cleanup() {
	local p
	# Only our own children: each is a job until it is waited for, so its
	# PID cannot have been reused.
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# Anything still in the namespace was started in it by this script
	# (it exists only for this run); the namespace goes with them.
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
	if [ -n "${HOSTILE_KEEP:-}" ]; then
		log "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# inns runs a command in the namespace. Commands started in the background
# call ip directly instead, so that $! is their own PID (ip execs them),
# not that of a subshell running the function.
inns() { ip netns exec "$ns" "$@"; }
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); } # ms → "12.3"

log "building examples/echo, scripts/probe, scripts/attack"
go build -o "$work/echo" ./examples/echo
go build -o "$work/probe" ./scripts/probe
go build -o "$work/attack" ./scripts/attack

ip netns add "$ns" || die "cannot create network namespace $ns"
inns ip link set lo up
inns sysctl -qw net.ipv4.tcp_wmem="4096 16384 131072"

ip netns exec "$ns" "$work/echo" -addr "127.0.0.1:$PORT" -request-timeout "${T}s" -idle-timeout "${T}s" -write-timeout "${T}s" \
	>"$work/echo.out" 2>"$work/echo.err" &
echo_pid=$!
for _ in $(seq 100); do
	grep -qs 'serving on' "$work/echo.out" && break
	kill -0 "$echo_pid" 2>/dev/null || die "echo exited: $(cat "$work/echo.err")"
	sleep 0.1
done
grep -qs 'serving on' "$work/echo.out" || die "echo did not say it was serving within 10 s"
log "$mode run, T=${T}s: echo (pid $echo_pid) serving on $URL in netns $ns"

# server_conns prints "peer-ip count" for each peer address with
# connections the echo process still holds (ESTAB or CLOSE-WAIT; once it
# closes a socket, the kernel's orphan no longer names the process).
server_conns() {
	inns ss -tnpH state all "( sport = :$PORT )" |
		awk -v me="pid=$echo_pid," '$1 != "LISTEN" && index($0, me) {
			ip = $5; sub(/:[0-9]+$/, "", ip); n[ip]++
		} END { for (ip in n) print ip, n[ip] }'
}

# watch_zero DEADLINE_MS MIN IP... samples the server's connections from
# each IP every 0.25 s until every IP has none after at least MIN were
# seen, or the deadline. It sets PEAK[ip] (most seen at once) and ZERO[ip]
# (ms when none were left; empty if never).
declare -A PEAK ZERO
watch_zero() {
	local deadline=$1 min=$2 ip t done_all snap
	shift 2
	for ip in "$@"; do
		PEAK[$ip]=0 ZERO[$ip]=""
	done
	while :; do
		t=$(now_ms)
		snap=$(server_conns)
		done_all=1
		for ip in "$@"; do
			local n
			n=$(awk -v ip="$ip" '$1 == ip { print $2 }' <<<"$snap")
			n=${n:-0}
			if [ "$n" -gt "${PEAK[$ip]}" ]; then
				PEAK[$ip]=$n
			fi
			if [ "$n" = 0 ] && [ "${PEAK[$ip]}" -ge "$min" ]; then
				[ -n "${ZERO[$ip]}" ] || ZERO[$ip]=$t
			else
				ZERO[$ip]=""
				done_all=0
			fi
		done
		[ "$done_all" = 1 ] && return 0
		[ "$t" -lt "$deadline" ] || return 0
		sleep 0.25
	done
}

probe_pid=""
probe_start() {
	ip netns exec "$ns" "$work/probe" -url "$URL" -local "$PROBE_IP" -rate "$RATE" -conns "$PROBE_CONNS" \
		>"$work/probe.out" 2>"$work/probe.err" &
	probe_pid=$!
	sleep 1 # its connections are open and warm before the attack
}
# probe_stop stops the probe and sets PROBE (for the summary) and probe_ok.
PROBE="" probe_ok=0
probe_stop() {
	kill -TERM "$probe_pid"
	wait "$probe_pid" || true
	local line success p99
	line=$(grep '^probe:' "$work/probe.out" || true)
	[ -n "$line" ] || die "the probe printed nothing: $(cat "$work/probe.err")"
	log "  $line"
	if [ -s "$work/probe.err" ]; then
		log "  probe errors: $(tr '\n' ';' <"$work/probe.err")"
	fi
	success=$(sed -n 's/.* success=\([0-9.]*\)%.*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99=\([0-9.]*\)ms.*/\1/p' <<<"$line")
	PROBE="probe ${success}% p99 ${p99:--}ms"
	probe_ok=$(awk -v s="$success" -v p="${p99:-1e9}" -v ms="$MIN_SUCCESS" -v mp="$MAX_P99_MS" \
		'BEGIN { print (s + 0 >= ms + 0 && p + 0 <= mp + 0) ? 1 : 0 }')
}

results=()
failed=0
# record NAME OK TEXT adds an attack's part of the summary line.
record() {
	local verdict=PASS
	if [ "$2" != 1 ]; then
		verdict=FAIL failed=1
	fi
	results+=("$1 $verdict $3")
	log "$1 $verdict $3"
}

# slow NAME FLAGS...: one slowhttptest attack of N connections.
slow() {
	local name=$1 t0 rc=0 status ended ramp csv ok=1 why=""
	shift
	log "$name: slowhttptest $* -c $N"
	probe_start
	t0=$(now_ms)
	# -l bounds the run if connections are never closed; -p 3 is its own
	# availability probe's timeout.
	ip netns exec "$ns" slowhttptest "$@" -c "$N" -r "$N" -l $((T + 40)) -p 3 -u "$URL" -g -o "$work/$name" \
		>"$work/$name.log" 2>&1 &
	local sh_pid=$!
	watch_zero $((t0 + (T + 45) * 1000)) 1 127.0.0.1
	wait "$sh_pid" || rc=$?
	probe_stop
	[ "$rc" = 0 ] || ok=0 why+=" slowhttptest exited $rc;"
	csv="$work/$name.csv"
	[ -s "$csv" ] || die "$name: slowhttptest wrote no CSV; its output: $(tail -5 "$work/$name.log")"
	# Columns: Seconds,Closed,Pending,Connected,Service Available.
	ramp=$(awk -F, -v n="$N" 'NR > 1 && $2 + $4 >= n { print $1; exit }' "$csv")
	status=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$work/$name.log" | sed -n 's/.*Exit status: *//p' | tail -1)
	ended=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$work/$name.log" | sed -n 's/.*Test ended on \([0-9]*\).*/\1/p' | tail -1)
	local unavail
	unavail=$(awk -F, 'NR > 1 && $5 == 0' "$csv" | wc -l)
	if [ -z "$ramp" ]; then
		ok=0 why+=" never had all $N connected;" ramp=0
	fi
	local limit=$(((ramp + T + SLACK) * 1000))
	local zero=${ZERO[127.0.0.1]}
	if [ -z "$zero" ]; then
		ok=0 why+=" server still held connections after $((T + 45)) s;"
		zero=$(now_ms)
	elif [ $((zero - t0)) -gt "$limit" ]; then
		ok=0 why+=" server closed them too late;"
	fi
	if [ "$status" != "No open connections left" ]; then
		ok=0 why+=" slowhttptest: ${status:-no exit status};"
	elif [ "${ended:-999}" -gt $((ramp + T + SLACK + 1)) ]; then
		ok=0 why+=" slowhttptest saw the last close at ${ended} s;"
	fi
	[ "$probe_ok" = 1 ] || ok=0 why+=" probe below threshold;"
	record "$name" "$ok" "$N conns (peak ${PEAK[127.0.0.1]}) all closed by server in $(secs $((zero - t0)))s, by slowhttptest's clock ${ended:-?}s (ramp ${ramp}s + T ${T}s + ${SLACK}s = $((ramp + T + SLACK))s), svc-unavailable ${unavail}s, $PROBE${why:+ —$why}"
}

# hold_start KIND N IP: starts scripts/attack hold and waits for "ready";
# sets HOLD_PID.
HOLD_PID=""
hold_start() {
	local kind=$1 n=$2 ip=$3 out="$work/hold-$1.out"
	ip netns exec "$ns" "$work/attack" hold -addr "127.0.0.1:$PORT" -local "$ip" -kind "$kind" -n "$n" >"$out" 2>"$work/hold-$kind.err" &
	HOLD_PID=$!
	for _ in $(seq 300); do
		grep -qs ready "$out" && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || die "attack hold -kind $kind exited: $(cat "$work/hold-$kind.err")"
		sleep 0.1
	done
	die "attack hold -kind $kind not ready within 30 s"
}

noread() {
	local t0 ok=1 why=""
	log "noread: $NOREAD connections POST 512 KiB each and never read"
	probe_start
	hold_start unread "$NOREAD" "$NOREAD_IP"
	local pid=$HOLD_PID stuck
	t0=$(now_ms)
	# How many of the server's connections have a response stuck in the
	# kernel (Send-Q above zero): the case this attack is about.
	stuck=$(inns ss -tnH state established "( sport = :$PORT and dst $NOREAD_IP )" | awk '$2 > 0' | wc -l)
	watch_zero $((t0 + (T + 20) * 1000)) 1 "$NOREAD_IP"
	kill -TERM "$pid"
	wait "$pid" || true
	probe_stop
	local zero=${ZERO[$NOREAD_IP]}
	if [ -z "$zero" ]; then
		ok=0 why+=" server still held connections after $((T + 20)) s;" zero=$(now_ms)
	elif [ $((zero - t0)) -gt $(((T + SLACK) * 1000)) ]; then
		ok=0 why+=" closed too late;"
	fi
	[ "${PEAK[$NOREAD_IP]}" -ge "$NOREAD" ] || ok=0 why+=" only ${PEAK[$NOREAD_IP]} of $NOREAD seen open;"
	[ "$stuck" -gt 0 ] || ok=0 why+=" no response was stuck: the attack missed;"
	[ "$probe_ok" = 1 ] || ok=0 why+=" probe below threshold;"
	record noread "$ok" "$NOREAD conns ($stuck with output stuck) all closed in $(secs $((zero - t0)))s (T ${T}s + ${SLACK}s), $PROBE${why:+ —$why}"
}

vanish() {
	local t0 ok=1 why="" kind pids=() times=""
	log "vanish: $VANISH connections each cut off mid-head, mid-body, idle and unread; then DROP and SIGKILL"
	probe_start
	for kind in head body idle unread; do
		hold_start "$kind" "$VANISH" "${VANISH_IP[$kind]}"
		pids+=("$HOLD_PID")
	done
	# Drop their packets both ways, then kill them: their kernel's FIN
	# and RST go nowhere, and nothing the server sends is acknowledged.
	inns nft -f - <<-EOF
		table ip vanish {
			chain input {
				type filter hook input priority 0; policy accept;
				ip saddr 127.0.0.10-127.0.0.13 drop
				ip daddr 127.0.0.10-127.0.0.13 drop
			}
		}
	EOF
	kill -KILL "${pids[@]}"
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	t0=$(now_ms)
	watch_zero $((t0 + (T + 20) * 1000)) 1 "${VANISH_IP[@]}"
	probe_stop
	inns nft delete table ip vanish
	for kind in head body idle unread; do
		local ip=${VANISH_IP[$kind]} zero
		zero=${ZERO[$ip]}
		if [ -z "$zero" ]; then
			ok=0 why+=" $kind: still held after $((T + 20)) s;"
			times+=" $kind never"
			continue
		fi
		times+=" $kind $(secs $((zero - t0)))s"
		[ $((zero - t0)) -le $(((T + SLACK) * 1000)) ] || ok=0 why+=" $kind closed too late;"
		[ "${PEAK[$ip]}" -ge "$VANISH" ] || ok=0 why+=" $kind: only ${PEAK[$ip]} of $VANISH seen open;"
	done
	[ "$probe_ok" = 1 ] || ok=0 why+=" probe below threshold;"
	record vanish "$ok" "$((4 * VANISH)) conns closed in:$times (T ${T}s + ${SLACK}s), $PROBE${why:+ —$why}"
}

flood() {
	local ok=1 why="" line t0
	log "flood: $MAXCONNS connections to fill the cap, then $EXTRA more"
	probe_start
	t0=$(now_ms)
	line=$(inns "$work/attack" flood -addr "127.0.0.1:$PORT" -local "$FLOOD_IP" -hold "$MAXCONNS" -extra "$EXTRA" \
		-max-conns "$MAXCONNS" 2>"$work/flood.err") || ok=0
	# The flood's connections are closed by now; the server must let go
	# of them at once.
	watch_zero $((t0 + 60 * 1000)) 0 "$FLOOD_IP"
	probe_stop
	[ -n "$line" ] || die "attack flood printed nothing: $(cat "$work/flood.err")"
	log "  $line"
	[ -s "$work/flood.err" ] && log "  $(cat "$work/flood.err")"
	[ -n "${ZERO[$FLOOD_IP]}" ] || ok=0 why+=" server still held flood connections;"
	[ "$probe_ok" = 1 ] || ok=0 why+=" probe below threshold;"
	record flood "$ok" "${line#flood: PASS }, $PROBE${why:+ —$why}"
}

slow slowloris -H -i 1 -x 24
slow slowbody -B -i 1 -x 24
# -z 32 -n 1: it reads 32 bytes a second, slowly, yet fast enough to reach
# the server's close within T (echo's response is about 115 bytes), so
# what it reports is the server's doing and not its own backlog.
slow slowread -X -k 1 -w 1 -y 64 -n 1 -z 32
noread
vanish
flood

# The server's CPU time over the whole run: a loop that spun on some
# connection's state would show here.
ticks=$(awk '{ print $14 + $15 }' "/proc/$echo_pid/stat")
cpu="$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')s CPU"

# Finally the graceful drain: SIGTERM, exit 0.
kill -TERM "$echo_pid"
rc=0
for _ in $(seq 150); do
	kill -0 "$echo_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$echo_pid" 2>/dev/null; then
	record shutdown 0 "echo still running 15 s after SIGTERM"
else
	wait "$echo_pid" || rc=$?
	record shutdown "$([ "$rc" = 0 ] && echo 1 || echo 0)" "exit $rc after SIGTERM; echo used $cpu in all"
fi

verdict=PASS
[ "$failed" = 0 ] || verdict=FAIL
summary="hostile $mode (T=${T}s): $(printf '%s | ' "${results[@]}")=> $verdict"
echo "$summary"
[ "$failed" = 0 ]
