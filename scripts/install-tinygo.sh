#!/usr/bin/env bash
# Installs TinyGo v0.41.1 and wazero v1.11.0 on Debian 12 from Debian's LLVM
# 19 packages and the Go module proxy alone (no other network is needed),
# and with WITH_ARM=1 also what the cortex-m-qemu target needs (picolibc,
# the ARM GCC runtime, qemu). Run it as root. It is idempotent: a second run
# installs only what is missing and takes a second or two.
#
# Then: export TINYGOROOT=/opt/tinygo/root PATH=/opt/tinygo/bin:$PATH
#
# Adapted from shared/tools/install-tinygo.sh. What works with this install:
# -target=wasip1 (also with -scheduler=none; runs under wazero), tinygo test
# -target=wasip1, -target=cortex-m-qemu (runs and tests under qemu). What
# does not: import "net" (TinyGo's net package is a git submodule missing
# from the module download) and board targets such as pico (their generated
# device files are missing too).
set -euo pipefail
TINYGO_VERSION=v0.41.1
WAZERO_VERSION=v1.11.0
TG=${TG:-/opt/tinygo}
WITH_ARM=${WITH_ARM:-0}
export DEBIAN_FRONTEND=noninteractive

pkgs=(llvm-19-dev libclang-19-dev clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 binaryen)
[ "$WITH_ARM" = 1 ] && pkgs+=(picolibc-arm-none-eabi gcc-arm-none-eabi qemu-system-arm)

# Only what is missing: apt-get update alone takes longer than the rest of a
# warm run.
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-tinygo: apt-get install ${missing[*]}"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# TinyGo itself, unless this version is already built. 'go install
# tinygo@version' does not work (the proxy answers 403 on its version list),
# so download the module and build a writable copy of it.
if ! "$TG/bin/tinygo" version 2>/dev/null | grep -q "tinygo version ${TINYGO_VERSION#v} "; then
	echo "install-tinygo: building TinyGo $TINYGO_VERSION"
	SRC=$(cd / && go mod download -json "github.com/tinygo-org/tinygo@$TINYGO_VERSION" |
		sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	rm -rf "$TG/root"
	mkdir -p "$TG/bin"
	cp -r "$SRC" "$TG/root"
	chmod -R u+w "$TG/root"
	mkdir -p "$TG/root/src/net" # the submodule missing from the zip; package net stays unusable
	(cd "$TG/root" && go build -tags=llvm19 -o "$TG/bin/tinygo" .)
fi

if ! "$TG/bin/wazero" version 2>/dev/null | grep -qx "$WAZERO_VERSION"; then
	echo "install-tinygo: installing wazero $WAZERO_VERSION"
	(cd / && GOBIN="$TG/bin" go install "github.com/tetratelabs/wazero/cmd/wazero@$WAZERO_VERSION")
fi

# The lib/ submodules (wasi-libc, picolibc, compiler-rt) are missing from the
# module download too: point the two targets at Debian's prebuilt ones.
# Writing the files each time is cheap and repairs an older install.
cat >"$TG/root/targets/wasip1.json" <<'JSON'
{"llvm-target": "wasm32-unknown-wasi", "cpu": "generic",
 "features": "+bulk-memory,+mutable-globals,+nontrapping-fptoint,+sign-ext,-multivalue,-reference-types",
 "build-tags": ["tinygo.wasm"], "goos": "wasip1", "goarch": "wasm",
 "linker": "wasm-ld", "libc": "", "rtlib": "", "gc": "precise", "scheduler": "asyncify",
 "default-stack-size": 65536,
 "cflags": ["-mbulk-memory", "-mnontrapping-fptoint", "-mno-multivalue", "-mno-reference-types",
  "-msign-ext", "-nostdlibinc", "-isystem", "/usr/include/wasm32-wasi"],
 "ldflags": ["--stack-first", "--no-demangle", "-L/usr/lib/wasm32-wasi", "-lc",
  "/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a"],
 "extra-files": ["src/runtime/asm_tinygowasm.S", "src/runtime/gc_boehm.c"],
 "emulator": "wazero run -mount={tmpDir}:/tmp {}"}
JSON
if [ "$WITH_ARM" = 1 ]; then
	cat >"$TG/root/targets/cortex-m-qemu.json" <<'JSON'
{"build-tags": ["cortexm", "baremetal", "linux", "arm", "qemu", "lm3s6965"],
 "goos": "linux", "goarch": "arm", "llvm-target": "thumbv7m-unknown-unknown-eabi", "cpu": "cortex-m3",
 "features": "+armv7-m,+hwdiv,+soft-float,+thumb-mode,-aes,-bf16,-cdecp0,-cdecp1,-cdecp2,-cdecp3,-cdecp4,-cdecp5,-cdecp6,-cdecp7,-crc,-crypto,-d32,-dotprod,-dsp,-fp-armv8,-fp-armv8d16,-fp-armv8d16sp,-fp-armv8sp,-fp16,-fp16fml,-fp64,-fpregs,-fullfp16,-hwdiv-arm,-i8mm,-lob,-mve,-mve.fp,-neon,-pacbti,-ras,-sb,-sha2,-vfp2,-vfp2sp,-vfp3,-vfp3d16,-vfp3d16sp,-vfp3sp,-vfp4,-vfp4d16,-vfp4d16sp,-vfp4sp",
 "gc": "conservative", "scheduler": "tasks", "linker": "ld.lld", "rtlib": "", "libc": "",
 "automatic-stack-size": false, "default-stack-size": 4096,
 "cflags": ["-Werror", "-fshort-enums", "-fomit-frame-pointer", "-mfloat-abi=soft", "-fno-exceptions",
  "-fno-unwind-tables", "-fno-asynchronous-unwind-tables", "-ffunction-sections", "-fdata-sections",
  "-nostdlibinc", "-isystem", "/usr/lib/picolibc/arm-none-eabi/include"],
 "ldflags": ["--emit-relocs", "--gc-sections", "--defsym=__exidx_start=0", "--defsym=__exidx_end=0",
  "/usr/lib/picolibc/arm-none-eabi/lib/thumb/v7-m/nofp/libc.a",
  "/usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v7-m/nofp/libgcc.a"],
 "linkerscript": "targets/lm3s6965.ld",
 "extra-files": ["src/device/arm/cortexm.S", "src/internal/task/task_stack_cortexm.S",
  "src/runtime/asm_arm.S", "targets/cortex-m-qemu.s"],
 "emulator": "qemu-system-arm -machine lm3s6965evb -semihosting -nographic -kernel {}"}
JSON
fi
export TINYGOROOT="$TG/root" PATH="$TG/bin:$PATH"
tinygo version
wazero version
