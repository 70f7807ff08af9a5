#!/usr/bin/env bash
# scripts/mdns-check.sh: Multicast DNS between two hosts of a link, with a
# real resolver (issue 12, item 3).
#
# Two network namespaces of this script's own, A (10.99.0.1/24) and B
# (10.99.0.2/24), joined by a veth pair, multicast on that link; no other
# interface but their loopback, so no datagram leaves them. Then:
#
#   1. examples/hello -mdns NAME serves in A; once it has claimed
#      NAME.local, Python's zeroconf (Debian's python3-zeroconf) in B
#      resolves NAME.local, which must give 10.99.0.1 within 2 s;
#   2. curl in B fetches the hello page from that address (by name with
#      --resolve: there is no mDNS name service switch module here);
#   3. a second hello -mdns NAME starts in B: it must end as NAME-2, which
#      zeroconf in A resolves to 10.99.0.2 within 2 s, while NAME.local
#      stays 10.99.0.1;
#   4. 10,000 random, truncated and mangled datagrams from B go to the
#      group and to A's port 5353; both responders must go on answering
#      (resolved again within 2 s), A's resident memory must not grow by
#      more than 1 MiB, and its counters must show the datagrams dropped;
#   5. unixsock's multicast tests run in A on the veth, IPv6 (ff02::fb)
#      included, which has no route on lo.
#
# Needs root, Go, iproute2, curl and /usr/bin/python3 with zeroconf
# (apt-get install python3-zeroconf; /usr/bin/python3 is named because a
# pyenv python3 may come first on PATH). Takes 10 to 20 s once built.
# Prints progress on stderr and one summary line on stdout; exits 1 on the
# first failure. MDNS_KEEP=1 keeps the logs.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=${MDNS_NAME:-biplane-check}
PY=/usr/bin/python3
A_IP=10.99.0.1 B_IP=10.99.0.2
FLOOD=10000

log() { printf 'mdns-check: %s\n' "$*" >&2; }
die() {
	log "FAIL: $*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root: it makes network namespaces"
for tool in go ip curl; do
	command -v "$tool" >/dev/null || die "$tool not found"
done
"$PY" -c 'import zeroconf' 2>/dev/null || die "$PY has no zeroconf module (apt-get install -y python3-zeroconf)"

start_ms=$(($(date +%s%N) / 1000000))
now_ms() { echo $(($(date +%s%N) / 1000000)); }
work=$(mktemp -d)
nsa="biplane-mdns-a-$$" nsb="biplane-mdns-b-$$"
cleanup() {
	local p
	# Our own children first: each is a job until waited for, so its PID
	# cannot have been reused.
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# Whatever else runs in the namespaces was started there by this run.
	for ns in "$nsa" "$nsb"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "${MDNS_KEEP:-}" ]; then
		log "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

log "building examples/hello and unixsock's tests"
go build -o "$work/hello" ./examples/hello
go test -c -o "$work/unixsock.test" ./unixsock

ip netns add "$nsa" || die "cannot create network namespace $nsa"
ip netns add "$nsb" || die "cannot create network namespace $nsb"
for ns in "$nsa" "$nsb"; do
	# IPv6 link-local addresses usable at once, without duplicate address
	# detection's wait: nobody else is on this link.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
	ip -n "$ns" link set lo up
done
ip link add va netns "$nsa" type veth peer name vb netns "$nsb"
ip -n "$nsa" addr add "$A_IP/24" dev va
ip -n "$nsb" addr add "$B_IP/24" dev vb
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up

# The resolver: zeroconf asks for NAME's A record every 250 ms, as a
# browser's resolver would, until an answer is in its cache or the time
# is up. Prints "name address seconds" (or "name unresolved seconds").
cat >"$work/resolve.py" <<'EOF'
import ipaddress, sys, time
from zeroconf import DNSOutgoing, DNSQuestion, IPVersion, Zeroconf, const

name, iface, limit = sys.argv[1] + ".", sys.argv[2], float(sys.argv[3])
zc = Zeroconf(interfaces=[iface], ip_version=IPVersion.V4Only)
start = time.monotonic()
found, ask = None, start
while time.monotonic() - start < limit:
    if time.monotonic() >= ask:
        out = DNSOutgoing(const._FLAGS_QR_QUERY)
        out.add_question(DNSQuestion(name, const._TYPE_A, const._CLASS_IN))
        zc.send(out)
        ask = time.monotonic() + 0.25
    recs = zc.cache.get_all_by_details(name, const._TYPE_A, const._CLASS_IN)
    if recs:
        found = ",".join(sorted(str(ipaddress.ip_address(r.address)) for r in recs))
        break
    time.sleep(0.005)
took = time.monotonic() - start
zc.close()
print(name[:-1], found or "unresolved", "%.3f" % took)
sys.exit(0 if found else 1)
EOF

# The flood: random bytes, every kind of truncation of a real query and a
# real answer, valid headers over random bodies, compression pointers
# that loop or chain, and bit flips of a query; to the group (both
# responders) and by unicast to A, paced so that the sockets' buffers take
# most of them. (A well-formed answer that gives the name another address
# is no junk: by RFC 6762 §9 it sends the owner back to probing, and mDNS
# has no defence against such spoofing on its link, §21.)
cat >"$work/flood.py" <<'EOF'
import random, socket, struct, sys, time

name, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(12)

def wire(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"

query = struct.pack(">6H", 0, 0, 1, 0, 0, 0) + wire(name + ".local") + struct.pack(">HH", 1, 1)
answer = (struct.pack(">6H", 0, 0x8400, 0, 1, 0, 0) + wire(name + ".local")
          + struct.pack(">HHIH", 1, 0x8001, 120, 4) + bytes([10, 99, 0, 77]))

def datagram(i):
    kind = i % 6
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 1500))
    if kind == 1:
        base = query if rng.random() < 0.5 else answer
        return base[:rng.randrange(0, len(base))]
    if kind == 2:
        counts = [rng.randrange(0, 65536) for _ in range(4)]
        return struct.pack(">6H", rng.randrange(65536), rng.choice([0, 0x8400]), *counts) + rng.randbytes(rng.randrange(0, 300))
    if kind == 3:  # pointers: to itself, forward, or a long chain
        body = bytearray(struct.pack(">6H", 0, 0, 1, 0, 0, 0))
        for _ in range(rng.randrange(1, 200)):
            body += struct.pack(">H", 0xC000 | rng.randrange(0, len(body) + 4))
        return bytes(body)
    if kind == 4:  # the query only: a mangled answer could claim the name, which is not junk but a spoof
        b = bytearray(query)
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    return query[:12] + b"\x3f" + rng.randbytes(rng.randrange(0, 80))  # a label past the end

mc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mc.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[4]))
mc.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
sent = 0
for i in range(count):
    d = datagram(i)
    dest = ("224.0.0.251", 5353) if i % 2 == 0 else (target, 5353)
    try:
        mc.sendto(d, dest)
        sent += 1
    except OSError:
        pass
    if i % 50 == 49:
        time.sleep(0.002)
print(sent)
EOF

# wait_for FILE PATTERN SECONDS PID: waits until FILE has a line matching
# PATTERN, failing if PID exits or the time runs out.
wait_for() {
	local file=$1 pattern=$2 limit=$3 pid=$4 i
	for ((i = 0; i < limit * 100; i++)); do
		grep -qs -- "$pattern" "$file" && return 0
		kill -0 "$pid" 2>/dev/null || die "process $pid exited: $(cat "$file" "${file%.out}.err" 2>/dev/null)"
		sleep 0.01
	done
	die "no '$pattern' in $file within $limit s: $(cat "$file")"
}

# resolve NS IFACE-IP NAME WANT: zeroconf in NS must resolve NAME.local to
# WANT within 2 s. Prints the seconds taken.
resolve() {
	local ns=$1 ip=$2 name=$3 want=$4 out
	out=$(ip netns exec "$ns" timeout 10 "$PY" "$work/resolve.py" "$name.local" "$ip" 2) ||
		die "zeroconf in $ns did not resolve $name.local within 2 s: $out"
	set -- $out
	[ "$2" = "$want" ] || die "zeroconf resolved $name.local to $2, want $want"
	echo "$3"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# 1. The first responder, and a real resolver.
t=$(now_ms)
ip netns exec "$nsa" "$work/hello" -addr "$A_IP:8000" -mdns "$NAME" >"$work/a.out" 2>"$work/a.err" &
pid_a=$!
wait_for "$work/a.out" "mdns: $NAME.local announcing" 5 "$pid_a"
claim_ms=$(($(now_ms) - t))
log "A (pid $pid_a) claimed $NAME.local in $claim_ms ms (three probes 250 ms apart, after a random wait of 0-250 ms)"
took=$(resolve "$nsb" "$B_IP" "$NAME" "$A_IP")
log "zeroconf in B resolved $NAME.local to $A_IP in $took s"

# 2. The hello page, from the address the name resolved to.
page=$(ip netns exec "$nsb" curl -sS --max-time 5 --resolve "$NAME.local:8000:$A_IP" "http://$NAME.local:8000/") ||
	die "curl http://$NAME.local:8000/ failed"
[ "$page" = "<b>Hello, world!</b>" ] || die "curl got $page"
log "curl in B fetched http://$NAME.local:8000/ at $A_IP: $page"

# 3. A second host claims the same name.
t=$(now_ms)
ip netns exec "$nsb" "$work/hello" -addr "$B_IP:8000" -mdns "$NAME" >"$work/b.out" 2>"$work/b.err" &
pid_b=$!
wait_for "$work/b.out" "mdns: $NAME-2.local announcing" 10 "$pid_b"
rename_ms=$(($(now_ms) - t))
grep -q "mdns: $NAME.local probing" "$work/b.out" || die "B did not probe for $NAME.local first: $(cat "$work/b.out")"
log "B (pid $pid_b) found $NAME.local taken and claimed $NAME-2.local in $rename_ms ms"
took2=$(resolve "$nsa" "$A_IP" "$NAME-2" "$B_IP")
log "zeroconf in A resolved $NAME-2.local to $B_IP in $took2 s"
took1=$(resolve "$nsb" "$B_IP" "$NAME" "$A_IP")
log "zeroconf in B still resolves $NAME.local to $A_IP ($took1 s)"
grep -q "mdns: $NAME.local probing" "$work/a.out" && [ "$(grep -c 'mdns:' "$work/a.out")" = 3 ] ||
	die "A changed state after B started: $(cat "$work/a.out")"

# 4. A flood of junk.
sleep 1.1 # past the once-a-second limit of the answers just sent
rss_before=$(rss_kb "$pid_a")
t=$(now_ms)
sent=$(ip netns exec "$nsb" timeout 60 "$PY" "$work/flood.py" "$NAME" "$A_IP" "$FLOOD" "$B_IP") ||
	die "the flood sender failed"
flood_ms=$(($(now_ms) - t))
log "sent $sent junk datagrams in $flood_ms ms (half to the group, half to $A_IP:5353)"
kill -0 "$pid_a" 2>/dev/null || die "A exited during the flood: $(cat "$work/a.err")"
kill -0 "$pid_b" 2>/dev/null || die "B exited during the flood: $(cat "$work/b.err")"
took3=$(resolve "$nsb" "$B_IP" "$NAME" "$A_IP")
took4=$(resolve "$nsa" "$A_IP" "$NAME-2" "$B_IP")
rss_after=$(rss_kb "$pid_a")
[ "$(grep -c 'mdns:' "$work/a.out")" = 3 ] || die "A changed state during the flood: $(cat "$work/a.out")"
log "after the flood: $NAME.local resolved in $took3 s, $NAME-2.local in $took4 s; A's RSS ${rss_before} KiB before, ${rss_after} KiB after"
[ $((rss_after - rss_before)) -le 1024 ] || die "A's RSS grew by $((rss_after - rss_before)) KiB during the flood"

# Stop both: SIGTERM drains, says goodbye and prints the counters.
kill -TERM "$pid_a" "$pid_b"
for p in "$pid_a" "$pid_b"; do
	rc=0
	wait "$p" || rc=$?
	[ "$rc" = 0 ] || die "hello (pid $p) exited with $rc"
done
stats_a=$(grep 'datagrams received' "$work/a.out") || die "A printed no counters: $(cat "$work/a.out")"
log "A's counters: ${stats_a#hello: mdns: }"
log "B's counters: $(grep 'datagrams received' "$work/b.out" | sed 's/^hello: mdns: //')"
malformed=$(echo "$stats_a" | sed -E 's/.* ([0-9]+) malformed.*/\1/')
received=$(echo "$stats_a" | sed -E 's/.*: ([0-9]+) datagrams received.*/\1/')
# About 7,000 of the junk datagrams reach A (those to the group and to it);
# some are well-formed by chance, and the socket's buffer may drop a few.
[ "$malformed" -ge $((FLOOD / 2)) ] || die "A counted $malformed malformed datagrams of $received, want at least $((FLOOD / 2))"

# 5. The transport's own tests on a link with multicast, IPv6 included.
ip netns exec "$nsa" env BIPLANE_MULTICAST_IF=va "$work/unixsock.test" \
	-test.run '^(TestMulticastLoopback|TestUnicast|TestPacketAllocs|TestWatch|TestInterfaceAddrs)$' -test.v >"$work/unixsock.log" 2>&1 ||
	die "unixsock's multicast tests on the veth: $(cat "$work/unixsock.log")"
grep -q -- '--- PASS: TestMulticastLoopback/\[ff02::fb\]' "$work/unixsock.log" ||
	die "the IPv6 multicast test did not pass on the veth: $(cat "$work/unixsock.log")"
log "unixsock's multicast tests passed on the veth, IPv4 and IPv6"

total_ms=$(($(now_ms) - start_ms))
echo "mdns-check: ok in $((total_ms / 1000)).$((total_ms % 1000 / 100)) s: $NAME.local claimed in ${claim_ms} ms, resolved by zeroconf in ${took} s; second host renamed $NAME-2.local in ${rename_ms} ms, resolved in ${took2} s; after $sent junk datagrams ($malformed counted malformed by A) both still answer (${took3} s, ${took4} s), A's RSS ${rss_before} → ${rss_after} KiB"
