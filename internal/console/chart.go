package console

import (
	"strconv"
	"strings"
	"time"
)

// Charts are SVG drawn here, sized in a fixed viewBox that CSS scales;
// only presentation attributes and classes, since the CSP forbids inline
// style. Each chart's figures are also in a table beneath it.

const (
	chartW, chartH = 600, 160
	chartPad       = 4
)

// bar is one bar of a bar chart, in viewBox units.
type bar struct {
	X, Y, W, H int
	Label      string // the day and figure, for the bar's <title>
}

// barChart is a bar chart of one figure per day.
type barChart struct {
	Bars  []bar
	Max   string // the largest figure, as text
	W, H  int
	Label string // what the chart shows (its accessible name)
}

// newBarChart scales values (one per day) into bars.
func newBarChart(label string, days []time.Time, values []int64, text func(int64) string, loc *time.Location) barChart {
	c := barChart{W: chartW, H: chartH, Label: label}
	var max int64
	for _, v := range values {
		max = maxInt64(max, v)
	}
	c.Max = text(max)
	n := len(values)
	if n == 0 {
		return c
	}
	slot := (chartW - 2*chartPad) / n
	for i, v := range values {
		h := 0
		if max > 0 {
			h = int(v * int64(chartH-2*chartPad) / max)
		}
		if v > 0 && h == 0 {
			h = 1
		}
		c.Bars = append(c.Bars, bar{X: chartPad + i*slot + 1, Y: chartH - chartPad - h, W: max1(slot - 2), H: h,
			Label: days[i].In(loc).Format("2 Jan") + ": " + text(v)})
	}
	return c
}

// lineChart is a polyline of one figure per day.
type lineChart struct {
	Points string
	Dots   []bar // a dot per known day, for its <title>
	W, H   int
	Label  string
	Max    string
}

// newLineChart draws values, skipping unknown days (known[i] false).
func newLineChart(label string, days []time.Time, values []int64, known []bool, text func(int64) string, loc *time.Location) lineChart {
	c := lineChart{W: chartW, H: chartH, Label: label}
	var max int64
	for i, v := range values {
		if known[i] {
			max = maxInt64(max, v)
		}
	}
	c.Max = text(max)
	n := len(values)
	if n < 2 {
		return c
	}
	var pts []string
	for i, v := range values {
		if !known[i] {
			continue
		}
		x := chartPad + i*(chartW-2*chartPad)/(n-1)
		y := chartH - chartPad
		if max > 0 {
			y -= int(v * int64(chartH-2*chartPad) / max)
		}
		pts = append(pts, strconv.Itoa(x)+","+strconv.Itoa(y))
		c.Dots = append(c.Dots, bar{X: x, Y: y, Label: days[i].In(loc).Format("2 Jan") + ": " + text(v)})
	}
	c.Points = strings.Join(pts, " ")
	return c
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
