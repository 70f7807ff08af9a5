package main

import (
	"math"
	"strings"
)

// A bar is one series' value in a group: the median over rounds, and the
// range.
type bar struct {
	series      string
	med, lo, hi float64
	rounds      int
}

// A group is bars side by side under one label.
type group struct {
	label string
	bars  []bar
}

// A panel is one plot with its own y scale.
type panel struct {
	title  string
	groups []group
}

// A barChart is panels side by side, with one legend.
type barChart struct {
	title  string
	sub    []string
	unit   string // the y axis's label
	log    bool
	panels []panel
	series []string // legend order
	names  map[string]string
	colors map[string]string
	note   string
	shared bool                 // one y scale for every panel
	format func(float64) string // a bar's value; short if nil
}

const (
	width    = 980.0
	margin   = 16.0
	axisW    = 58.0 // room for tick labels left of each plot
	plotH    = 300.0
	labelH   = 44.0 // room for group labels under a plot
	panelGap = 18.0
)

func (c *barChart) svg() string {
	s := newSVG(width)
	y := s.header(c.title, c.sub) + 26
	var names, colors []string
	for _, k := range c.series {
		names = append(names, c.name(k))
		colors = append(colors, c.colors[k])
	}
	top := s.legend(margin, y, names, colors) + 36
	n := float64(len(c.panels))
	pw := (width - 2*margin - (n-1)*panelGap) / n
	var all []group
	for _, p := range c.panels {
		all = append(all, p.groups...)
	}
	for i, p := range c.panels {
		x0 := margin + float64(i)*(pw+panelGap)
		scale := p.groups
		if c.shared {
			scale = all
		}
		c.panel(s, &p, scale, x0, top, pw, i == 0)
	}
	s.text(margin, top+plotH+labelH+18, "start", `fill="#555555" font-size="11"`, c.note)
	return s.String(top + plotH + labelH + 30)
}

func (c *barChart) name(k string) string {
	if n, ok := c.names[k]; ok {
		return n
	}
	return k
}

// panel draws p with its plot area from (x0+axisW, top) of width
// pw-axisW, on a y scale that holds the bars of scale.
func (c *barChart) panel(s *svg, p *panel, scale []group, x0, top, pw float64, first bool) {
	px0, px1 := x0+axisW, x0+pw
	py0, py1 := top+plotH, top // pixels of the axis's low and high ends
	s.text((px0+px1)/2, top-8, "middle", `font-weight="bold"`, p.title)

	hi, lo := 0.0, math.Inf(1)
	for _, g := range scale {
		for _, b := range g.bars {
			for _, v := range []float64{b.med, b.hi} {
				if !math.IsNaN(v) {
					hi = math.Max(hi, v)
				}
			}
			if b.lo > 0 && !math.IsNaN(b.lo) {
				lo = math.Min(lo, b.lo)
			}
		}
	}
	var a axis
	if c.log {
		a = logAxis(math.Min(lo, hi), hi)
	} else {
		a = linearAxis(hi)
	}
	a.p0, a.p1 = py0, py1

	// Grid and ticks.
	for _, t := range a.ticks {
		y := a.pos(t)
		s.line(px0, y, px1, y, "#e4e4e4", 1, "")
		s.text(px0-6, y+4, "end", `fill="#333333" font-size="11"`, short(t))
	}
	s.line(px0, py0, px1, py0, "#333333", 1, "")
	s.line(px0, py0, px0, py1, "#333333", 1, "")
	if first {
		s.text(0, 0, "middle", `transform="translate(`+fmtf(x0+12)+`,`+fmtf((py0+py1)/2)+`) rotate(-90)" fill="#333333"`, c.unit)
	}

	// Groups.
	ng := float64(len(p.groups))
	gw := (px1 - px0) / ng
	for gi, g := range p.groups {
		gx := px0 + float64(gi)*gw
		nb := float64(len(g.bars))
		bw := math.Min(44, (gw-10)/nb)
		bx := gx + (gw-bw*nb)/2
		for bi, b := range g.bars {
			x := bx + float64(bi)*bw
			if math.IsNaN(b.med) {
				continue
			}
			yv := a.pos(b.med)
			s.rect(x+1, yv, bw-2, py0-yv, c.colors[b.series], "")
			if b.rounds > 1 && b.hi > b.lo {
				cx := x + bw/2
				ylo, yhi := a.pos(b.lo), a.pos(b.hi)
				s.line(cx, ylo, cx, yhi, "#222222", 1, "")
				s.line(cx-4, ylo, cx+4, ylo, "#222222", 1, "")
				s.line(cx-4, yhi, cx+4, yhi, "#222222", 1, "")
				yv = math.Min(yv, yhi)
			}
			fs := "11"
			if bw < 30 {
				fs = "9"
			}
			format := short
			if c.format != nil {
				format = c.format
			}
			s.text(x+bw/2, yv-4, "middle", `font-size="`+fs+`" fill="#111111"`, format(b.med))
		}
		// The group's label, on up to two lines that fit its width.
		for li, l := range wrap(g.label, gw) {
			s.text(gx+gw/2, py0+15+13*float64(li), "middle", `font-size="11" fill="#333333"`, l)
		}
	}
}

// wrap splits label into at most two lines that fit w at 11 px.
func wrap(label string, w float64) []string {
	if textWidth(label)*11/12 <= w || !strings.Contains(label, " ") {
		return []string{label}
	}
	words := strings.Fields(label)
	best, bestW := 1, math.Inf(1)
	for i := 1; i < len(words); i++ {
		a, b := strings.Join(words[:i], " "), strings.Join(words[i:], " ")
		if m := math.Max(textWidth(a), textWidth(b)); m < bestW {
			best, bestW = i, m
		}
	}
	return []string{strings.Join(words[:best], " "), strings.Join(words[best:], " ")}
}
