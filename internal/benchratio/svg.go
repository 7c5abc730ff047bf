package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// Layout of the chart, in pixels.
const (
	chartLabelW = 430
	chartPlotW  = 420
	chartBarH   = 16
	chartGap    = 8
	chartTop    = 40
	chartBottom = 40
)

// drawChart draws the speed ratios as horizontal bars on a linear scale:
// a bar to the median, a whisker over the range of the rounds, a grey
// line at 1 (as fast as the peer) and a red tick at the target.
func drawChart(rows []chartRow) []byte {
	top := 1.0
	for _, r := range rows {
		top = math.Max(top, math.Max(r.hi, r.target))
	}
	top = math.Ceil(top*1.1*2) / 2 // a half-unit above the largest value
	x := func(v float64) float64 { return chartLabelW + v/top*chartPlotW }
	width := chartLabelW + chartPlotW + 30
	height := chartTop + len(rows)*(chartBarH+chartGap) + chartBottom

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" `+
		`font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">`+
		`safekrb5 against each peer: speed ratio, above 1 is faster</text>`+"\n",
		10)
	plotBottom := height - chartBottom
	for v := 0.0; v <= top+1e-9; v += tickStep(top) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n",
			x(v), chartTop-5, x(v), plotBottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%gx</text>`+"\n",
			x(v), plotBottom+16, v)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" `+
		`stroke-width="1.5"/>`+"\n", x(1), chartTop-5, x(1), plotBottom)
	for i, r := range rows {
		y := chartTop + i*(chartBarH+chartGap)
		mid := float64(y) + chartBarH/2
		colour := "#4a7ebb"
		if r.target > 0 && r.median < r.target {
			colour = "#d08030"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" `+
			`dominant-baseline="middle">%s</text>`+"\n",
			chartLabelW-8, mid, html.EscapeString(r.label))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
			x(0), y, x(r.median)-x(0), chartBarH, colour)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n",
			x(r.lo), mid, x(r.hi), mid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle" `+
			`font-size="10">%.2f</text>`+"\n", x(math.Max(r.hi, r.median))+4, mid, r.median)
		if r.target > 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="red" `+
				`stroke-width="2"/>`+"\n", x(r.target), y-2, x(r.target), y+chartBarH+2)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10">bar: median of per-round ratios; `+
		`whisker: range over rounds; red tick: target; orange: below target</text>`+"\n",
		10, height-6)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// tickStep picks a grid step giving at most about eight lines.
func tickStep(top float64) float64 {
	for _, s := range []float64{0.25, 0.5, 1, 2, 5, 10, 20, 50} {
		if top/s <= 8 {
			return s
		}
	}
	return 100
}
