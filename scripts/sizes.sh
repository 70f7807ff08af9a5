#!/usr/bin/env bash
# Measures what README.md's "TinyGo" section reports: the code size of the
# hello example for each target, and the core's RAM per connection. Needs
# Go, and TinyGo, wazero and qemu from scripts/install-tinygo.sh (with
# WITH_ARM=1). Prints two Markdown tables.
#
# What is built, exactly:
#   examples/hello      the hello server over unixsock (Go, linux/amd64)
#   examples/wasm       hello over wasisock, plus POST /echo (Go and TinyGo, wasip1)
#   scripts/sizes/hello hello over memsock: one in-memory request (TinyGo,
#                       wasip1 and cortex-m-qemu; no sockets there)
#   scripts/sizes/ram   heap per connection, idle and with a request head in
#                       flight, over a 12-24 byte fake connection, run natively,
#                       under wazero and under qemu
set -euo pipefail
cd "$(dirname "$0")/.."
export TINYGOROOT=${TINYGOROOT:-/opt/tinygo/root} PATH=/opt/tinygo/bin:$PATH
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bytes() { stat -c %s "$1"; }
# tinygo -size short prints "code data bss | flash ram" on its last line.
tgsize() { tinygo build -size short "$@" 2>&1 | tail -1 | tr -d "|"; }

go build -trimpath -ldflags='-s -w' -o "$out/hello" ./examples/hello
GOOS=wasip1 GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$out/go.wasm" ./examples/wasm
read -r wc wd wb _ _ <<<"$(tgsize -target=wasip1 -scheduler=none -no-debug -o "$out/tiny.wasm" ./examples/wasm)"
read -r mc md mb _ _ <<<"$(tgsize -target=wasip1 -scheduler=none -no-debug -o "$out/mem.wasm" ./scripts/sizes/hello)"
read -r ac ad ab _ _ <<<"$(tgsize -target=cortex-m-qemu -o "$out/mem.elf" ./scripts/sizes/hello)"

echo "| program | toolchain, target | transport | file | code | data + bss |"
echo "|---|---|---|---:|---:|---:|"
echo "| examples/hello | Go $(go env GOVERSION | sed 's/^go//'), linux/amd64, -ldflags='-s -w' | unixsock | $(bytes "$out/hello") | | |"
echo "| examples/wasm | Go, GOOS=wasip1, -ldflags='-s -w' | wasisock | $(bytes "$out/go.wasm") | | |"
echo "| examples/wasm | TinyGo $(tinygo version | awk '{print $3}'), wasip1 -scheduler=none -no-debug | wasisock | $(bytes "$out/tiny.wasm") | $wc | $wd + $wb |"
echo "| scripts/sizes/hello | TinyGo, wasip1 -scheduler=none -no-debug | memsock | $(bytes "$out/mem.wasm") | $mc | $md + $mb |"
echo "| scripts/sizes/hello | TinyGo, cortex-m-qemu (Cortex-M3) | memsock | | $ac (flash $((ac + ad))) | $ad + $ab |"
echo
echo "(data + bss of the wasm builds include TinyGo's 64 KiB stack; the cortex-m-qemu"
echo "build's ram figure is static RAM, the heap comes on top.)"
echo

# ram: "ram idle_n=.. active_n=.. idle_bytes_per_conn=I active_bytes_per_conn=A ..."
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
row() {
	echo "| $1 | $(field idle_n "$2") / $(field active_n "$2") | $(field idle_bytes_per_conn "$2") | $(field active_bytes_per_conn "$2") | $(field read_buffer "$2") + $(field write_buffer "$2") |"
}
native=$(go run ./scripts/sizes/ram)
tinygo build -target=wasip1 -scheduler=none -o "$out/ram.wasm" ./scripts/sizes/ram
wasm=$(timeout 120 wazero run "$out/ram.wasm")
tinygo build -target=cortex-m-qemu -o "$out/ram.elf" ./scripts/sizes/ram
arm=$(timeout 120 qemu-system-arm -machine lm3s6965evb -semihosting -nographic -kernel "$out/ram.elf" 2>/dev/null | tr -d '\r' | grep -a '^ram ')
echo "| heap per connection | connections measured (idle / active) | idle keep-alive | request in flight | of which buffers (read + write) |"
echo "|---|---:|---:|---:|---:|"
row "Go, linux/amd64" "$native"
row "TinyGo, wasip1 (wazero)" "$wasm"
row "TinyGo, cortex-m-qemu (qemu)" "$arm"
