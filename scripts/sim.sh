#!/usr/bin/env bash
# scripts/sim.sh: the deterministic simulation (sim_test.go, internal/sim)
# beyond the few hundred seeds `go test` runs.
#
#   scripts/sim.sh [-seeds N] [-minutes M] [-first S]   a campaign
#   scripts/sim.sh -faults [-seeds N]                   the proof that it finds bugs
#
# A campaign runs seeds S, S+1, … until N have run or M minutes have
# passed (whichever is given; M wins), and prints seeds per second and the
# steps simulated. A failure prints its seed, its step and the command
# that replays it exactly, then shrinks it: it leaves out as many of the
# seed's clients as it can while the failure stays, and prints that
# replay too (-sim.drop).
#
# -faults copies the repository to a temporary directory once per
# deliberate fault, plants the fault there with sed (the repository itself
# is never touched), runs the simulation until it fails, and prints how
# many seeds it took to find, and to how many clients it shrank:
#
#   lost-wake      Wakeup.Wake does not resume a receiver held back
#   chunk-framing  a chunk's data is taken one byte longer than its size
#   stale-deadline a pipelined request's clock starts at the one before it
#   ended-twice    a receiver that answered is aborted when its connection closes
#
# Exits 1 if a campaign fails or a fault goes unfound.
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=1000 minutes=0 first=1 faults=0
while [[ $# -gt 0 ]]; do
	case $1 in
	-seeds) seeds=$2; shift ;;
	-minutes) minutes=$2; shift ;;
	-first) first=$2; shift ;;
	-faults) faults=1 ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
	*) echo "sim.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM HUP

# campaign DIR: runs the simulation in DIR; prints go test's output.
campaign() {
	local dir=$1 report=$tmp/report
	(cd "$dir" && SIM_REPORT=$report go test -count=1 -timeout 0 -run '^TestSim$' \
		-sim.first "$first" -sim.seeds "$seeds" -sim.minutes "$minutes" .)
}

if [[ $faults == 0 ]]; then
	start=$(date +%s)
	if ! out=$(campaign .); then
		echo "$out"
		echo "sim: FAIL"
		exit 1
	fi
	read -r n steps elapsed <"$tmp/report"
	secs=$(($(date +%s) - start))
	echo "sim: PASS $n seeds from $first, $steps steps simulated in ${elapsed}s ($(awk -v n="$n" -v s="$elapsed" 'BEGIN {printf "%.1f", n / s}') seeds/s, $(awk -v n="$steps" -v s="$elapsed" 'BEGIN {printf "%.0f", n / s}') steps/s; ${secs}s with the build)"
	exit 0
fi

# plant NAME FILE SED-EXPRESSION: the fault, in a fresh copy.
plant() {
	local name=$1 file=$2 expr=$3 dir=$tmp/$1
	mkdir -p "$dir"
	git ls-files -z | grep -zv '^bench/' | xargs -0 cp --parents -t "$dir"
	sed -i "$expr" "$dir/$file"
	if cmp -s "$file" "$dir/$file"; then
		echo "sim: the fault $name did not apply to $file" >&2
		exit 1
	fi
	echo "$dir"
}

unfound=0
for fault in lost-wake chunk-framing stale-deadline ended-twice; do
	case $fault in
	lost-wake) dir=$(plant "$fault" stream.go 's/^\tif w.live() {$/\tif w.live() \&\& !w.c.held {/') ;;
	chunk-framing) dir=$(plant "$fault" chunked.go 's/^\td.remain = size$/\td.remain = size + 1/') ;;
	stale-deadline) dir=$(plant "$fault" conn.go '/^func (c \*conn) awaitRequest/,/^}/{s/^\t\tex.reqStart = s.now$//;s/s.setDeadline(c, s.now+int64(s.lim.RequestTimeout), timeRequest)/s.setDeadline(c, ex.reqStart+int64(s.lim.RequestTimeout), timeRequest)/}') ;;
	ended-twice) dir=$(plant "$fault" conn.go 's|^\tex.rc = nil // ended$|\t// the fault: the receiver is kept|') ;;
	esac
	if out=$(campaign "$dir" 2>&1); then
		echo "sim: fault $fault NOT FOUND in $seeds seeds"
		unfound=1
		continue
	fi
	seed=$(sed -n 's/.*seed \([0-9]*\), step \([0-9]*\).*/\1/p' <<<"$out" | head -1)
	step=$(sed -n 's/.*seed \([0-9]*\), step \([0-9]*\).*/\2/p' <<<"$out" | head -1)
	if [[ -z $seed ]]; then
		echo "$out" | tail -20
		echo "sim: fault $fault broke the build or the test, not caught by the simulation"
		unfound=1
		continue
	fi
	if ! (go test -count=1 -run '^TestSim$' -sim.seed "$seed" . >/dev/null 2>&1); then
		echo "sim: seed $seed, which found the fault $fault, fails without it too: a finding of its own"
		unfound=1
		continue
	fi
	why=$(grep -m1 "seed $seed, step" <<<"$out" | sed 's/^ *sim_test.go:[0-9]*: //' | cut -c1-160)
	echo "sim: fault $fault found at seed $seed (the $((seed - first + 1))th), step $step: $why"
	grep -m1 -o 'shrunk to [0-9]* of its [0-9]* clients\|not shrunk.*' <<<"$out" | sed 's/^/     /' || true
done
exit $unfound
