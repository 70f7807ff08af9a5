#!/usr/bin/env bash
# Board builds (issue 12, items 1 and 2; .ci/run calls it, it also runs by
# hand). On a machine where scripts/install-tinygo.sh works, it
#   1. installs TinyGo with the ARM toolchain (scripts/install-tinygo.sh
#      WITH_ARM=1) and Debian's RISC-V GCC and picolibc (the ESP32-C3);
#   2. generates TinyGo's device packages (device/rp, device/sam,
#      device/esp) from the SVD files in ../shared/svd (or $SVD) with
#      TinyGo's own tools/gen-device-svd, into TinyGo's tree: the module
#      download lacks them, and two hand-written files upstream keeps
#      beside them (a few DMA and clock constants, written from here).
#      Generated code is never committed here; a checksum of the inputs and
#      TinyGo's version skips this next time;
#   3. rewrites the boards' target files to link Debian's picolibc and
#      libgcc (scripts/boards/targets);
#   4. builds scripts/boards/blink, the original Biplane's parallel
#      execution example (hello page + LED at 100 Hz in one loop, requests
#      from a ring of canned ones over memsock), for each board below, and
#      prints the table of flash and RAM that README.md carries;
#   5. runs the same program on cortex-m-qemu, where it checks itself;
#   6. compiles tinysock/netdevcheck, the check that the drivers'
#      netdev.Netdever satisfies tinysock.Netdev, natively and with TinyGo
#      (cortex-m-qemu, where it runs, and arduino-nano33).
# With --setup it stops after step 3 (scripts/mcu-cost.sh uses that).
#
# Steps 1-3 write to /opt/tinygo and install packages: they run as root,
# through sudo if need be. About 3-4 minutes on a fresh machine after
# scripts/install-tinygo.sh (150 MB of RISC-V toolchain to download, then
# a cold TinyGo cache for each target); 1-2 minutes later on (the core,
# which changes between runs, is compiled again for each board).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n=== boards: %s (%ds)\n' "$*" $((SECONDS - start)); }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

SVD=${SVD:-../shared/svd}
TG=/opt/tinygo
setup_only=0
[ "${1:-}" = --setup ] && setup_only=1

# Board, chip (for the table), and how the program is built for it. The
# loop needs about 1.8 KB of stack on Cortex-M and 2.7 KB on RISC-V (its
# deepest path is a handler's Respond under Server.Step; measured on
# cortex-m-qemu and riscv-qemu). With -scheduler=none it runs on the
# chip's system stack, which the linker scripts make 4 KB on the ESP32-C3
# and SAMD51 but 2 KB on the RP2040 and SAMD21, where interrupts share it:
# those two run the loop as TinyGo's main goroutine instead, on a stack
# of its own (pico's default 8 KB; 4 KB asked for on the SAMD21).
boards=(
	"xiao-esp32c3|ESP32-C3, RISC-V rv32imc, 160 MHz, 4 MB flash / 400 KB RAM|-scheduler=none"
	"pico|RP2040, Cortex-M0+, 133 MHz, 2 MB flash / 264 KB RAM|-scheduler=tasks"
	"arduino-nano33|SAMD21, Cortex-M0+, 48 MHz, 256 KB flash / 32 KB RAM|-scheduler=tasks -stack-size=4KB"
	"wioterminal|SAMD51, Cortex-M4F, 120 MHz, 512 KB flash / 192 KB RAM|-scheduler=none"
)
# feather-m4 (SAMD51J19A) builds too, to the same sizes as wioterminal
# within a few bytes; add it here to see.

step "TinyGo (scripts/install-tinygo.sh) and the RISC-V toolchain"
as_root env WITH_ARM=1 bash scripts/install-tinygo.sh
pkgs=(gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "boards: apt-get install ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export TINYGOROOT=$TG/root PATH=$TG/bin:$PATH

step "device packages from $SVD"
if [ ! -d "$SVD/RaspberryPi" ] || [ ! -d "$SVD/Atmel" ] || [ ! -d "$SVD/Espressif" ]; then
	echo "boards: no SVD files in $SVD (set SVD=DIR)" >&2
	exit 1
fi
# Constants that TinyGo's machine package uses and the SVD files do not
# define; upstream TinyGo keeps them in hand-written files of its device
# packages, which its module download lacks too. Values from the chips'
# datasheets.
rp2040_dreq='//go:build rp && rp2040

package rp

// DMA data request (DREQ) numbers of the RP2040 (RP2040 datasheet, 2.5.3.1
// System DREQ Table). Written by biplane'"'"'s scripts/boards.sh.
const (
	DREQ_SPI0_TX = 16
	DREQ_SPI0_RX = 17
	DREQ_SPI1_TX = 18
	DREQ_SPI1_RX = 19
)
'
samd51_gclk='//go:build sam && atsamd51

package sam

// Peripheral channels of the generic clock controller (GCLK.PCHCTRL index)
// of the SAM D5x (SAM D5x/E5x datasheet, PCHCTRLm mapping). Written by
// biplane'"'"'s scripts/boards.sh.
const (
	PCHCTRL_GCLK_SERCOMX_SLOW = 3
	PCHCTRL_GCLK_SERCOM0_CORE = 7
	PCHCTRL_GCLK_SERCOM1_CORE = 8
	PCHCTRL_GCLK_USB          = 10
	PCHCTRL_GCLK_SERCOM2_CORE = 23
	PCHCTRL_GCLK_SERCOM3_CORE = 24
	PCHCTRL_GCLK_TCC0         = 25
	PCHCTRL_GCLK_TCC1         = 25
	PCHCTRL_GCLK_TCC2         = 29
	PCHCTRL_GCLK_TCC3         = 29
	PCHCTRL_GCLK_SERCOM4_CORE = 34
	PCHCTRL_GCLK_SERCOM5_CORE = 35
	PCHCTRL_GCLK_SERCOM6_CORE = 36
	PCHCTRL_GCLK_SERCOM7_CORE = 37
	PCHCTRL_GCLK_TCC4         = 38
	PCHCTRL_GCLK_ADC0         = 40
	PCHCTRL_GCLK_ADC1         = 41
)
'
stamp=$TINYGOROOT/src/device/biplane-svd.sum
sum=$({ tinygo version; echo "$rp2040_dreq$samd51_gclk"; cd "$SVD" && sha256sum ./*/*.svd; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
	echo "boards: up to date ($stamp)"
else
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$TINYGOROOT" && go build -o "$tmp/gen-device-svd" ./tools/gen-device-svd)
	mkdir -p "$tmp/rp" "$tmp/sam" "$tmp/esp"
	src=https://github.com/posborne/cmsis-svd/tree/master/data
	"$tmp/gen-device-svd" -source=$src/RaspberryPi "$SVD/RaspberryPi/" "$tmp/rp/" >/dev/null
	"$tmp/gen-device-svd" -source=$src/Atmel "$SVD/Atmel/" "$tmp/sam/" >/dev/null
	"$tmp/gen-device-svd" -source=$src/Espressif -interrupts=software "$SVD/Espressif/" "$tmp/esp/" >/dev/null
	echo "$rp2040_dreq" >"$tmp/rp/rp2040_dreq.go"
	echo "$samd51_gclk" >"$tmp/sam/atsamd51_gclk.go"
	for d in rp sam esp; do
		as_root mkdir -p "$TINYGOROOT/src/device/$d"
		as_root cp "$tmp/$d"/* "$TINYGOROOT/src/device/$d/"
	done
	echo "$sum" | as_root tee "$stamp" >/dev/null
	(cd "$tmp" && ls rp/* sam/* esp/* | tr '\n' ' ')
	echo
fi

step "target files linking Debian's picolibc and libgcc"
go build -o "${TMPDIR:-/tmp}/biplane-targets" ./scripts/boards/targets
as_root "${TMPDIR:-/tmp}/biplane-targets" -root "$TINYGOROOT"
rm -f "${TMPDIR:-/tmp}/biplane-targets"
[ "$setup_only" = 1 ] && exit 0

step "scripts/boards/blink for each board"
out=$(mktemp -d)
trap 'rm -rf "$out" ${tmp:+"$tmp"}' EXIT
rows=()
for b in "${boards[@]}"; do
	IFS='|' read -r board chip flags <<<"$b"
	# LLVM 19 does not know some RISC-V features TinyGo's files name; it
	# says so for each, harmlessly.
	# shellcheck disable=SC2086 # flags holds several words
	if ! sz=$(tinygo build -target="$board" $flags -size short -o "$out/$board.elf" ./scripts/boards/blink 2>&1 |
		grep -v 'is not a recognized feature for this target'); then
		echo "$sz"
		echo "boards: $board did not build" >&2
		exit 1
	fi
	# tinygo -size short: "code data bss | flash ram" on its last line.
	read -r code data bss _ flash ram <<<"$(tail -1 <<<"$sz")"
	printf '%s: code %s data %s bss %s\n' "$board" "$code" "$data" "$bss"
	rows+=("| \`$board\` | $chip | \`$flags\` | $code | $data | $bss | $flash | $ram |")
done

step "the same program on cortex-m-qemu (-scheduler=none), checking itself"
got=$(timeout 120 tinygo run -target=cortex-m-qemu -scheduler=none ./scripts/boards/blink 2>&1 | tr -d '\r')
echo "$got"
if ! grep -q '^blink: [0-9]* requests, [0-9]* toggles, 0 late, 0 errors$' <<<"$got"; then
	echo "boards: blink failed on cortex-m-qemu" >&2
	exit 1
fi

step "tinysock/netdevcheck: netdev.Netdever satisfies tinysock.Netdev, natively and with TinyGo"
(
	cd tinysock/netdevcheck
	go vet .
	go run .
	got=$(timeout 60 tinygo run -target=cortex-m-qemu . 2>&1 | tr -d '\r')
	echo "$got"
	grep -q 'satisfies tinysock.Netdev' <<<"$got"
	tinygo build -target=arduino-nano33 -size short -o "$out/netdevcheck.elf" . | tail -1 | sed 's/^/arduino-nano33: /'
)

step "sizes (bytes)"
echo "| board | chip | build flags | code | data | bss | flash (code + data) | static RAM (data + bss) |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "TinyGo $(tinygo version | awk '{print $3}'), scripts/boards/blink. Static RAM includes the system stack;"
echo "the heap (buffers, connections) takes what is left. $((SECONDS - start)) s in all."
