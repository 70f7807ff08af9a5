// Command chart draws bench/run.sh's results as SVG files, with nothing
// but the standard library:
//
//	chart -raw OUT/raw.tsv [-env OUT/env.txt] [-steps OUT/steps] -out OUT/charts
//
// From raw.tsv (see bench/internal/raw), each chart only if its metrics
// were measured:
//
//   - throughput.svg: requests/s of each server, the floor included, in
//     one panel per workload (keep-alive, pipelined, Connection: close),
//     each with its own scale;
//   - cpu.svg: the server's CPU time per request, µs, in the same panels;
//   - lateness.svg: how late examples/blink's 1 kHz tick fires beside
//     net/http's and the machine's timer floor, p50, p99 and max, idle
//     and under load, on a log scale.
//
// Bars are medians over the rounds, with whiskers from the least to the
// greatest round where there were several, and the median written above.
//
// From the histograms that bench/steps writes (-steps DIR, files named
// CONFIG.rN.tsv, summed over rounds):
//
//   - steps.svg: the distribution of Server.Step durations under the
//     hostile mix, as the share of steps longer than each duration on
//     log-log axes, beside the machine's floor, with the goals marked
//     (p99.9 ≤ 20 µs, max ≤ 100 µs).
//
// The subtitle of each chart is taken from env.txt: when, on what, which
// commit, how busy the machine was.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/biplane-go/biplane/bench/internal/raw"
)

// Okabe–Ito colours, which stay apart for colour-blind readers.
var serverColors = map[string]string{
	"floor":        "#999999",
	"nethttp":      "#0072B2",
	"fasthttp":     "#E69F00",
	"biplane":      "#009E73",
	"biplane-base": "#56B4E9",
	"nginx":        "#CC79A7",
}

var serverNames = map[string]string{
	"floor":        "floor (C, epoll, no parsing)",
	"nethttp":      "net/http",
	"fasthttp":     "fasthttp",
	"biplane":      "biplane",
	"biplane-base": "biplane (--base)",
	"nginx":        "nginx",
}

// serverLabels are the names under the bars, where the legend has room for
// more.
var serverLabels = map[string]string{
	"floor":        "floor",
	"nethttp":      "net/http",
	"biplane-base": "biplane base",
}

var extraColors = []string{"#F0E442", "#D55E00", "#000000", "#8C564B"}

func main() {
	rawFile := flag.String("raw", "", "raw.tsv from bench/run.sh")
	envFile := flag.String("env", "", "env.txt from bench/run.sh, for the subtitles")
	stepsDir := flag.String("steps", "", "directory of bench/steps histograms (CONFIG.rN.tsv)")
	out := flag.String("out", ".", "directory to write the SVG files to")
	flag.Parse()
	if err := run(*rawFile, *envFile, *stepsDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(rawFile, envFile, stepsDir, out string) error {
	byName := map[string]*raw.Metric{}
	if rawFile != "" {
		f, err := os.Open(rawFile)
		if err != nil {
			return err
		}
		metrics, err := raw.Parse(f)
		f.Close()
		if err != nil {
			return err
		}
		for _, m := range metrics {
			byName[m.Name] = m
		}
	}
	sub := subtitle(envFile)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	write := func(name, doc string) error {
		p := filepath.Join(out, name)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			return err
		}
		fmt.Println(p)
		return nil
	}
	workloads := []struct{ prefix, title string }{
		{"ka", "Keep-alive (wrk -c64)"},
		{"pipe", "Pipelined ×16 (wrk -c64)"},
		{"close", "Connection: close (wrk -c16)"},
	}
	for _, kind := range []struct {
		file, suffix, title, unit, note string
		format                          func(float64) string
	}{
		{"throughput.svg", "_rps", "Requests per second, one core (higher is better)", "requests/s",
			"Server pinned to CPU 0 (GOMAXPROCS=1), wrk on CPU 1, a fresh network namespace per run. Bars: median of the rounds; whiskers: min–max.", short},
		{"cpu.svg", "_cpu", "Server CPU time per request (lower is better)", "µs of CPU per request",
			"utime+stime of the server from /proc/PID/stat over wrk's request count. Bars: median of the rounds; whiskers: min–max.", decimals},
	} {
		c := barChart{title: kind.title, sub: sub, unit: kind.unit, names: serverNames, colors: map[string]string{}, note: kind.note, format: kind.format}
		for _, w := range workloads {
			m := byName[w.prefix+kind.suffix]
			if m == nil || len(m.Servers) == 0 {
				continue
			}
			p := panel{title: w.title}
			for _, s := range serverOrder(m.Servers) {
				c.addSeries(s)
				label := s
				if l, ok := serverLabels[s]; ok {
					label = l
				}
				p.groups = append(p.groups, group{label: label, bars: []bar{barOf(m, s, s)}})
			}
			c.panels = append(c.panels, p)
		}
		if len(c.panels) > 0 {
			if err := write(kind.file, c.svg()); err != nil {
				return err
			}
		}
	}
	if c := latenessChart(byName, sub); len(c.panels) > 0 {
		if err := write("lateness.svg", c.svg()); err != nil {
			return err
		}
	}
	if stepsDir != "" {
		c, err := stepsChart(stepsDir, sub)
		if err != nil {
			return err
		}
		if len(c.dists) > 0 {
			if err := write("steps.svg", c.svg()); err != nil {
				return err
			}
		}
	}
	return nil
}

// addSeries adds k to the legend, with its colour.
func (c *barChart) addSeries(k string) {
	if slices.Contains(c.series, k) {
		return
	}
	c.series = append(c.series, k)
	col, ok := serverColors[k]
	if !ok {
		col = extraColors[(len(c.series)-1)%len(extraColors)]
	}
	c.colors[k] = col
}

// serverOrder puts the floor first, the rest as they came.
func serverOrder(servers []string) []string {
	var out []string
	if slices.Contains(servers, "floor") {
		out = append(out, "floor")
	}
	for _, s := range servers {
		if s != "floor" {
			out = append(out, s)
		}
	}
	return out
}

func barOf(m *raw.Metric, server, series string) bar {
	vs := m.All(server)
	med, lo, hi := raw.Stats(vs)
	return bar{series: series, med: med, lo: lo, hi: hi, rounds: len(vs)}
}

var peerNames = map[string]string{
	"blink":               "biplane (examples/blink)",
	"nethttp-blink":       "net/http + ticker goroutine",
	"timerfloor":          "timer floor",
	"timerfloor-slack1ns": "timer floor, 1 ns slack",
}

func latenessChart(byName map[string]*raw.Metric, sub []string) barChart {
	c := barChart{
		title: "Tick lateness at 1 kHz (lower is better)", sub: sub, unit: "µs late (log scale)", log: true, shared: true,
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) },
		names:  map[string]string{"p50": "p50", "p99": "p99", "max": "max"},
		colors: map[string]string{"p50": "#56B4E9", "p99": "#0072B2", "max": "#D55E00"},
		series: []string{"p50", "p99", "max"},
		note:   "How late each tick fires against its schedule. Timer floor: a thread that only sleeps until each tick. Bars: median of the rounds; whiskers: min–max.",
	}
	for _, mode := range []struct{ key, title string }{{"idle", "Idle"}, {"load", "Under wrk -c64 keep-alive load"}} {
		m50 := byName["blink_"+mode.key+"_p50"]
		if m50 == nil || len(m50.Servers) == 0 {
			continue
		}
		p := panel{title: mode.title}
		for _, s := range m50.Servers {
			g := group{label: s}
			if n, ok := peerNames[s]; ok {
				g.label = n
			}
			for _, q := range c.series {
				if m := byName["blink_"+mode.key+"_"+q]; m != nil {
					g.bars = append(g.bars, barOf(m, s, q))
				}
			}
			p.groups = append(p.groups, g)
		}
		c.panels = append(c.panels, p)
	}
	return c
}

// The configurations of run.sh's steps phase: which column of their
// histograms to draw, and how.
var stepConfigs = []struct {
	config, column, name, color string
	dashed                      bool
}{
	{"machine", "floor", "machine floor: a loop reading the clock", "#999999", true},
	{"stepconns4", "steps", "StepConns 4", "#009E73", false},
	{"stepconns4-detail", "clean", "StepConns 4, clean steps (-detail: on CPU, no GC)", "#0072B2", true},
	{"stepconns64", "steps", "StepConns 64 (the default)", "#E69F00", false},
}

func stepsChart(dir string, sub []string) (ccdfChart, error) {
	c := ccdfChart{
		title: "Server.Step durations under a hostile mix, one loop (bench/steps)",
		sub:   sub,
		goals: []goal{{us: 20, label: "20 µs"}, {us: 100, label: "100 µs"}, {share: 1e-3, label: "p99.9"}},
		note:  "1,000 idle keep-alive, 4 pipelining ×64, 50 slowloris, a 1 GiB upload, a slow reader of 64 MiB, 503s past MaxConns. Server on CPU 0, load on CPU 1.",
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.tsv"))
	if err != nil {
		return c, err
	}
	for _, sc := range stepConfigs {
		d := &ccdf{name: sc.name, color: sc.color, dashed: sc.dashed}
		for _, f := range files {
			base := filepath.Base(f)
			if !strings.HasPrefix(base, sc.config+".r") {
				continue
			}
			if err := d.addFile(f, sc.column); err != nil {
				return c, err
			}
		}
		if d.total() > 0 {
			c.dists = append(c.dists, d)
		}
	}
	return c, nil
}

// addFile adds the column of a histogram file to d.
func (d *ccdf) addFile(name, column string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], "\t")
	col := slices.Index(head, column)
	if col < 1 {
		return fmt.Errorf("%s: no column %q", name, column)
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) <= col {
			return fmt.Errorf("%s: short line %q", name, l)
		}
		edge := math.Inf(1)
		if f[0] != "inf" {
			ns, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			edge = ns / 1e3
		}
		n, err := strconv.ParseFloat(f[col], 64)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		i, found := slices.BinarySearch(d.edges, edge)
		if !found {
			d.edges = slices.Insert(d.edges, i, edge)
			d.counts = slices.Insert(d.counts, i, 0)
		}
		d.counts[i] += n
	}
	return nil
}

// subtitle makes two lines from env.txt: when and on what, and how busy.
func subtitle(envFile string) []string {
	if envFile == "" {
		return nil
	}
	f, err := os.Open(envFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, " ") {
			if _, seen := env[k]; !seen {
				env[k] = v
			}
		}
	}
	var l1, l2 []string
	for _, k := range []string{"date", "machine"} {
		if v := env[k]; v != "" {
			l1 = append(l1, v)
		}
	}
	if v := env["biplane"]; v != "" {
		l2 = append(l2, "biplane "+v)
	}
	if v := env["mode"]; v != "" {
		l2 = append(l2, "bench/run.sh "+v)
	}
	if v := env["load average at start"]; v != "" {
		l2 = append(l2, "load average at start "+v)
	}
	var out []string
	for _, l := range [][]string{l1, l2} {
		if len(l) > 0 {
			out = append(out, strings.Join(l, " · "))
		}
	}
	return out
}
