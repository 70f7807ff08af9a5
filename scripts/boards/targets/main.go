// Command targets rewrites TinyGo's target files so that the boards of
// scripts/boards.sh, and riscv-qemu for scripts/mcu-cost.sh, link Debian's
// picolibc and libgcc: TinyGo's module download lacks the picolibc and
// compiler-rt sources that the stock files name ("libc": "picolibc",
// "rtlib": "compiler-rt"). scripts/install-tinygo.sh does the same for
// cortex-m-qemu.
//
//	targets -root $TINYGOROOT
//
// It edits the shared files where the stock ones set the two libraries
// (cortex-m.json, riscv.json, esp32c3.json), and adds each chip's multilib
// libc.a and libgcc.a to the file of the chip (rp2040.json, atsamd21g18a.json,
// atsamd51*.json, esp32c3.json, riscv-qemu.json). automatic-stack-size is
// turned off on Cortex-M: TinyGo's stack analysis cannot read libgcc's
// frame information, so goroutine stacks get default-stack-size (or
// -stack-size). Running it again changes nothing; a file is rewritten only
// when its content changes.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// An edit sets fields of one target file and appends to its lists what
// they lack.
type edit struct {
	file   string
	set    map[string]any
	append map[string][]string
}

const (
	armLibc   = "/usr/lib/picolibc/arm-none-eabi"
	armGCC    = "/usr/lib/gcc/arm-none-eabi/*"
	riscvLibc = "/usr/lib/picolibc/riscv64-unknown-elf"
	riscvGCC  = "/usr/lib/gcc/riscv64-unknown-elf/*"
)

func main() {
	root := flag.String("root", os.Getenv("TINYGOROOT"), "TinyGo's root (TINYGOROOT)")
	flag.Parse()
	noLibs := map[string]any{"rtlib": "", "libc": ""}
	edits := []edit{
		{file: "cortex-m.json",
			set:    map[string]any{"rtlib": "", "libc": "", "automatic-stack-size": false},
			append: map[string][]string{"cflags": {"-nostdlibinc", "-isystem", armLibc + "/include"}}},
		{file: "rp2040.json", append: libs(armLibc+"/lib/thumb/v6-m/nofp", armGCC+"/thumb/v6-m/nofp")},
		{file: "atsamd21g18a.json", append: libs(armLibc+"/lib/thumb/v6-m/nofp", armGCC+"/thumb/v6-m/nofp")},
		{file: "atsamd51j19a.json", append: libs(armLibc+"/lib/thumb/v7e-m/nofp", armGCC+"/thumb/v7e-m/nofp")},
		{file: "atsamd51p19a.json", append: libs(armLibc+"/lib/thumb/v7e-m/nofp", armGCC+"/thumb/v7e-m/nofp")},
		{file: "riscv.json", set: noLibs,
			append: map[string][]string{"cflags": {"-nostdlibinc", "-isystem", riscvLibc + "/include"}}},
		// The ESP32-C3 is rv32imc; Debian's nearest multilib is rv32im.
		{file: "esp32c3.json", set: noLibs, append: libs(riscvLibc+"/lib/rv32im/ilp32", riscvGCC+"/rv32im/ilp32")},
		{file: "riscv-qemu.json", append: libs(riscvLibc+"/lib/rv32imac/ilp32", riscvGCC+"/rv32imac/ilp32")},
	}
	for _, e := range edits {
		changed, err := apply(filepath.Join(*root, "targets", e.file), e)
		if err != nil {
			fmt.Fprintln(os.Stderr, "targets:", err)
			os.Exit(1)
		}
		if changed {
			fmt.Println("targets: rewrote", e.file)
		}
	}
}

// libs returns the ldflags that link libc.a from libcDir and libgcc.a from
// gccDir, a pattern with the compiler's version as *.
func libs(libcDir, gccDir string) map[string][]string {
	return map[string][]string{"ldflags": {libcDir + "/libc.a", gccDir + "/libgcc.a"}}
}

func apply(path string, e edit) (bool, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var spec map[string]any
	if err := json.Unmarshal(old, &spec); err != nil {
		return false, fmt.Errorf("%s: %v", path, err)
	}
	for k, v := range e.set {
		spec[k] = v
	}
	for k, add := range e.append {
		var list []string
		if cur, ok := spec[k].([]any); ok {
			for _, v := range cur {
				list = append(list, fmt.Sprint(v))
			}
		}
		for _, v := range add {
			if filepath.IsAbs(v) {
				matches, _ := filepath.Glob(v)
				if len(matches) != 1 {
					return false, fmt.Errorf("%s: %s: %d matches (is its Debian package installed?)", path, v, len(matches))
				}
				v = matches[0]
			}
			// The flags added are all distinct, so "present" is enough to
			// keep a second run from adding them again; "-isystem" is
			// among the stock cflags of none of these files.
			if !slices.Contains(list, v) {
				list = append(list, v)
			}
		}
		spec[k] = list
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(spec); err != nil {
		return false, err
	}
	if bytes.Equal(buf.Bytes(), old) {
		return false, nil
	}
	return true, os.WriteFile(path, buf.Bytes(), 0o644)
}
