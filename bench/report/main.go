// Command report turns run.sh's raw measurements into Markdown tables:
// for each metric and server the median, the range and the count over the
// rounds, and the ratio to the metric's baseline server taken round by
// round (each round's value over the baseline's value in the same round).
//
//	report < raw.tsv
//
// The input's format is package raw's (bench/internal/raw).
//
// Where the server "floor" (the least a server can cost) was measured for
// a metric, its table also gives each server's ratio to the floor, round
// by round, and the summary gives it beside each value.
package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/biplane-go/biplane/bench/internal/raw"
)

type metric = raw.Metric

func main() {
	metrics, err := raw.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	summary(os.Stdout, metrics)
	grids(os.Stdout, metrics)
	for _, m := range metrics {
		if len(m.Servers) > 0 {
			table(os.Stdout, m)
		}
	}
}

// floor is the server every metric is also compared with, where present.
const floor = "floor"

// ratios returns server's values over the metric's baseline's, round by
// round.
func ratios(m *metric, server string) []float64 { return m.RatiosTo(server, m.Baseline) }

func format(unit string, v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch unit {
	case "rps", "count":
		return group(int64(math.Round(v)))
	case "us":
		return strconv.FormatFloat(v, 'f', 1, 64)
	case "kib":
		return strconv.FormatFloat(v, 'f', 2, 64)
	case "pct":
		return strconv.FormatFloat(v, 'f', 0, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func ratio(vs []float64) string {
	med, lo, hi := raw.Stats(vs)
	if math.IsNaN(med) {
		return "—"
	}
	if len(vs) == 1 {
		return fmt.Sprintf("%.2f", med)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", med, lo, hi)
}

func table(w io.Writer, m *metric) {
	fmt.Fprintf(w, "\n%s\n\n", m.Title)
	withRatio := m.Baseline != "-"
	withFloor := m.Values[floor] != nil && m.Baseline != floor
	head, rule := "| server | median | min–max | rounds |", "|---|--:|--:|--:|"
	if withRatio {
		head += " ×" + m.Baseline + ", same round: median (min–max) |"
		rule += "--:|"
	}
	if withFloor {
		head += " ×floor, same round: median (min–max) |"
		rule += "--:|"
	}
	fmt.Fprintf(w, "%s\n%s\n", head, rule)
	for _, s := range m.Servers {
		vs := m.All(s)
		med, lo, hi := raw.Stats(vs)
		fmt.Fprintf(w, "| %s | %s | %s–%s | %d |", s, format(m.Unit, med), format(m.Unit, lo), format(m.Unit, hi), len(vs))
		if withRatio {
			fmt.Fprintf(w, " %s |", ratio(ratios(m, s)))
		}
		if withFloor {
			fmt.Fprintf(w, " %s |", ratio(m.RatiosTo(s, floor)))
		}
		fmt.Fprintln(w)
	}
}

// summary prints one row per server of the main comparison, in the shape
// of issue 5's table, from the metrics that are present.
func summary(w io.Writer, metrics []*metric) {
	cols := []struct{ metric, head, kind string }{
		{"ka_rps", "keep-alive c64 rps ×net/http", "ratio"},
		{"pipe_rps", "pipelined ×16 rps ×net/http", "ratio"},
		{"close_rps", "close c16 rps ×net/http", "ratio"},
		{"close_cpu", "server CPU µs/req, close", "value"},
		{"ka_cpu", "server CPU µs/req, keep-alive", "value"},
		{"pipe_cpu", "server CPU µs/req, pipelined", "value"},
		{"rss_kib", "KiB RSS per idle conn (10k)", "value"},
		{"instr", "user-space instructions/req", "value"},
	}
	byName := map[string]*metric{}
	for _, m := range metrics {
		byName[m.Name] = m
	}
	var servers []string
	var heads []string
	for _, c := range cols {
		m := byName[c.metric]
		if m == nil || len(m.Servers) == 0 {
			continue
		}
		heads = append(heads, c.head)
		for _, s := range m.Servers {
			if !slices.Contains(servers, s) {
				servers = append(servers, s)
			}
		}
	}
	if len(heads) == 0 {
		return
	}
	fmt.Fprintf(w, "| server | %s |\n|---|%s\n", strings.Join(heads, " | "), strings.Repeat("--:|", len(heads)))
	for _, s := range servers {
		fmt.Fprintf(w, "| %s |", s)
		for _, c := range cols {
			m := byName[c.metric]
			if m == nil || len(m.Servers) == 0 {
				continue
			}
			var cell string
			if c.kind == "ratio" {
				med, _, _ := raw.Stats(ratios(m, s))
				cell = "—"
				if !math.IsNaN(med) {
					cell = fmt.Sprintf("%.2f", med)
				}
			} else {
				med, _, _ := raw.Stats(m.All(s))
				cell = format(m.Unit, med)
				if f, _, _ := raw.Stats(m.RatiosTo(s, floor)); m.Values[floor] != nil && s != floor && !math.IsNaN(f) {
					cell += fmt.Sprintf(" (%.2f×)", f)
				}
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
}

// A grid is a summary of a phase that measures one quantity over several
// workloads: a row per server, a column per workload, each cell the
// median of the server's same-round ratios to the metric's baseline.
type grid struct {
	title   string
	metrics []string // one per column
	heads   []string
}

// theGrids are the static and uploads phases' summaries.
var theGrids = []grid{
	{"Static files, requests/s", []string{"static_4k_ka_rps", "static_4k_pipe_rps", "static_64k_ka_rps", "static_64k_pipe_rps", "static_1m_ka_rps", "static_1m_pipe_rps"}, staticHeads},
	{"Static files, server CPU µs per request", []string{"static_4k_ka_cpu", "static_4k_pipe_cpu", "static_64k_ka_cpu", "static_64k_pipe_cpu", "static_1m_ka_cpu", "static_1m_pipe_cpu"}, staticHeads},
	{"Static files, server and client (wrk) CPU µs per request", []string{"static_4k_ka_total", "static_4k_pipe_total", "static_64k_ka_total", "static_64k_pipe_total", "static_1m_ka_total", "static_1m_pipe_total"}, staticHeads},
	{"Uploads", []string{"upload_1m_mibs", "upload_1m_cpu", "upload_64m_mibs", "upload_64m_cpu"}, []string{"1 MiB: MiB/s", "1 MiB: server CPU µs/MiB", "64 MiB: MiB/s", "64 MiB: server CPU µs/MiB"}},
}

var staticHeads = []string{"4 KiB keep-alive", "4 KiB pipelined", "64 KiB keep-alive", "64 KiB pipelined", "1 MiB keep-alive", "1 MiB pipelined"}

// grids prints each grid whose metrics were measured, with the median
// value and, in parentheses, the ratio to the baseline.
func grids(w io.Writer, metrics []*metric) {
	byName := map[string]*metric{}
	for _, m := range metrics {
		byName[m.Name] = m
	}
	for _, g := range theGrids {
		var servers []string
		base := ""
		for _, name := range g.metrics {
			m := byName[name]
			if m == nil {
				continue
			}
			base = m.Baseline
			for _, s := range m.Servers {
				if !slices.Contains(servers, s) {
					servers = append(servers, s)
				}
			}
		}
		if len(servers) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: median (×%s, same round)\n\n", g.title, base)
		fmt.Fprintf(w, "| server | %s |\n|---|%s\n", strings.Join(g.heads, " | "), strings.Repeat("--:|", len(g.heads)))
		for _, s := range servers {
			fmt.Fprintf(w, "| %s |", s)
			for _, name := range g.metrics {
				m := byName[name]
				cell := "—"
				if m != nil {
					if med, _, _ := raw.Stats(m.All(s)); !math.IsNaN(med) {
						cell = format(m.Unit, med)
						if r, _, _ := raw.Stats(ratios(m, s)); !math.IsNaN(r) {
							cell += fmt.Sprintf(" (%.2f×)", r)
						}
					}
				}
				fmt.Fprintf(w, " %s |", cell)
			}
			fmt.Fprintln(w)
		}
	}
}
