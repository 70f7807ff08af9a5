// Command report runs the mcucost program (scripts/mcucost) under QEMU with
// the instruction-counting plugin (scripts/mcucost/plugin) and prints what a
// request costs the server: instructions per request in each connection
// mode, the heap allocations the program counted, and where the
// instructions go, by function and by source line. scripts/mcu-cost.sh
// builds the pieces and runs it:
//
//	report -plugin libinsncount.so -elf mcucost.elf -label cortex-m-qemu -- qemu-system-arm -machine … -kernel {}
//
// {} in the QEMU command is replaced by the ELF's path; the plugin option
// is appended. The marker addresses come from the ELF's symbol table.
// Instructions are counted per translation block executed between the
// markers; the cost of a bracket alone (phase "empty") is subtracted once
// per step.
//
// The profile charges each instruction to its function (self) and, through
// the ELF's DWARF line table, to its source line, inlined code included.
// Code that is not from this module's source files (the runtime, the
// allocator, C's mem* functions, the compiler's outlined fragments and
// interface thunks) is helpers: what it runs is charged to the line of this
// module that called into it, so the table by line reads "this line costs
// N instructions, helpers included", and allocations are listed by the
// line that led to them.
package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/dwarf"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The phases of scripts/mcucost, in the order of the plugin's m1, m2, m3.
var phases = []struct{ name, marker string }{
	{"empty", "main.markEmpty"},
	{"keepalive", "main.markKeepAlive"},
	{"close", "main.markClose"},
}

const module = "github.com/biplane-go/biplane"

type sym struct {
	addr, size uint64
	name       string
}

type result struct {
	requests, steps int
	mallocs         uint64
	insns           uint64            // in the phase, brackets included
	bySym           map[string]uint64 // instructions by function (self)
	byLine          map[string]uint64 // instructions by source line, helpers charged to their callers
	allocs          map[string]uint64 // calls of runtime.alloc by the source line that led to them
	// calls[f][g] counts the calls of function f from function g: a block
	// at f's entry entered from a block of g.
	calls map[string]map[string]uint64
}

func main() {
	plugin := flag.String("plugin", "", "path of libinsncount.so")
	elfPath := flag.String("elf", "", "the mcucost program built for the target")
	label := flag.String("label", "", "name of the target in the tables")
	top := flag.Int("top", 12, "rows of each profile table")
	timeout := flag.Duration("timeout", 10*time.Minute, "how long QEMU may run before it is killed")
	mhz := flag.Float64("mhz", 160, "clock for the time column, at one instruction per cycle (the ESP32-C3's 160 MHz)")
	flag.Parse()
	if *plugin == "" || *elfPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: report -plugin LIB -elf FILE [-label L] -- QEMU ARGS… ({} is the ELF)")
		os.Exit(2)
	}
	syms, lines, err := load(*elfPath)
	check(err)
	root, err := os.Getwd()
	check(err)

	dir, err := os.MkdirTemp("", "mcucost")
	check(err)
	defer os.RemoveAll(dir)
	countsPath := filepath.Join(dir, "counts")
	helpersPath := filepath.Join(dir, "helpers")

	// The plugin's options: the markers and the helper ranges, which are
	// everything outside this module's own code.
	addrOf := map[string]uint64{}
	for _, s := range syms {
		addrOf[s.name] = s.addr
	}
	own := ownRanges(lines, root)
	var helperRanges bytes.Buffer
	lo := uint64(0)
	for _, r := range own {
		if r[0] > lo {
			fmt.Fprintf(&helperRanges, "%x %x\n", lo, r[0])
		}
		lo = r[1]
	}
	fmt.Fprintf(&helperRanges, "%x %x\n", lo, uint64(1)<<32)
	check(os.WriteFile(helpersPath, helperRanges.Bytes(), 0o644))
	opt := []string{*plugin, "out=" + countsPath, "helpers=" + helpersPath}
	if a, ok := addrOf["runtime.alloc"]; ok {
		opt = append(opt, fmt.Sprintf("alloc=%#x", a))
	}
	for i, name := range append([]string{"main.markOff"}, markers()...) {
		a, ok := addrOf[name]
		if !ok {
			check(fmt.Errorf("%s: no symbol %s", *elfPath, name))
		}
		key := "off"
		if i > 0 {
			key = "m" + strconv.Itoa(i)
		}
		opt = append(opt, fmt.Sprintf("%s=%#x", key, a))
	}

	args := append([]string(nil), flag.Args()...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{}", *elfPath)
	}
	args = append(args, "-plugin", strings.Join(opt, ","))
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.Stderr.Write(stdout.Bytes())
		check(fmt.Errorf("%s: %v", args[0], err))
	}

	res := map[string]*result{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if strings.Contains(sc.Text(), "FAIL") {
			check(fmt.Errorf("the program failed: %s", sc.Text()))
		}
		// mcucost PHASE requests N steps S mallocs M
		if len(f) != 8 || f[0] != "mcucost" {
			continue
		}
		r := &result{bySym: map[string]uint64{}, byLine: map[string]uint64{}, allocs: map[string]uint64{},
			calls: map[string]map[string]uint64{}}
		r.requests, _ = strconv.Atoi(f[3])
		r.steps, _ = strconv.Atoi(f[5])
		r.mallocs, _ = strconv.ParseUint(f[7], 10, 64)
		res[f[1]] = r
	}
	for _, p := range phases {
		if res[p.name] == nil {
			check(fmt.Errorf("no result for phase %s in the program's output:\n%s", p.name, stdout.String()))
		}
	}
	check(parseCounts(countsPath, res, syms, lines, own, root))

	empty := res["empty"]
	bracket := float64(empty.insns) / float64(empty.steps)
	fmt.Printf("%s: a bracket costs %.0f instructions, subtracted once per step\n\n", *label, bracket)
	fmt.Printf("| target | connection | instructions/request | steps/request | allocations/request | µs at %.0f MHz | the original's 10 ms ÷ this |\n", *mhz)
	fmt.Println("|---|---|---:|---:|---:|---:|---:|")
	for _, name := range []string{"keepalive", "close"} {
		r := res[name]
		per := (float64(r.insns) - bracket*float64(r.steps)) / float64(r.requests)
		us := per / *mhz
		fmt.Printf("| %s | %s | %.0f | %.2f | %.2f | %.0f | %.0f× |\n", *label, name, per,
			float64(r.steps)/float64(r.requests), float64(r.mallocs)/float64(r.requests), us, 10000/us)
	}
	for _, name := range []string{"keepalive", "close"} {
		r := res[name]
		per := func(v uint64) string { return fmt.Sprintf("%.0f", float64(v)/float64(r.requests)) }

		fmt.Printf("\n%s, %s: by source line of this module, helpers (runtime, allocator, mem*) charged to the line that called them\n\n", *label, name)
		fmt.Println("| line | instructions/request | code |")
		fmt.Println("|---|---:|---|")
		for i, e := range sorted(r.byLine) {
			if i == *top {
				break
			}
			fmt.Printf("| %s | %s | `%s` |\n", e.k, per(e.v), source(root, e.k))
		}

		if len(r.allocs) > 0 {
			fmt.Printf("\n%s, %s: heap allocations (calls of runtime.alloc) by the line that led to them\n\n", *label, name)
			fmt.Println("| line (function) | allocations/request | code |")
			fmt.Println("|---|---:|---|")
			for _, e := range sorted(r.allocs) {
				fmt.Printf("| %s | %.2f | `%s` |\n", e.k, float64(e.v)/float64(r.requests), source(root, e.k[:strings.IndexByte(e.k, ' ')]))
			}
		}

		fmt.Printf("\n%s, %s: by function (self)\n\n", *label, name)
		fmt.Println("| function | instructions/request | called from (calls/request) |")
		fmt.Println("|---|---:|---|")
		for i, e := range sorted(r.bySym) {
			if i == *top {
				break
			}
			var from []string
			for j, c := range sorted(r.calls[e.k]) {
				if j == 3 {
					from = append(from, "…")
					break
				}
				from = append(from, fmt.Sprintf("%s %.2f", short(c.k), float64(c.v)/float64(r.requests)))
			}
			fmt.Printf("| `%s` | %s | %s |\n", short(e.k), per(e.v), strings.Join(from, ", "))
		}

		pkgs := map[string]uint64{}
		for k, v := range r.bySym {
			pkgs[pkgOf(k)] += v
		}
		var parts []string
		for _, e := range sorted(pkgs) {
			if float64(e.v)/float64(r.requests) >= 1 {
				parts = append(parts, fmt.Sprintf("%s %s", e.k, per(e.v)))
			}
		}
		fmt.Printf("\nby package (self): %s\n", strings.Join(parts, ", "))
	}
}

// parseCounts reads the plugin's output into res.
func parseCounts(path string, res map[string]*result, syms []sym, lines []row, own [][2]uint64, root string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	entry := map[uint64]string{}
	for _, s := range syms {
		entry[s.addr] = s.name
	}
	phaseOf := func(p int) *result {
		if p < 1 || p > len(phases) {
			return nil
		}
		return res[phases[p-1].name]
	}
	type exec struct {
		p     int
		execs uint64
	}
	blockExecs := map[uint64][]exec{}
	blockAddrs := map[uint64][]uint64{}
	type charge struct {
		p      int
		caller uint64
		n      uint64
	}
	var charges, allocs []charge
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "B":
			var addrs []uint64
			for _, a := range f[2:] {
				v, err := strconv.ParseUint(a, 0, 64)
				if err != nil {
					return fmt.Errorf("counts: %q: %v", line, err)
				}
				addrs = append(addrs, v)
			}
			v, _ := strconv.ParseUint(f[1], 0, 64)
			blockAddrs[v] = addrs
		case len(f) == 5 && f[0] == "E":
			p, _ := strconv.Atoi(f[1])
			from, _ := strconv.ParseUint(f[2], 0, 64)
			to, _ := strconv.ParseUint(f[3], 0, 64)
			n, _ := strconv.ParseUint(f[4], 10, 64)
			callee, ok := entry[to]
			caller := lookup(syms, from)
			r := phaseOf(p)
			if !ok || r == nil || caller == callee {
				continue
			}
			if r.calls[callee] == nil {
				r.calls[callee] = map[string]uint64{}
			}
			r.calls[callee][caller] += n
		case len(f) == 4 && (f[0] == "H" || f[0] == "A"):
			p, _ := strconv.Atoi(f[1])
			caller, _ := strconv.ParseUint(f[2], 0, 64)
			n, _ := strconv.ParseUint(f[3], 10, 64)
			if f[0] == "H" {
				charges = append(charges, charge{p, caller, n})
			} else {
				allocs = append(allocs, charge{p, caller, n})
			}
		case len(f) == 4:
			p, _ := strconv.Atoi(f[0])
			vaddr, _ := strconv.ParseUint(f[1], 0, 64)
			insns, _ := strconv.ParseUint(f[2], 10, 64)
			execs, _ := strconv.ParseUint(f[3], 10, 64)
			r := phaseOf(p)
			if r == nil {
				continue
			}
			r.insns += insns * execs
			r.bySym[lookup(syms, vaddr)] += insns * execs
			blockExecs[vaddr] = append(blockExecs[vaddr], exec{p, execs})
		default:
			return fmt.Errorf("counts: unexpected line %q", line)
		}
	}
	// Lines: each instruction of a block of this module to its own line;
	// helpers' instructions to the line of the call that led to them (the
	// last instruction of the calling block).
	for vaddr, list := range blockExecs {
		if !contains(own, vaddr) {
			continue
		}
		for _, a := range blockAddrs[vaddr] {
			l := lineOf(lines, a, root)
			for _, e := range list {
				phaseOf(e.p).byLine[l] += e.execs
			}
		}
	}
	for _, c := range charges {
		r := phaseOf(c.p)
		addrs := blockAddrs[c.caller]
		if r == nil || len(addrs) == 0 {
			continue
		}
		r.byLine[lineOf(lines, addrs[len(addrs)-1], root)] += c.n
	}
	for _, c := range allocs {
		r := phaseOf(c.p)
		addrs := blockAddrs[c.caller]
		if r == nil || len(addrs) == 0 {
			continue
		}
		r.allocs[lineOf(lines, addrs[len(addrs)-1], root)+" ("+short(lookup(syms, c.caller))+")"] += c.n
	}
	return nil
}

func markers() []string {
	var m []string
	for _, p := range phases {
		m = append(m, p.marker)
	}
	return m
}

// ownRanges returns the address ranges of code from this module's source
// files (root and below), inlined code included, sorted and merged. The
// rest (the runtime, the allocator, C's mem* functions, the compiler's
// outlined fragments and interface thunks) is helpers, charged to the line
// of this module that called into them.
func ownRanges(rows []row, root string) [][2]uint64 {
	var rs [][2]uint64
	for i := 0; i+1 < len(rows); i++ {
		r := rows[i]
		if r.end || r.file == "" || rows[i+1].addr <= r.addr {
			continue
		}
		if rel, err := filepath.Rel(root, r.file); err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if n := len(rs); n > 0 && rs[n-1][1] >= r.addr {
			rs[n-1][1] = max(rs[n-1][1], rows[i+1].addr)
			continue
		}
		rs = append(rs, [2]uint64{r.addr, rows[i+1].addr})
	}
	return rs
}

// contains reports whether addr is in one of the sorted ranges rs.
func contains(rs [][2]uint64, addr uint64) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i][1] > addr })
	return i < len(rs) && rs[i][0] <= addr
}

// A row of the line table: code from addr on is on file:line.
type row struct {
	addr uint64
	file string
	line int
	end  bool // end of a sequence: no line from here on
}

// load returns the ELF's functions and line table, sorted by address,
// Thumb bit cleared.
func load(path string) ([]sym, []row, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	all, err := f.Symbols()
	if err != nil {
		return nil, nil, err
	}
	var syms []sym
	for _, s := range all {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 {
			continue
		}
		a := s.Value
		if f.Machine == elf.EM_ARM {
			a &^= 1
		}
		syms = append(syms, sym{a, s.Size, s.Name})
	}
	sort.Slice(syms, func(i, j int) bool { return syms[i].addr < syms[j].addr })
	// Symbols without a size (the outliner's, assembly) end where the next
	// one starts.
	for i := range syms {
		if syms[i].size == 0 && i+1 < len(syms) {
			syms[i].size = syms[i+1].addr - syms[i].addr
		}
	}

	d, err := f.DWARF()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: no line table (built with -no-debug?): %v", path, err)
	}
	var rows []row
	rd := d.Reader()
	for {
		cu, err := rd.Next()
		if err != nil {
			return nil, nil, err
		}
		if cu == nil {
			break
		}
		if cu.Tag != dwarf.TagCompileUnit {
			rd.SkipChildren()
			continue
		}
		lr, err := d.LineReader(cu)
		if err != nil {
			return nil, nil, err
		}
		rd.SkipChildren()
		if lr == nil {
			continue
		}
		var e dwarf.LineEntry
		for {
			if err := lr.Next(&e); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, nil, err
			}
			r := row{addr: e.Address, line: e.Line, end: e.EndSequence}
			if e.File != nil {
				r.file = e.File.Name
			}
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].addr < rows[j].addr })
	return syms, rows, nil
}

// lookup names the function that holds addr.
func lookup(syms []sym, addr uint64) string {
	i := sort.Search(len(syms), func(i int) bool { return syms[i].addr > addr }) - 1
	if i < 0 || (syms[i].size != 0 && addr >= syms[i].addr+syms[i].size) {
		return fmt.Sprintf("%#x", addr)
	}
	return syms[i].name
}

// lineOf returns "file:line" for addr, the file relative to root.
func lineOf(rows []row, addr uint64, root string) string {
	i := sort.Search(len(rows), func(i int) bool { return rows[i].addr > addr }) - 1
	if i < 0 || rows[i].end || rows[i].file == "" {
		return "?"
	}
	file := rows[i].file
	if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = rel
	} else if j := strings.Index(file, "/src/"); j >= 0 {
		file = file[j+len("/src/"):] // GOROOT or TinyGo's src
	}
	return fmt.Sprintf("%s:%d", file, rows[i].line)
}

// source returns the text of a "file:line" of the module, trimmed.
func source(root, fileLine string) string {
	i := strings.LastIndexByte(fileLine, ':')
	n, err := strconv.Atoi(fileLine[i+1:])
	if i < 0 || err != nil || filepath.IsAbs(fileLine[:i]) {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(root, fileLine[:i]))
	if err != nil {
		return ""
	}
	ls := strings.Split(string(data), "\n")
	if n < 1 || n > len(ls) {
		return ""
	}
	s := strings.TrimSpace(ls[n-1])
	if len(s) > 70 {
		s = s[:67] + "…"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// short drops the module path from a function name.
func short(name string) string {
	name = strings.ReplaceAll(name, module+"/", "")
	name = strings.ReplaceAll(name, module+".", "biplane.")
	if len(name) > 60 {
		name = name[:57] + "…"
	}
	return name
}

// pkgOf groups a function: the biplane core, one of its packages, the
// runtime's allocator and collector, C's mem* functions and the compiler's
// helpers, or the package named in the symbol.
func pkgOf(name string) string {
	n := strings.TrimLeft(name, "(*")
	switch {
	case strings.HasPrefix(n, module+"/"):
		rest := strings.TrimPrefix(n, module+"/")
		return rest[:strings.IndexAny(rest+".", ".")]
	case strings.HasPrefix(n, module+"."):
		return "core"
	case strings.HasPrefix(n, "runtime.alloc"), strings.HasPrefix(n, "runtime.runGC"), strings.HasPrefix(n, "runtime.mark"),
		strings.HasPrefix(n, "runtime.scan"), strings.HasPrefix(n, "runtime.sweep"), strings.HasPrefix(n, "runtime.buildFreeRanges"),
		strings.HasPrefix(n, "runtime.insertFreeRange"), strings.HasPrefix(n, "runtime.gc"), strings.HasPrefix(n, "runtime.findHead"),
		strings.HasPrefix(n, "tinygo_scan"):
		return "allocator/GC"
	case strings.HasPrefix(n, "mem"), strings.HasPrefix(n, "__"):
		return "mem*/libgcc"
	case strings.HasPrefix(n, "OUTLINED_FUNCTION"):
		return "outlined"
	case strings.HasPrefix(n, "interface:"):
		return "interface calls"
	}
	if i := strings.IndexByte(n, '.'); i > 0 {
		return n[:i]
	}
	return n
}

type kv struct {
	k string
	v uint64
}

// sorted returns m's entries, largest first.
func sorted(m map[string]uint64) []kv {
	var list []kv
	for k, v := range m {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v || list[i].v == list[j].v && list[i].k < list[j].k })
	return list
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}
