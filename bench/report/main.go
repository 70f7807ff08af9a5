// Command report turns run.sh's raw measurements into Markdown tables:
// for each metric and server the median, the range and the count over the
// rounds, and the ratio to the metric's baseline server taken round by
// round (each round's value over the baseline's value in the same round).
//
//	report < raw.tsv
//
// The input has one line per measurement, tab-separated:
//
//	metric  server  round  value
//
// and, before a metric's first measurement, a line that describes it:
//
//	#metric  name  baseline  unit  title
//
// where baseline is a server name, or "-" for no ratios, and unit one of
// rps, us, kib, pct, count. Lines starting with "##" are comments.
//
// Where the server "floor" (the least a server can cost) was measured for
// a metric, its table also gives each server's ratio to the floor, round
// by round, and the summary gives it beside each value.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

type metric struct {
	name, baseline, unit, title string
	servers                     []string                      // in order of appearance
	values                      map[string]map[string]float64 // server → round → value
}

func main() {
	metrics, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	summary(os.Stdout, metrics)
	for _, m := range metrics {
		if len(m.servers) > 0 {
			table(os.Stdout, m)
		}
	}
}

func parse(r io.Reader) ([]*metric, error) {
	var order []*metric
	byName := map[string]*metric{}
	get := func(name string) *metric {
		m := byName[name]
		if m == nil {
			m = &metric{name: name, baseline: "-", unit: "count", title: name, values: map[string]map[string]float64{}}
			byName[name] = m
			order = append(order, m)
		}
		return m
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Split(line, "\t")
		switch {
		case line == "" || strings.HasPrefix(line, "##"):
		case f[0] == "#metric" && len(f) == 5:
			m := get(f[1])
			m.baseline, m.unit, m.title = f[2], f[3], f[4]
		case len(f) == 4:
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", line, err)
			}
			m := get(f[0])
			if m.values[f[1]] == nil {
				m.values[f[1]] = map[string]float64{}
				m.servers = append(m.servers, f[1])
			}
			m.values[f[1]][f[2]] = v
		default:
			return nil, fmt.Errorf("malformed line %q", line)
		}
	}
	return order, sc.Err()
}

// stats returns the median, minimum and maximum of vs.
func stats(vs []float64) (med, lo, hi float64) {
	if len(vs) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func (m *metric) all(server string) []float64 {
	var vs []float64
	for _, v := range m.values[server] {
		vs = append(vs, v)
	}
	return vs
}

// floor is the server every metric is also compared with, where present.
const floor = "floor"

// ratios returns server's values over the baseline's, round by round.
func (m *metric) ratios(server string) []float64 { return m.ratiosTo(server, m.baseline) }

// ratiosTo returns server's values over baseline's, round by round.
func (m *metric) ratiosTo(server, baseline string) []float64 {
	base := m.values[baseline]
	var rs []float64
	for round, v := range m.values[server] {
		if b, ok := base[round]; ok && b != 0 {
			rs = append(rs, v/b)
		}
	}
	return rs
}

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
	med, lo, hi := stats(vs)
	if math.IsNaN(med) {
		return "—"
	}
	if len(vs) == 1 {
		return fmt.Sprintf("%.2f", med)
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", med, lo, hi)
}

func table(w io.Writer, m *metric) {
	fmt.Fprintf(w, "\n%s\n\n", m.title)
	withRatio := m.baseline != "-"
	withFloor := m.values[floor] != nil && m.baseline != floor
	head, rule := "| server | median | min–max | rounds |", "|---|--:|--:|--:|"
	if withRatio {
		head += " ×" + m.baseline + ", same round: median (min–max) |"
		rule += "--:|"
	}
	if withFloor {
		head += " ×floor, same round: median (min–max) |"
		rule += "--:|"
	}
	fmt.Fprintf(w, "%s\n%s\n", head, rule)
	for _, s := range m.servers {
		vs := m.all(s)
		med, lo, hi := stats(vs)
		fmt.Fprintf(w, "| %s | %s | %s–%s | %d |", s, format(m.unit, med), format(m.unit, lo), format(m.unit, hi), len(vs))
		if withRatio {
			fmt.Fprintf(w, " %s |", ratio(m.ratios(s)))
		}
		if withFloor {
			fmt.Fprintf(w, " %s |", ratio(m.ratiosTo(s, floor)))
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
		byName[m.name] = m
	}
	var servers []string
	var heads []string
	for _, c := range cols {
		m := byName[c.metric]
		if m == nil {
			continue
		}
		heads = append(heads, c.head)
		for _, s := range m.servers {
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
			if m == nil {
				continue
			}
			var cell string
			if c.kind == "ratio" {
				med, _, _ := stats(m.ratios(s))
				cell = "—"
				if !math.IsNaN(med) {
					cell = fmt.Sprintf("%.2f", med)
				}
			} else {
				med, _, _ := stats(m.all(s))
				cell = format(m.unit, med)
				if f, _, _ := stats(m.ratiosTo(s, floor)); m.values[floor] != nil && s != floor && !math.IsNaN(f) {
					cell += fmt.Sprintf(" (%.2f×)", f)
				}
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
}
