package main

import (
	"fmt"
	"io"
	"math"
)

// The cost model: a least-squares fit of each clean step's duration to
// what the step did, so that the report can say what one accept, one
// close, one request or one KiB read costs on this machine, and so what
// bounds a step. The sums of the normal equations are kept as steps come;
// nothing is stored per step.

var featureNames = [...]string{
	"fixed, per step",
	"accept (a connection)",
	"accept (none pending)",
	"epoll wait",
	"event reported",
	"read (system call)",
	"KiB read",
	"write (system call)",
	"KiB written",
	"shutdown (lingering close)",
	"close",
	"request answered by the handler",
	"503 queued",
	"timeout (408, idle, write)",
}

const nFeatures = len(featureNames)

type features [nFeatures]float64

func (x *features) set(r *record) {
	t := &r.t
	*x = features{1, float64(t.accepts), float64(t.acceptWB), float64(t.polls), float64(t.events),
		float64(t.reads), float64(t.readBytes) / 1024, float64(t.writes), float64(t.writeBytes) / 1024,
		float64(t.shutdowns), float64(t.closes), float64(r.requests), float64(r.refused503),
		float64(r.timeouts408 + r.idleTimeouts + r.writeTimeouts)}
}

// A fit accumulates XᵀX, Xᵀy and yᵀy over the steps, y in µs.
type fit struct {
	n        float64
	xtx      [nFeatures][nFeatures]float64
	xty      [nFeatures]float64
	yy, sumy float64
}

func (f *fit) add(x *features, y float64) {
	f.n++
	f.yy += y * y
	f.sumy += y
	for i := range nFeatures {
		if x[i] == 0 {
			continue
		}
		f.xty[i] += x[i] * y
		for j := range nFeatures {
			f.xtx[i][j] += x[i] * x[j]
		}
	}
}

// solve returns the coefficients, in µs per unit, and R². Features that
// never occurred get 0. It reports false if the system is singular.
func (f *fit) solve() (coef features, r2 float64, ok bool) {
	var a [nFeatures][nFeatures + 1]float64
	for i := range nFeatures {
		for j := range nFeatures {
			a[i][j] = f.xtx[i][j]
		}
		a[i][nFeatures] = f.xty[i]
		if a[i][i] == 0 {
			a[i][i] = 1 // never occurred: its coefficient is 0
		}
	}
	// Gaussian elimination with partial pivoting.
	for c := range nFeatures {
		p := c
		for r := c + 1; r < nFeatures; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return coef, 0, false
		}
		a[c], a[p] = a[p], a[c]
		for r := range nFeatures {
			if r == c || a[r][c] == 0 {
				continue
			}
			k := a[r][c] / a[c][c]
			for j := c; j <= nFeatures; j++ {
				a[r][j] -= k * a[c][j]
			}
		}
	}
	for i := range nFeatures {
		coef[i] = a[i][nFeatures] / a[i][i]
	}
	// R² = 1 − SSE/SST, SSE = yᵀy − 2 bᵀXᵀy + bᵀXᵀXb.
	sse := f.yy
	for i := range nFeatures {
		sse -= 2 * coef[i] * f.xty[i]
		for j := range nFeatures {
			sse += coef[i] * f.xtx[i][j] * coef[j]
		}
	}
	sst := f.yy - f.sumy*f.sumy/f.n
	if sst > 0 {
		r2 = 1 - sse/sst
	}
	return coef, r2, true
}

func (f *fit) report(w io.Writer, maxima *features) {
	coef, r2, ok := f.solve()
	if !ok || f.n < 2*float64(nFeatures) {
		fmt.Fprintf(w, "\n(no cost model: %v clean steps, or a singular fit)\n", f.n)
		return
	}
	fmt.Fprintf(w, "\nCost model: least squares over the %.0f clean steps, duration in µs = Σ cost × count (R² %.2f).\n", f.n, r2)
	fmt.Fprintln(w, "\"Most in one step\" is the largest count seen in any step; \"× most\" is its cost at that count.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| what | µs each | most in one step | µs × most |")
	fmt.Fprintln(w, "|---|--:|--:|--:|")
	for i, name := range featureNames {
		if i == 0 {
			fmt.Fprintf(w, "| %s | %.2f | | |\n", name, coef[i])
			continue
		}
		fmt.Fprintf(w, "| %s | %.2f | %.0f | %.1f |\n", name, coef[i], maxima[i], coef[i]*maxima[i])
	}
}
