#!/usr/bin/env bash
# bench/run.sh: biplane beside net/http, fasthttp and nginx, and the floor,
# on one core.
#
#   sudo bench/run.sh [--quick] [--rounds N] [--out DIR]
#                     [--phases throughput,memory,instructions,blink,loops,steps,static,uploads]
#                     [--servers floor,nethttp,fasthttp,biplane,nginx] [--base REV]
#                     [--steps-rt]
#
# The floor (floor/floor.c) is the least any HTTP/1.1 server can cost on
# this kernel path: one epoll thread that does no parsing, counting the
# ends of request heads and writing a canned response for each. Every
# table gains a "×floor" ratio from the same round.
#
# Every server serves GET / → "<b>Hello, world!</b>" (text/html) on
# 127.0.0.1:8080 inside a network namespace of its own, made fresh for each
# run and deleted after it (loopback only, so TIME_WAIT sockets left by one
# run cannot slow the next). The server is pinned to CPU 0 (GOMAXPROCS=1 for
# the Go servers), the load generator to CPU 1. Servers are interleaved over
# rounds, in an order that rotates each round, and each ratio is taken
# against net/http's value from the same round.
#
# Measured:
#   - keep-alive throughput, wrk -t1 -c64; pipelined depth 16 (pipeline.lua);
#     Connection: close at c16; with the server's CPU time per request, from
#     utime+stime in /proc/PID/stat before and after each wrk run;
#   - RSS growth per idle keep-alive connection, with 10,000 held open by
#     ./client -hold (VmRSS before and after);
#   - user-space instructions per request: the server runs under
#     valgrind --tool=cachegrind for two counts of sequential keep-alive
#     requests (./client -seq), and the difference of the totals is divided
#     by the difference of the counts, so start-up and shut-down cancel out;
#   - tick lateness of examples/blink at -hz 1000, idle and under wrk
#     keep-alive load, beside peers/nethttp-blink, and the machine's floor:
#     ./timerfloor, a thread that only sleeps until each tick (with the
#     default timer slack and with 1 ns);
#   - biplane with -loops 1 and -loops 2: on CPU 0 alone, and on both CPUs
#     shared with wrk;
#   - steps: the duration of every Server.Step of one loop under a hostile
#     mix (./steps: 1,000 idle keep-alive connections, pipelining 64 deep,
#     slowloris, a 1 GiB upload, a slow reader of a 64 MiB file, 503s past
#     MaxConns), with StepConns 4 and 64 (the descriptor table grown
#     beforehand), and once with -detail, which says what the slowest
#     steps did; beside the machine's own floor
#     (steps floor: the longest a spinning thread on CPU 0 is kept from
#     running). --steps-rt runs those under chrt -f 50 (SCHED_FIFO), so
#     that other work on a shared machine cannot preempt them;
#   - static files: 4 KiB, 64 KiB and 1 MiB files served by
#     examples/files (biplane), peers/nethttp-files (net/http's
#     FileServer) and nginx from one directory, and by the floor (one
#     file a run, a canned head and one sendfile), keep-alive (wrk -t1
#     -c64) and pipelined (depth 16, -c64, -c16, -c4), requests/s, server
#     CPU per request, and server and client CPU per request;
#   - uploads: 1 MiB (wrk -c16) and 64 MiB (wrk -c2) request bodies POSTed
#     by wrk (upload.lua) to ./upload, biplane's server taking them
#     buffered and streamed to a Receiver (also with a 64 KiB read
#     buffer), and to peers/nethttp-upload (net/http reading r.Body to
#     io.Discard): MiB/s and server CPU per MiB. The floor ignores
#     bodies, so it sits this out.
#
# --base REV adds "biplane-base", examples/hello built from git revision
# REV (a worktree under --out), run beside today's biplane in every phase
# that runs servers, so that a change is measured before and after in the
# same run, interleaved, on the same machine.
#
# --quick shortens every run (about 3 minutes in all); the default takes
# about 25 (with --base). Results go to --out (default: a new /tmp/biplane-bench.*
# directory): raw.tsv, report.md (also printed), env.txt, the logs,
# cachegrind's per-function counts for biplane, steps/ (each steps run's
# output and histogram), and charts/ (SVG, by ./chart: requests/s and CPU
# per request of every server, tick lateness, step durations). A run
# without --quick also copies the charts to bench/charts/, which the
# READMEs show.
#
# Needs root for ip netns. Installs wrk, nginx, valgrind, taskset and ip with
# apt-get when missing. Stops every process it started and deletes every
# namespace it made, also when interrupted.
set -euo pipefail

ARGS="$*"
BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
QUICK=0
ROUNDS=
OUT=
PHASES=throughput,memory,instructions,blink,loops,steps,static,uploads
SERVERS=(floor nethttp fasthttp biplane nginx)
BASE=
STEPS_RT=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--phases) PHASES=$2; shift ;;
	--servers) read -ra SERVERS <<<"${2//,/ }"; shift ;;
	--base) BASE=$2; shift ;;
	--steps-rt) STEPS_RT=(chrt -f 50) ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

# Rounds of the static and uploads phases: --rounds, or fewer than the
# throughput phase's, since each runs a dozen wrk runs.
FILE_ROUNDS=${ROUNDS:-$([[ $QUICK == 1 ]] && echo 1 || echo 3)}
if [[ $QUICK == 1 ]]; then
	D=2                # seconds per wrk run
	ROUNDS=${ROUNDS:-3}
	RSS_ROUNDS=1
	CG_COUNTS=(1000 5000)
	BLINK_D=2
	BLINK_ROUNDS=1
	LOOPS_ROUNDS=1
	STEPS_D=8 # seconds per steps run
	STEPS_ROUNDS=1
else
	D=5
	ROUNDS=${ROUNDS:-5}
	RSS_ROUNDS=3
	CG_COUNTS=(2000 12000)
	BLINK_D=5
	BLINK_ROUNDS=3
	LOOPS_ROUNDS=3
	STEPS_D=20
	STEPS_ROUNDS=2
fi
CONNS=10000 # held idle connections
PORT=8080   # nginx.conf listens here too
ADDR=127.0.0.1:$PORT
SERVER_CPU=0
CLIENT_CPU=1

die() {
	echo "run.sh: $*" >&2
	exit 1
}

[[ $EUID -eq 0 ]] || die "needs root, for ip netns"

# --- tools ---

APT_UPDATED=0
need() { # command package...
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null && return
	if [[ $APT_UPDATED == 0 ]]; then
		apt-get update -qq
		APT_UPDATED=1
	fi
	local p
	for p in "$@"; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null && break
	done
	command -v "$cmd" >/dev/null || die "cannot install $cmd"
}
need wrk wrk
need nginx nginx-light nginx
need valgrind valgrind
need cg_annotate valgrind
need taskset util-linux
need ip iproute2
need ss iproute2
command -v go >/dev/null || die "needs go (1.26 or later) on PATH"

OUT=${OUT:-$(mktemp -d /tmp/biplane-bench.XXXXXX)}
mkdir -p "$OUT"/{bin,log,cg,nginx,steps,charts}
BIN=$OUT/bin
RAW=$OUT/raw.tsv
: >"$RAW"

# --- processes and namespaces: every one is stopped or deleted on exit ---

PIDS=()
NSES=()
NSN=0

forget() { # pid
	local keep=() p
	for p in "${PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# stop sends SIGTERM to a process this script started and waits for it,
# killing it after a grace period. It repeats SIGTERM every 2 s: nginx in
# single-process mode can miss a signal that valgrind delivers just before
# its epoll_wait.
stop() { # pid [grace-seconds]
	local pid=$1 grace=${2:-15} i
	for ((i = 0; i < grace * 10; i++)); do
		((i % 20 == 0)) && { kill -TERM "$pid" 2>/dev/null || true; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget "$pid"
}

ns_new() {
	NS=bpbench$$-$((++NSN))
	ip netns add "$NS"
	NSES+=("$NS")
	ip -n "$NS" link set lo up
	# Room for the client side of Connection: close runs.
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
}

ns_del() { # ns
	local p keep=() n
	# Whatever is still inside was started by this script.
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.1
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	ip netns del "$1" 2>/dev/null || true
	for n in "${NSES[@]}"; do
		[[ $n == "$1" ]] || keep+=("$n")
	done
	NSES=("${keep[@]}")
}

cleanup() {
	local p n
	trap - EXIT INT TERM HUP PIPE
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.3
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for n in "${NSES[@]}"; do
		ns_del "$n"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# run_bg starts a command in namespace $NS, pinned to cpus, and sets PID.
run_bg() { # cpus gomaxprocs logfile cmd...
	local cpus=$1 procs=$2 log=$3
	shift 3
	ip netns exec "$NS" taskset -c "$cpus" env GOMAXPROCS="$procs" "$@" >"$log" 2>&1 &
	PID=$!
	PIDS+=("$PID")
}

# in_ns runs a command in $NS on the client CPU, in the foreground.
in_ns() { # cpus cmd...
	local cpus=$1
	shift
	ip netns exec "$NS" taskset -c "$cpus" "$@"
}

wait_listen() { # pid log timeout-seconds
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		kill -0 "$1" 2>/dev/null || {
			cat "$2" >&2
			die "server exited before listening (log $2)"
		}
		[[ -n $(ip netns exec "$NS" ss -Hltn "sport = :$PORT") ]] && return
		sleep 0.05
	done
	die "server not listening after $3 s (log $2)"
}

# server_argv sets ARGV to the command line of a server.
server_argv() { # name [valgrind]
	case $1 in
	floor) ARGV=("$BIN/floor" "$ADDR") ;;
	nethttp) ARGV=("$BIN/nethttp-hello" -addr "$ADDR") ;;
	fasthttp) ARGV=("$BIN/fasthttp-hello" -addr "$ADDR") ;;
	biplane) ARGV=("$BIN/biplane-hello" -addr "$ADDR") ;;
	biplane-base) ARGV=("$BIN/biplane-base-hello" -addr "$ADDR") ;;
	nginx)
		local master=on
		[[ ${2:-} == valgrind ]] && master=off
		ARGV=(nginx -e stderr -p "$OUT/nginx/" -c "$BENCH/nginx.conf" -g "daemon off; master_process $master;")
		;;
	*) die "unknown server $1" ;;
	esac
}

# pids_of lists a process and its children (nginx's worker).
pids_of() { echo "$1" $(pgrep -P "$1" || true); }

cpu_ticks() { # pid → utime+stime of it and its children, in clock ticks
	local t=0 p
	for p in $(pids_of "$1"); do
		# Fields after "pid (comm) ": state is 1, utime 12, stime 13.
		t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo "$t"
}

rss_kib() { # pid → VmRSS of it and its children, in KiB
	local t=0 p
	for p in $(pids_of "$1"); do
		t=$((t + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")))
	done
	echo "$t"
}

HZ=$(getconf CLK_TCK)

has_phase() { [[ ,$PHASES, == *,$1,* ]]; }

metric() { # name baseline unit title
	printf '#metric\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
}
record() { # metric server round value
	printf '%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
}

# wrk_run runs wrk on $NS and sets REQS and RPS; it warns about errors.
wrk_run() { # log cpus wrk-args...
	local log=$1 cpus=$2
	shift 2
	in_ns "$cpus" wrk "$@" "http://$ADDR/" >"$log" 2>&1 || die "wrk failed (log $log)"
	REQS=$(awk '/requests in/ {print $1}' "$log")
	RPS=$(awk '/^Requests\/sec:/ {print $2}' "$log")
	[[ -n $REQS && -n $RPS ]] || die "no result from wrk (log $log)"
	if grep -qE 'Socket errors|Non-2xx' "$log"; then
		echo "  warning: $(grep -hE 'Socket errors|Non-2xx' "$log" | tr -s ' ' | paste -sd';') ($log)" >&2
		echo "## $log: $(grep -hE 'Socket errors|Non-2xx' "$log" | tr -s ' ' | paste -sd';')" >>"$RAW"
	fi
}

client() { "$BIN/client" -addr "$ADDR" "$@"; }

# --- build ---

echo "== building into $BIN (at ${SECONDS}s)"
(cd "$ROOT" && go build -o "$BIN/biplane-hello" ./examples/hello &&
	go build -o "$BIN/biplane-echo" ./examples/echo &&
	go build -o "$BIN/blink" ./examples/blink)
gcc -O2 -Wall -o "$BIN/floor" "$BENCH/floor/floor.c"
if [[ -n $BASE ]]; then
	git -C "$ROOT" worktree add --detach "$OUT/base" "$BASE" >/dev/null
	(cd "$OUT/base" && go build -o "$BIN/biplane-base-hello" ./examples/hello &&
		go build -o "$BIN/biplane-base-files" ./examples/files)
	git -C "$ROOT" worktree remove --force "$OUT/base"
	SERVERS+=(biplane-base)
fi
(cd "$BENCH" && go build -o "$BIN/" ./peers/nethttp-hello ./peers/fasthttp-hello ./peers/nethttp-blink ./client ./report ./timerfloor ./steps ./chart)
# The static and uploads phases' servers.
(cd "$ROOT" && go build -o "$BIN/biplane-files" ./examples/files)
(cd "$BENCH" && go build -o "$BIN/" ./peers/nethttp-files ./peers/nethttp-upload ./upload)

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
	echo "go: $(go version | awk '{print $3}'); $(nginx -v 2>&1 | sed 's/.*: //'); $(wrk --version 2>&1 | awk 'NR == 1 {print "wrk " $2}'); $(valgrind --version)"
	echo "biplane: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$([[ -n $(git -C "$ROOT" status --porcelain -- '*.go' ':!:*_test.go' ':!:bench' 2>/dev/null) ]] && echo ' + uncommitted changes to .go files')"
	echo "mode: $([[ $QUICK == 1 ]] && echo quick || echo full): $ROUNDS rounds of ${D}s wrk runs"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "busiest processes at start:"
	top -b -n 2 -d 1 -o %CPU -w 120 | awk '/^top -/ {n++} n == 2' | sed -n '8,12p' | awk '{printf "    %5s%% %s\n", $9, $12}'
} >"$OUT/env.txt"
cat "$OUT/env.txt"

# --- throughput and CPU per request ---

metric ka_rps nethttp rps "Keep-alive: wrk -t1 -c64 -d${D}s, requests/s"
metric ka_cpu nethttp us "Keep-alive: server CPU time per request, µs"
metric ka_busy - pct "Keep-alive: server CPU use, % of its core (100 = the server is the bottleneck, less = wrk is)"
metric pipe_rps nethttp rps "Pipelined, depth 16: wrk -t1 -c64 -d${D}s -s pipeline.lua, requests/s"
metric pipe_cpu nethttp us "Pipelined, depth 16: server CPU time per request, µs"
metric close_rps nethttp rps "Connection: close: wrk -t1 -c16 -d${D}s -H 'Connection: close', requests/s"
metric close_cpu nethttp us "Connection: close: server CPU time per request, µs"

# cpu_per_req prints µs of server CPU per request between two tick counts.
cpu_per_req() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$HZ" 'BEGIN {printf "%.3f", (b - a) * 1e6 / hz / n}'; }

throughput() { # round server
	local r=$1 s=$2 log=$OUT/log/r$1-$2 t0 t1
	ns_new
	server_argv "$s"
	run_bg $SERVER_CPU 1 "$log.server" "${ARGV[@]}"
	wait_listen "$PID" "$log.server" 10
	in_ns $CLIENT_CPU "$BIN/client" -addr "$ADDR" -seq 100 >/dev/null # answers 200?
	wrk_run "$log.warm" $CLIENT_CPU -t1 -c64 -d1s

	t0=$(cpu_ticks "$PID")
	wrk_run "$log.ka" $CLIENT_CPU -t1 -c64 -d${D}s
	t1=$(cpu_ticks "$PID")
	record ka_rps "$s" "$r" "$RPS"
	record ka_cpu "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$REQS")"
	record ka_busy "$s" "$r" "$(awk -v us="$(cpu_per_req "$t0" "$t1" "$REQS")" -v rps="$RPS" 'BEGIN {printf "%.1f", us * rps / 1e4}')"

	t0=$(cpu_ticks "$PID")
	wrk_run "$log.pipe" $CLIENT_CPU -t1 -c64 -d${D}s -s "$BENCH/pipeline.lua"
	t1=$(cpu_ticks "$PID")
	record pipe_rps "$s" "$r" "$RPS"
	record pipe_cpu "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$REQS")"

	t0=$(cpu_ticks "$PID")
	wrk_run "$log.close" $CLIENT_CPU -t1 -c16 -d${D}s -H 'Connection: close'
	t1=$(cpu_ticks "$PID")
	record close_rps "$s" "$r" "$RPS"
	record close_cpu "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$REQS")"

	stop "$PID"
	ns_del "$NS"
	printf '  round %d %-9s keep-alive %8.0f rps, pipelined %8.0f rps, close %7.0f rps\n' "$r" "$s" \
		"$(awk '$1=="ka_rps" && $2=="'"$s"'" && $3=="'"$r"'" {print $4}' "$RAW")" \
		"$(awk '$1=="pipe_rps" && $2=="'"$s"'" && $3=="'"$r"'" {print $4}' "$RAW")" "$RPS"
}

if has_phase throughput; then
	echo "== throughput: $ROUNDS rounds (at ${SECONDS}s)"
	for ((r = 1; r <= ROUNDS; r++)); do
		n=${#SERVERS[@]}
		for ((i = 0; i < n; i++)); do
			throughput "$r" "${SERVERS[$(((i + r - 1) % n))]}"
		done
	done
fi

# --- memory per idle keep-alive connection ---

metric rss_kib nethttp kib "RSS growth per idle keep-alive connection, $CONNS held open, KiB"

held() { # round server
	local r=$1 s=$2 log=$OUT/log/r$1-$2 cpid i rss0 rss1
	ns_new
	if [[ $s == biplane || $s == biplane-base ]]; then
		# The default MaxConns, 1024, would refuse the rest with 503.
		server_argv "$s"
		ARGV+=(-max-conns $((CONNS + 1000)))
	else
		server_argv "$s"
	fi
	run_bg $SERVER_CPU 1 "$log.server-held" "${ARGV[@]}"
	wait_listen "$PID" "$log.server-held" 10
	in_ns $CLIENT_CPU "$BIN/client" -addr "$ADDR" -seq 10 >/dev/null
	sleep 0.5
	rss0=$(rss_kib "$PID")
	local spid=$PID
	run_bg $CLIENT_CPU 1 "$log.hold" "$BIN/client" -addr "$ADDR" -hold "$CONNS"
	cpid=$PID
	for ((i = 0; i < 600; i++)); do
		grep -q '^held' "$log.hold" && break
		kill -0 "$cpid" 2>/dev/null || die "client -hold failed: $(cat "$log.hold")"
		sleep 0.1
	done
	grep -q '^held' "$log.hold" || die "client -hold did not finish (log $log.hold)"
	sleep 1
	rss1=$(rss_kib "$spid")
	stop "$cpid"
	stop "$spid"
	ns_del "$NS"
	record rss_kib "$s" "$r" "$(awk -v a="$rss0" -v b="$rss1" -v n="$CONNS" 'BEGIN {printf "%.4f", (b - a) / n}')"
	printf '  round %d %-9s VmRSS %6d KiB → %6d KiB with %d connections\n' "$r" "$s" "$rss0" "$rss1" "$CONNS"
}

if has_phase memory; then
	echo "== memory: $CONNS idle keep-alive connections, $RSS_ROUNDS rounds (at ${SECONDS}s)"
	for ((r = 1; r <= RSS_ROUNDS; r++)); do
		n=${#SERVERS[@]}
		for ((i = 0; i < n; i++)); do
			held "$r" "${SERVERS[$(((i + r - 1) % n))]}"
		done
	done
fi

# --- instructions per request ---

metric instr nethttp count "User-space instructions per keep-alive request (cachegrind, ${CG_COUNTS[1]} − ${CG_COUNTS[0]} sequential requests)"

cachegrind() { # server count → sets IR
	local s=$1 n=$2 log=$OUT/log/cg-$1-$2 out=$OUT/cg/$1.$2.out
	ns_new
	server_argv "$s" valgrind
	run_bg $SERVER_CPU 1 "$log.server" valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$out" "${ARGV[@]}"
	wait_listen "$PID" "$log.server" 120
	in_ns $CLIENT_CPU "$BIN/client" -addr "$ADDR" -seq "$n" >"$log.client" 2>&1 || die "client -seq failed (log $log.client)"
	stop "$PID" 120
	ns_del "$NS"
	IR=$(awk '/^summary:/ {print $2}' "$out")
	[[ -n $IR ]] || die "no cachegrind summary in $out (log $log.server)"
}

if has_phase instructions; then
	echo "== instructions: cachegrind, ${CG_COUNTS[0]} and ${CG_COUNTS[1]} requests (at ${SECONDS}s)"
	for s in "${SERVERS[@]}"; do
		cachegrind "$s" "${CG_COUNTS[0]}"
		a=$IR
		cachegrind "$s" "${CG_COUNTS[1]}"
		b=$IR
		per=$(awk -v a="$a" -v b="$b" -v n=$((CG_COUNTS[1] - CG_COUNTS[0])) 'BEGIN {printf "%.1f", (b - a) / n}')
		record instr "$s" 1 "$per"
		printf '  %-9s %14d and %14d instructions: %s per request\n' "$s" "$a" "$b" "$per"
	done

	# biplane's per-function counts, per request: cg_diff subtracts the smaller
	# run from the larger.
	if [[ -f $OUT/cg/biplane.${CG_COUNTS[1]}.out ]]; then
		cg_diff "$OUT/cg/biplane.${CG_COUNTS[0]}.out" "$OUT/cg/biplane.${CG_COUNTS[1]}.out" >"$OUT/cg/biplane.diff" 2>/dev/null
		cg_annotate --threshold=0.1 "$OUT/cg/biplane.diff" >"$OUT/cachegrind-biplane.txt" 2>/dev/null || true
		awk -v n=$((CG_COUNTS[1] - CG_COUNTS[0])) '
			/file:function/ { head = 1; next }
			head && /^-+$/ { on = 1; next }
			on && NF == 0 { exit }
			on && $1 ~ /^-?[0-9,]+$/ {
				v = $1; gsub(",", "", v)
				f = $0; sub(/^[^)]*\) +/, "", f) # drop the count and its percentage
				sub(/^[^:]*\//, "", f)            # and the file'"'"'s directory
				gsub("github.com/biplane-go/", "", f)
				printf "%8.1f  %s\n", v / n, f
				if (++shown == 40) exit
			}' "$OUT/cachegrind-biplane.txt" >"$OUT/cachegrind-biplane-per-request.txt"
		echo "  biplane per request, top functions ($OUT/cachegrind-biplane-per-request.txt):"
		head -15 "$OUT/cachegrind-biplane-per-request.txt" | sed 's/^/    /'
	fi
fi

# --- tick lateness ---

for mode in idle load; do
	for q in p50 p99 max; do
		metric "blink_${mode}_$q" - us "Tick lateness at 1 kHz, $mode$([[ $mode == load ]] && echo " (wrk -t1 -c64 -d${BLINK_D}s)"), $q, µs"
	done
done

blink() { # round program mode
	local r=$1 p=$2 mode=$3 log=$OUT/log/r$1-$2-$3 line
	ns_new
	case $p in
	timerfloor) run_bg $SERVER_CPU 1 "$log.server" "$BIN/timerfloor" -hz 1000 ;;
	timerfloor-slack1ns) run_bg $SERVER_CPU 1 "$log.server" "$BIN/timerfloor" -hz 1000 -slack 1ns ;;
	*)
		run_bg $SERVER_CPU 1 "$log.server" "$BIN/$p" -hz 1000 -addr "$ADDR"
		wait_listen "$PID" "$log.server" 10
		;;
	esac
	if [[ $mode == idle ]]; then
		sleep "$BLINK_D"
	else
		wrk_run "$log.wrk" $CLIENT_CPU -t1 -c64 -d${BLINK_D}s
	fi
	stop "$PID"
	ns_del "$NS"
	line=$(grep '^ticks' "$log.server") || die "no ticks line from $p (log $log.server)"
	set -- $line
	record "blink_${mode}_p50" "$p" "$r" "$4"
	record "blink_${mode}_p99" "$p" "$r" "$6"
	record "blink_${mode}_max" "$p" "$r" "$8"
	printf '  round %d %-13s %-4s %s\n' "$r" "$p" "$mode" "$line"
}

if has_phase blink; then
	echo "== tick lateness at 1 kHz: $BLINK_ROUNDS rounds (at ${SECONDS}s)"
	for ((r = 1; r <= BLINK_ROUNDS; r++)); do
		for p in blink nethttp-blink; do
			blink "$r" "$p" idle
			blink "$r" "$p" load
		done
		# The machine's floor: a thread that only sleeps until each tick.
		blink "$r" timerfloor idle
		blink "$r" timerfloor-slack1ns idle
	done
fi

# --- loops ---

metric loops_rps biplane-1loop-cpu0 rps "Keep-alive, wrk -t1 -c64 -d${D}s, requests/s: biplane -loops 1 and 2, on CPU 0 (wrk on CPU 1) or on both CPUs shared with wrk"

loops() { # round config
	local r=$1 c=$2 log=$OUT/log/r$1-$2 cpus procs wcpus argv
	case $c in
	biplane-1loop-cpu0) cpus=0 procs=1 wcpus=1 argv=("$BIN/biplane-hello" -addr "$ADDR" -loops 1) ;;
	biplane-2loops-cpu0) cpus=0 procs=2 wcpus=1 argv=("$BIN/biplane-hello" -addr "$ADDR" -loops 2) ;;
	biplane-1loop-2cpus) cpus=0,1 procs=2 wcpus=0,1 argv=("$BIN/biplane-hello" -addr "$ADDR" -loops 1) ;;
	biplane-2loops-2cpus) cpus=0,1 procs=2 wcpus=0,1 argv=("$BIN/biplane-hello" -addr "$ADDR" -loops 2) ;;
	nethttp-2cpus) cpus=0,1 procs=2 wcpus=0,1 argv=("$BIN/nethttp-hello" -addr "$ADDR") ;;
	fasthttp-2cpus) cpus=0,1 procs=2 wcpus=0,1 argv=("$BIN/fasthttp-hello" -addr "$ADDR") ;;
	esac
	ns_new
	run_bg "$cpus" "$procs" "$log.server" "${argv[@]}"
	wait_listen "$PID" "$log.server" 10
	wrk_run "$log.warm" "$wcpus" -t1 -c64 -d1s
	wrk_run "$log.ka" "$wcpus" -t1 -c64 -d${D}s
	record loops_rps "$c" "$r" "$RPS"
	stop "$PID"
	ns_del "$NS"
	printf '  round %d %-21s %8.0f rps\n' "$r" "$c" "$RPS"
}

LOOPS=(biplane-1loop-cpu0 biplane-2loops-cpu0 biplane-1loop-2cpus biplane-2loops-2cpus nethttp-2cpus fasthttp-2cpus)
if has_phase loops; then
	echo "== loops: $LOOPS_ROUNDS rounds (at ${SECONDS}s)"
	for ((r = 1; r <= LOOPS_ROUNDS; r++)); do
		n=${#LOOPS[@]}
		for ((i = 0; i < n; i++)); do
			loops "$r" "${LOOPS[$(((i + r - 1) % n))]}"
		done
	done
fi

# --- step durations under a hostile mix ---

STEPS_CONFIGS=(machine stepconns4 stepconns4-detail stepconns64)
for q in p50 p999 max; do
	metric "steps_$q" - us "Server.Step duration, one loop under the hostile mix (steps -d ${STEPS_D}s$([[ ${#STEPS_RT[@]} -gt 0 ]] && echo ", chrt -f 50")), ${q/p999/p99.9}, µs (machine: a spinning loop's gaps)"
done
metric steps_over100 - count "Server.Step: steps over 100 µs in ${STEPS_D}s"

# steps_run runs one configuration of ./steps in a namespace of its own:
# the server on CPU 0, its load process (which it starts and stops) on
# CPU 1.
steps_run() { # round config
	local r=$1 c=$2 log=$OUT/steps/$2.r$1 argv line
	case $c in
	machine) argv=("$BIN/steps" floor -d "${STEPS_D}s") ;;
	# The descriptor table is grown before serving (-reserve-conns: unixsock.Config.Conns), except
	# with -detail, whose slowest steps then show what growing it costs.
	stepconns4) argv=("$BIN/steps" -d "${STEPS_D}s" -step-conns 4 -load-cpus $CLIENT_CPU -reserve-conns 4096) ;;
	stepconns4-detail) argv=("$BIN/steps" -d "${STEPS_D}s" -step-conns 4 -load-cpus $CLIENT_CPU -detail -top 16) ;;
	stepconns64) argv=("$BIN/steps" -d "${STEPS_D}s" -step-conns 64 -load-cpus $CLIENT_CPU -reserve-conns 4096) ;;
	esac
	ns_new
	ip netns exec "$NS" "${STEPS_RT[@]}" taskset -c $SERVER_CPU env GOMAXPROCS=1 \
		timeout -k 10 $((STEPS_D + 60)) "${argv[@]}" -hist "$log.tsv" >"$log.txt" 2>&1 ||
		die "steps $c failed (log $log.txt)"
	ns_del "$NS"
	if [[ $c == stepconns4-detail ]]; then
		# With -detail, the probes between steps change the loop's pace:
		# what it contributes is its analysis, and the clean steps.
		line=$(grep -E '^steps-clean [0-9]' "$log.txt") || die "no steps-clean line (log $log.txt)"
		c=stepconns4-clean
	else
		line=$(grep -E '^(steps|floor) [0-9]' "$log.txt") || die "no result line (log $log.txt)"
	fi
	# name N mean_us A p50_us B p99_us C p999_us D p9999_us E max_us F over100us G over20us H
	set -- $line
	record steps_p50 "$c" "$r" "$6"
	record steps_p999 "$c" "$r" "${10}"
	record steps_max "$c" "$r" "${14}"
	record steps_over100 "$c" "$r" "${16}"
	printf '  round %d %-17s %s steps, p50 %s µs, p99.9 %s µs, max %s µs\n' "$r" "$c" "$2" "$6" "${10}" "${14}"
	grep '^warning' "$log.txt" >&2 || true
}

if has_phase steps; then
	echo "== steps: Server.Step durations under a hostile mix, ${STEPS_D}s runs, $STEPS_ROUNDS rounds (at ${SECONDS}s)"
	for ((r = 1; r <= STEPS_ROUNDS; r++)); do
		for c in "${STEPS_CONFIGS[@]}"; do
			steps_run "$r" "$c"
		done
	done
fi

# --- static files ---

# The files, NAME:BYTES:C, random bytes named .jpg, a type every server
# knows without looking inside (net/http would read a file of a type it
# does not know, to sniff it). C is the connections of the pipelined runs:
# fewer for larger files, so that a run sees many batches of 16 responses
# (64 connections would have a GiB of 1 MiB responses in flight).
STATIC_FILES=(4k:4096:64 64k:65536:16 1m:1048576:4)
WWW=$OUT/www
size_label() { # 4k → 4 KiB, 1m → 1 MiB
	case $1 in
	*k) echo "${1%k} KiB" ;;
	*m) echo "${1%m} MiB" ;;
	esac
}
for f in "${STATIC_FILES[@]}"; do
	IFS=: read -r n b c <<<"$f"
	l=$(size_label "$n")
	metric "static_${n}_ka_rps" nethttp rps "Static file of $l, keep-alive: wrk -t1 -c64 -d${D}s, requests/s"
	metric "static_${n}_ka_cpu" nethttp us "Static file of $l, keep-alive: server CPU time per request, µs"
	metric "static_${n}_ka_total" nethttp us "Static file of $l, keep-alive: server and client (wrk) CPU time per request, µs"
	metric "static_${n}_pipe_rps" nethttp rps "Static file of $l, pipelined, depth 16: wrk -t1 -c$c -d${D}s -s pipeline.lua, requests/s"
	metric "static_${n}_pipe_cpu" nethttp us "Static file of $l, pipelined, depth 16: server CPU time per request, µs"
	metric "static_${n}_pipe_total" nethttp us "Static file of $l, pipelined, depth 16: server and client (wrk) CPU time per request, µs"
done

# children_us sets CHILD_US to the CPU time the script's finished children
# (wrk) have used so far, in µs. Loopback's transmit work falls on the CPU
# of whichever side's system call or acknowledgement sends each segment,
# so for large files the server's own CPU time depends on how it sends
# them (one sendfile per file leaves more to the client's CPU than one
# per piece): the sum is the comparable cost.
children_us() {
	times >"$OUT/times"
	CHILD_US=$(awk 'NR == 2 {split($1, u, "m"); split($2, s, "m"); printf "%.0f", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1e6}' "$OUT/times")
}

# total_per_req prints server ticks t0..t1 plus client µs c0..c1, per
# request, in µs.
total_per_req() { # t0 t1 c0 c1 requests
	awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v n="$5" -v hz="$HZ" 'BEGIN {printf "%.3f", ((b - a) * 1e6 / hz + d - c) / n}'
}

# wrk_to runs wrk on $NS against a path of $ADDR and sets REQS and RPS, as
# wrk_run does. Arguments after -- are the script's.
wrk_to() { # log cpus path wrk-args... [-- script-args...]
	local log=$1 cpus=$2 path=$3 opts=()
	shift 3
	while [[ $# -gt 0 && $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	in_ns "$cpus" wrk "${opts[@]}" "http://$ADDR$path" "$@" >"$log" 2>&1 || die "wrk failed (log $log)"
	REQS=$(awk '/requests in/ {print $1}' "$log")
	RPS=$(awk '/^Requests\/sec:/ {print $2}' "$log")
	[[ -n $REQS && -n $RPS ]] || die "no result from wrk (log $log)"
	if grep -qE 'Socket errors|Non-2xx' "$log"; then
		echo "  warning: $(grep -hE 'Socket errors|Non-2xx' "$log" | tr -s ' ' | paste -sd';') ($log)" >&2
		echo "## $log: $(grep -hE 'Socket errors|Non-2xx' "$log" | tr -s ' ' | paste -sd';')" >>"$RAW"
	fi
}

# static_argv sets ARGV to the command line of a server's file server, or
# returns 1 for a server without one (fasthttp). The floor serves one file
# whatever the path (it parses nothing), so it is started once per file.
static_argv() { # server file
	case $1 in
	floor) ARGV=("$BIN/floor" "$ADDR" "$WWW/$2.jpg") ;;
	nethttp) ARGV=("$BIN/nethttp-files" -addr "$ADDR" -dir "$WWW") ;;
	# No Cache-Control, as the others send none.
	biplane) ARGV=("$BIN/biplane-files" -addr "$ADDR" -dir "$WWW" -cache-control "") ;;
	biplane-base) ARGV=("$BIN/biplane-base-files" -addr "$ADDR" -dir "$WWW" -cache-control "") ;;
	nginx) server_argv nginx ;; # nginx.conf serves PREFIX/www, a link to $WWW
	*) return 1 ;;
	esac
}

# static_start starts the file server of ARGV on a new netns, logging to
# log, unless one runs already.
STATIC_PID=
static_start() { # log
	if [[ -z $STATIC_PID ]]; then
		ns_new
		run_bg $SERVER_CPU 1 "$1" "${ARGV[@]}"
		wait_listen "$PID" "$1" 10
		STATIC_PID=$PID
	fi
}

static_stop() {
	stop "$STATIC_PID"
	ns_del "$NS"
	STATIC_PID=
}

static_run() { # round server
	local r=$1 s=$2 log=$OUT/log/r$1-static-$2 f n b c t0 t1 c0 slog line=
	static_argv "$s" 4k || return 0
	for f in "${STATIC_FILES[@]}"; do
		IFS=: read -r n b c <<<"$f"
		static_argv "$s" "$n"
		slog=$log.server
		if [[ $s == floor ]]; then
			slog=$log.$n.server
		fi
		static_start "$slog"
		PID=$STATIC_PID
		if command -v curl >/dev/null; then
			in_ns $CLIENT_CPU curl -sS "http://$ADDR/$n.jpg" | cmp -s - "$WWW/$n.jpg" ||
				die "$s: GET /$n.jpg did not answer the file's bytes (log $slog)"
		fi
		wrk_to "$log.$n.warm" $CLIENT_CPU "/$n.jpg" -t1 -c64 -d1s --timeout 10s

		t0=$(cpu_ticks "$PID")
		children_us
		c0=$CHILD_US
		wrk_to "$log.$n.ka" $CLIENT_CPU "/$n.jpg" -t1 -c64 -d${D}s --timeout 10s
		children_us
		t1=$(cpu_ticks "$PID")
		record "static_${n}_ka_rps" "$s" "$r" "$RPS"
		record "static_${n}_ka_cpu" "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$REQS")"
		record "static_${n}_ka_total" "$s" "$r" "$(total_per_req "$t0" "$t1" "$c0" "$CHILD_US" "$REQS")"
		line+=$(printf ' %s %7.0f' "$n" "$RPS")

		t0=$(cpu_ticks "$PID")
		children_us
		c0=$CHILD_US
		wrk_to "$log.$n.pipe" $CLIENT_CPU "/$n.jpg" -t1 -c"$c" -d${D}s --timeout 10s -s "$BENCH/pipeline.lua"
		children_us
		t1=$(cpu_ticks "$PID")
		record "static_${n}_pipe_rps" "$s" "$r" "$RPS"
		record "static_${n}_pipe_cpu" "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$REQS")"
		record "static_${n}_pipe_total" "$s" "$r" "$(total_per_req "$t0" "$t1" "$c0" "$CHILD_US" "$REQS")"
		line+=$(printf ' /%7.0f' "$RPS")
		if [[ $s == floor ]]; then
			static_stop
		fi
	done
	if [[ -n $STATIC_PID ]]; then
		static_stop
	fi
	printf '  round %d %-12s rps keep-alive / pipelined:%s\n' "$r" "$s" "$line"
}

if has_phase static; then
	echo "== static files: ${STATIC_FILES[*]}, $FILE_ROUNDS rounds (at ${SECONDS}s)"
	mkdir -p "$WWW"
	for f in "${STATIC_FILES[@]}"; do
		IFS=: read -r n b c <<<"$f"
		head -c "$b" /dev/urandom >"$WWW/$n.jpg"
	done
	ln -sfn "$WWW" "$OUT/nginx/www"
	for ((r = 1; r <= FILE_ROUNDS; r++)); do
		n=${#SERVERS[@]}
		for ((i = 0; i < n; i++)); do
			static_run "$r" "${SERVERS[$(((i + r - 1) % n))]}"
		done
	done
fi

# --- uploads ---

# The bodies, NAME:BYTES:CONNECTIONS.
UPLOADS=(1m:1048576:16 64m:67108864:2)
for u in "${UPLOADS[@]}"; do
	IFS=: read -r n b c <<<"$u"
	metric "upload_${n}_mibs" nethttp mibs "Upload of $(size_label "$n") bodies: wrk -t1 -c$c -d${D}s -s upload.lua, MiB/s"
	metric "upload_${n}_cpu" nethttp us "Upload of $(size_label "$n") bodies: server CPU time per MiB, µs"
done

uploads_run() { # round server
	local r=$1 s=$2 log=$OUT/log/r$1-upload-$2 u n b c path=/ t0 t1 line=
	case $s in
	nethttp) ARGV=("$BIN/nethttp-upload" -addr "$ADDR") ;;
	biplane-buffered) ARGV=("$BIN/upload" -addr "$ADDR") path=/buffered ;;
	biplane-stream) ARGV=("$BIN/upload" -addr "$ADDR") path=/stream ;;
	# The same with a 64 KiB read buffer, which a streamed body passes
	# through: what the default 4 KiB costs.
	biplane-stream-rb64k) ARGV=("$BIN/upload" -addr "$ADDR" -read-buffer 65536) path=/stream ;;
	esac
	ns_new
	run_bg $SERVER_CPU 1 "$log.server" "${ARGV[@]}"
	wait_listen "$PID" "$log.server" 10
	for u in "${UPLOADS[@]}"; do
		IFS=: read -r n b c <<<"$u"
		wrk_to "$log.$n.warm" $CLIENT_CPU "$path" -t1 -c"$c" -d1s --timeout 10s -s "$BENCH/upload.lua" -- "$b"
		t0=$(cpu_ticks "$PID")
		wrk_to "$log.$n" $CLIENT_CPU "$path" -t1 -c"$c" -d${D}s --timeout 10s -s "$BENCH/upload.lua" -- "$b"
		t1=$(cpu_ticks "$PID")
		record "upload_${n}_mibs" "$s" "$r" "$(awk -v rps="$RPS" -v b="$b" 'BEGIN {printf "%.1f", rps * b / 1048576}')"
		record "upload_${n}_cpu" "$s" "$r" "$(cpu_per_req "$t0" "$t1" "$(awk -v n="$REQS" -v b="$b" 'BEGIN {print n * b / 1048576}')")"
		line+=$(printf ' %s %6.0f MiB/s' "$n" "$(awk -v rps="$RPS" -v b="$b" 'BEGIN {print rps * b / 1048576}')")
	done
	stop "$PID"
	ns_del "$NS"
	printf '  round %d %-20s%s\n' "$r" "$s" "$line"
}

if has_phase uploads; then
	echo "== uploads: ${UPLOADS[*]}, $FILE_ROUNDS rounds (at ${SECONDS}s)"
	UPLOAD_SERVERS=(nethttp biplane-buffered biplane-stream biplane-stream-rb64k)
	for ((r = 1; r <= FILE_ROUNDS; r++)); do
		n=${#UPLOAD_SERVERS[@]}
		for ((i = 0; i < n; i++)); do
			uploads_run "$r" "${UPLOAD_SERVERS[$(((i + r - 1) % n))]}"
		done
	done
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

# --- report ---

{
	sed 's/^/    /' "$OUT/env.txt"
	echo
	echo "Command: bench/run.sh $ARGS"
	echo
	"$BIN/report" <"$RAW"
	if [[ -f $OUT/cachegrind-biplane-per-request.txt ]]; then
		echo
		echo "biplane, cachegrind per request (top functions, instructions):"
		echo
		sed 's/^/    /' "$OUT/cachegrind-biplane-per-request.txt"
	fi
	if [[ -f $OUT/steps/stepconns4-detail.r$STEPS_ROUNDS.txt ]]; then
		echo
		echo "Server.Step under the hostile mix, StepConns 4, with -detail (round $STEPS_ROUNDS):"
		echo
		sed -n '/^steps: measured/,$p' "$OUT/steps/stepconns4-detail.r$STEPS_ROUNDS.txt"
	fi
} >"$OUT/report.md"
echo
echo "== report ($OUT/report.md) (at ${SECONDS}s)"
cat "$OUT/report.md"

echo
echo "== charts ($OUT/charts)"
"$BIN/chart" -raw "$RAW" -env "$OUT/env.txt" -steps "$OUT/steps" -out "$OUT/charts"
if [[ $QUICK == 0 ]] && compgen -G "$OUT/charts/*.svg" >/dev/null; then
	mkdir -p "$BENCH/charts"
	cp "$OUT"/charts/*.svg "$BENCH/charts/"
	echo "copied to $BENCH/charts/"
fi
