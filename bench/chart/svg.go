package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// An svg is a document being written: elements are appended as text.
type svg struct {
	b strings.Builder
	w float64
}

const font = `font-family="DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"`

// newSVG starts a document w pixels wide; its height is set by String.
func newSVG(w float64) *svg { return &svg{w: w} }

// String returns the document, h pixels high.
func (s *svg) String(h float64) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" %s font-size="12">`+"\n", s.w, h, s.w, h, font) +
		fmt.Sprintf(`<rect width="%g" height="%g" fill="#ffffff"/>`+"\n", s.w, h) +
		s.b.String() + "</svg>\n"
}

// text writes a label at (x, y); anchor is start, middle or end; extra
// holds further attributes.
func (s *svg) text(x, y float64, anchor, extra, label string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>%s</text>`+"\n", x, y, anchor, extra, html.EscapeString(label))
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64, extra string) {
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%g" %s/>`+"\n", x1, y1, x2, y2, stroke, width, extra)
}

func (s *svg) rect(x, y, w, h float64, fill, extra string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" %s/>`+"\n", x, y, w, h, fill, extra)
}

func (s *svg) polyline(pts [][2]float64, stroke string, width float64, extra string) {
	var b strings.Builder
	for _, p := range pts {
		fmt.Fprintf(&b, "%.1f,%.1f ", p[0], p[1])
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%g" stroke-linejoin="round" %s/>`+"\n", strings.TrimSpace(b.String()), stroke, width, extra)
}

// header writes the chart's title and subtitle lines.
func (s *svg) header(title string, sub []string) float64 {
	s.text(16, 28, "start", `font-size="18" font-weight="bold"`, title)
	y := 28.0
	for _, l := range sub {
		y += 16
		s.text(16, y, "start", `fill="#555555"`, l)
	}
	return y
}

// legend writes coloured squares with names in rows from (x, y), and
// returns the y of its last row.
func (s *svg) legend(x, y float64, names, colors []string) float64 {
	x0 := x
	for i, n := range names {
		w := 17 + textWidth(n)
		if x > x0 && x+w > s.w-x0 {
			x = x0
			y += 20
		}
		s.rect(x, y-10, 12, 12, colors[i], "")
		s.text(x+17, y, "start", "", n)
		x += w + 22
	}
	return y
}

// textWidth estimates the width of a label at 12 px.
func textWidth(t string) float64 { return 6.8 * float64(len([]rune(t))) }

// An axis maps values to pixels, linearly or on a log scale.
type axis struct {
	lo, hi float64 // values at the ends
	p0, p1 float64 // pixels at the ends
	log    bool
	ticks  []float64
}

func (a *axis) pos(v float64) float64 {
	if a.log {
		v = math.Log10(math.Max(v, a.lo))
		return a.p0 + (v-math.Log10(a.lo))/(math.Log10(a.hi)-math.Log10(a.lo))*(a.p1-a.p0)
	}
	return a.p0 + (v-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

// linearAxis returns an axis from 0 to a round number above max, with
// about five ticks.
func linearAxis(max float64) axis {
	if max <= 0 || math.IsNaN(max) {
		max = 1
	}
	step := niceStep(max / 5)
	hi := math.Ceil(max*1.12/step) * step
	a := axis{lo: 0, hi: hi}
	for v := 0.0; v <= hi+step/2; v += step {
		a.ticks = append(a.ticks, v)
	}
	return a
}

// logAxis returns a log axis over whole decades that holds lo..hi.
func logAxis(lo, hi float64) axis {
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 1e-9))))
	hi = math.Pow(10, math.Ceil(math.Log10(math.Max(hi*1.5, lo*10))))
	a := axis{lo: lo, hi: hi, log: true}
	for v := lo; v <= hi*1.0001; v *= 10 {
		a.ticks = append(a.ticks, v)
	}
	return a
}

func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// short formats v compactly, to three significant digits or so: 1.58M,
// 146k, 22.2k, 6.3, 0.51.
func short(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "—"
	case a >= 1e6:
		return trim(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	case a >= 1e5:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case a >= 1e3:
		return trim(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return trim(strconv.FormatFloat(v, 'f', 1, 64))
	}
	return trim(strconv.FormatFloat(v, 'f', 2, 64))
}

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func fmtf(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// decimals formats v with two decimals below 10, one below 100: 0.51,
// 6.30, 39.0, 118.
func decimals(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "—"
	case a < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
