#!/usr/bin/env bash
# The cost of a request on a microcontroller (issue 12, item 4; .ci/run
# calls it, it also runs by hand): instructions per request of the server
# alone, on a Cortex-M3 (TinyGo's cortex-m-qemu) and on a 32-bit RISC-V
# (riscv-qemu, rv32imac: the ESP32-C3's instruction set family), for curl's
# GET / of the hello page on a kept-alive connection and with
# Connection: close (a new connection each), plus the heap allocations per
# request in steady state.
#
# How: scripts/mcucost, a TinyGo program, serves the page to memsock's
# in-memory client 500 times per mode after 50 warm-up requests, and calls
# a marker function before and after each step of the server. A QEMU TCG
# plugin (scripts/mcucost/plugin/insncount.c, built here with gcc; Debian's
# QEMU 7.2 loads plugins but ships none) counts the instructions executed
# between the markers, by translation block, so the client's own work
# (writing the request, reading the response) is left out; what a bracket
# costs alone is measured and subtracted. The program counts allocations
# with runtime.ReadMemStats (Mallocs) around the steps. scripts/mcucost/report
# runs QEMU with the plugin and prints the tables: instructions, steps and
# allocations per request, the time at 160 MHz (one instruction per cycle,
# the ESP32-C3's clock) beside the original Biplane's 10 ms, and a profile:
# by source line (runtime helpers charged to the line that called them),
# heap allocations by line, and by function.
#
# Both builds use TinyGo's tasks scheduler (the default of cortex-m-qemu
# and of the ESP32-C3 boards; riscv-qemu's own default runs four cores).
# The goal (issue 12) is 8,000 instructions per keep-alive request and
# 16,000 with a new connection each. Exits 1 if a response was wrong; the
# figures themselves are reported, not enforced.
#
# Needs what scripts/boards.sh --setup installs (TinyGo, the ARM and RISC-V
# libraries and target files), qemu-system-misc (riscv32) and gcc. About
# 1-2 minutes once those are there (two TinyGo builds, two QEMU runs).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n=== mcu-cost: %s (%ds)\n' "$*" $((SECONDS - start)); }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "toolchain (scripts/boards.sh --setup), qemu-system-riscv32, gcc"
bash scripts/boards.sh --setup >/dev/null
missing=()
command -v qemu-system-riscv32 >/dev/null || missing+=(qemu-system-misc)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
	echo "mcu-cost: apt-get install ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export TINYGOROOT=/opt/tinygo/root PATH=/opt/tinygo/bin:$PATH
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

step "the plugin and the program"
gcc -O2 -Wall -shared -fPIC -fvisibility=hidden -o "$out/libinsncount.so" scripts/mcucost/plugin/insncount.c
go build -o "$out/report" ./scripts/mcucost/report
tinygo build -target=cortex-m-qemu -scheduler=tasks -o "$out/arm.elf" ./scripts/mcucost
# LLVM 19 does not know some RISC-V features TinyGo's files name; it says
# so for each, harmlessly.
# riscv-qemu with 1 MB of RAM instead of 100 MB (the ESP32-C3 has 400 KB):
# the collection and runtime.ReadMemStats around each request walk the
# whole heap, which would take minutes at 100 MB.
sed 's/LENGTH = 100M/LENGTH = 1M/' "$TINYGOROOT/targets/riscv-qemu.ld" >"$out/riscv-qemu-1m.ld"
grep -q 'LENGTH = 1M' "$out/riscv-qemu-1m.ld"
printf '{"inherits": ["riscv-qemu"], "linkerscript": "%s"}\n' "$out/riscv-qemu-1m.ld" >"$out/riscv-qemu-1m.json"
tinygo build -target="$out/riscv-qemu-1m.json" -scheduler=tasks -o "$out/riscv.elf" ./scripts/mcucost 2>&1 |
	{ grep -v 'is not a recognized feature for this target' || true; }

step "cortex-m-qemu (Cortex-M3, Thumb-2)"
"$out/report" -plugin "$out/libinsncount.so" -elf "$out/arm.elf" -label cortex-m-qemu -- \
	qemu-system-arm -machine lm3s6965evb -semihosting -nographic -kernel {} | tee "$out/arm.txt"

step "riscv-qemu (RV32IMAC)"
"$out/report" -plugin "$out/libinsncount.so" -elf "$out/riscv.elf" -label riscv-qemu -- \
	qemu-system-riscv32 -machine virt,aclint=on -smp 4 -nographic -bios none -device virtio-rng-device -kernel {} |
	tee "$out/riscv.txt"

step "summary"
sed -n '/^| target /{p;n;p;q}' "$out/arm.txt"
grep -h -E '^\| (cortex-m-qemu|riscv-qemu) \| (keepalive|close) \|' "$out/arm.txt" "$out/riscv.txt"
echo
echo "TinyGo $(tinygo version | awk '{print $3}'), -scheduler=tasks; goal: 8000 (keepalive) and 16000 (close) instructions per request."
