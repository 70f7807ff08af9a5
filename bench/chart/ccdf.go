package main

import (
	"fmt"
	"math"
)

// A ccdf is one distribution of durations as histogram buckets: the share
// of samples longer than each bucket's upper edge.
type ccdf struct {
	name, color string
	dashed      bool
	edges       []float64 // upper edges in µs, ascending; +Inf for the last
	counts      []float64
}

func (d *ccdf) total() float64 {
	var n float64
	for _, c := range d.counts {
		n += c
	}
	return n
}

// A ccdfChart draws distributions on log-log axes: duration against the
// share of samples longer than it, with marks at the goals.
type ccdfChart struct {
	title string
	sub   []string
	dists []*ccdf
	goals []goal
	note  string
}

// A goal is a vertical mark at a duration, or a horizontal one at a
// share.
type goal struct {
	us, share float64
	label     string
}

func (c *ccdfChart) svg() string {
	s := newSVG(width)
	y := s.header(c.title, c.sub) + 26
	var names, colors []string
	for _, d := range c.dists {
		names = append(names, fmt.Sprintf("%s (%s steps)", d.name, short(d.total())))
		colors = append(colors, d.color)
	}
	top := s.legend(margin, y, names, colors) + 22

	// Axes: x from 0.1 µs to the decade above the longest, y from 1 down
	// to the decade below one sample of the largest distribution.
	maxUs, maxN := 1.0, 1.0
	for _, d := range c.dists {
		maxN = math.Max(maxN, d.total())
		for i, e := range d.edges {
			if d.counts[i] > 0 && !math.IsInf(e, 1) {
				maxUs = math.Max(maxUs, e)
			}
		}
	}
	x := logAxis(0.1, maxUs)
	x.p0, x.p1 = margin+axisW+10, width-margin-20
	yax := logAxis(1/maxN, 1)
	yax.hi = 1
	yax.ticks = yax.ticks[:0]
	for v := yax.lo; v <= 1.0001; v *= 10 {
		yax.ticks = append(yax.ticks, v)
	}
	yax.p0, yax.p1 = top+plotH, top

	for _, t := range x.ticks {
		px := x.pos(t)
		s.line(px, yax.p0, px, yax.p1, "#e4e4e4", 1, "")
		s.text(px, yax.p0+16, "middle", `font-size="11" fill="#333333"`, durLabel(t))
	}
	for _, t := range yax.ticks {
		py := yax.pos(t)
		s.line(x.p0, py, x.p1, py, "#e4e4e4", 1, "")
		s.text(x.p0-6, py+4, "end", `font-size="11" fill="#333333"`, shareLabel(t))
	}
	s.line(x.p0, yax.p0, x.p1, yax.p0, "#333333", 1, "")
	s.line(x.p0, yax.p0, x.p0, yax.p1, "#333333", 1, "")
	s.text((x.p0+x.p1)/2, yax.p0+36, "middle", `fill="#333333"`, "step duration (log scale)")
	s.text(0, 0, "middle", `transform="translate(`+fmtf(margin+12)+`,`+fmtf((yax.p0+yax.p1)/2)+`) rotate(-90)" fill="#333333"`, "share of steps longer (log scale)")

	for _, g := range c.goals {
		if g.us > 0 {
			px := x.pos(g.us)
			s.line(px, yax.p0, px, yax.p1, "#D55E00", 1.2, `stroke-dasharray="5,4"`)
			s.text(px+4, yax.p1+12, "start", `font-size="11" fill="#D55E00"`, g.label)
		} else {
			py := yax.pos(g.share)
			s.line(x.p0, py, x.p1, py, "#D55E00", 1.2, `stroke-dasharray="5,4"`)
			s.text(x.p1-4, py-4, "end", `font-size="11" fill="#D55E00"`, g.label)
		}
	}

	for di, d := range c.dists {
		n := d.total()
		if n == 0 {
			continue
		}
		// A step function: the share above each edge holds until the
		// next edge; it ends at the last bucket holding samples.
		left := n
		var pts [][2]float64
		prev := x.lo
		for i, e := range d.edges {
			if left <= 0 {
				break
			}
			if math.IsInf(e, 1) {
				e = maxUs * 1.5
			}
			share := left / n
			pts = append(pts, [2]float64{x.pos(prev), yax.pos(share)}, [2]float64{x.pos(e), yax.pos(share)})
			left -= d.counts[i]
			prev = e
		}
		if left <= 0 {
			pts = append(pts, [2]float64{x.pos(prev), yax.p0})
		}
		extra := ""
		if d.dashed {
			extra = `stroke-dasharray="6,3"`
		}
		s.polyline(pts, d.color, 2, extra)
		// The longest, to the buckets' resolution, at the foot of the line.
		s.text(x.pos(prev)-3, yax.p0-6-14*float64(di), "end", `font-size="11" fill="`+d.color+`"`, "max ≤ "+durLabel(prev))
	}
	s.text(margin, yax.p0+60, "start", `fill="#555555" font-size="11"`, c.note)
	return s.String(yax.p0 + 72)
}

func durLabel(us float64) string {
	switch {
	case us >= 1e6:
		return short(us/1e6) + " s"
	case us >= 1e3:
		return short(us/1e3) + " ms"
	}
	return short(us) + " µs"
}

func shareLabel(v float64) string {
	if v >= 0.01 {
		return short(v*100) + "%"
	}
	e := int(math.Round(math.Log10(v)))
	return fmt.Sprintf("1e%d", e)
}
