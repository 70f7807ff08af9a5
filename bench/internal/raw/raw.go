// Package raw reads the raw measurements that bench/run.sh writes to
// raw.tsv, for the report and the charts. The file has one line per
// measurement, tab-separated:
//
//	metric  server  round  value
//
// and, before a metric's first measurement, a line that describes it:
//
//	#metric  name  baseline  unit  title
//
// where baseline is a server name, or "-" for no ratios, and unit one of
// rps, us, kib, pct, count. Lines starting with "##" are comments.
package raw

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A Metric is one measured quantity: its description, and its values by
// server and round.
type Metric struct {
	Name, Baseline, Unit, Title string
	Servers                     []string                      // in order of appearance
	Values                      map[string]map[string]float64 // server → round → value
}

// Parse reads raw.tsv, and returns its metrics in order of appearance.
func Parse(r io.Reader) ([]*Metric, error) {
	var order []*Metric
	byName := map[string]*Metric{}
	get := func(name string) *Metric {
		m := byName[name]
		if m == nil {
			m = &Metric{Name: name, Baseline: "-", Unit: "count", Title: name, Values: map[string]map[string]float64{}}
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
			m.Baseline, m.Unit, m.Title = f[2], f[3], f[4]
		case len(f) == 4:
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", line, err)
			}
			m := get(f[0])
			if m.Values[f[1]] == nil {
				m.Values[f[1]] = map[string]float64{}
				m.Servers = append(m.Servers, f[1])
			}
			m.Values[f[1]][f[2]] = v
		default:
			return nil, fmt.Errorf("malformed line %q", line)
		}
	}
	return order, sc.Err()
}

// Stats returns the median, minimum and maximum of vs, or NaNs if it is
// empty.
func Stats(vs []float64) (med, lo, hi float64) {
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

// All returns server's values, one per round.
func (m *Metric) All(server string) []float64 {
	var vs []float64
	for _, v := range m.Values[server] {
		vs = append(vs, v)
	}
	return vs
}

// RatiosTo returns server's values over baseline's, round by round.
func (m *Metric) RatiosTo(server, baseline string) []float64 {
	base := m.Values[baseline]
	var rs []float64
	for round, v := range m.Values[server] {
		if b, ok := base[round]; ok && b != 0 {
			rs = append(rs, v/b)
		}
	}
	return rs
}
