package web

import (
	"fmt"
	"strconv"
	"time"
)

// DashboardModel is what the dashboard shows.
type DashboardModel struct {
	// Requests24h counts the decisions of the last 24 hours.
	Requests24h int64
	// BlockedPct and DeflectedPct are the shares of Requests24h blocked
	// and deflected, in percent.
	BlockedPct, DeflectedPct float64
	// PlacedToday counts the calls placed since midnight UTC.
	PlacedToday int64
	// AvoidedMinor is the estimated cost of the calls refused in the last
	// 7 days, in minor units of the account's currency.
	AvoidedMinor int64
	// BudgetMinor is the daily budget (0: none); SpentMinor what today's
	// placed calls cost; ReservedMinor what is held for calls allowed and
	// not yet placed. Minor units.
	BudgetMinor, SpentMinor, ReservedMinor int64
	// Hours are the last 24 hours' bars, Days the last 7 days', oldest
	// first.
	Hours, Days []ChartBar
	// TopDays is how many days the top lists cover: 1 or 7.
	TopDays int
	// Tops are the top lists, in the order shown.
	Tops []TopList
	// Alerts are the newest spike alerts, newest first.
	Alerts []AlertRow
	// Embed warns of missing deflection channels and shows the embed
	// snippet.
	Embed EmbedModel
}

// Empty reports whether nothing was decided in the last 7 days.
func (m DashboardModel) Empty() bool {
	for _, b := range m.Days {
		if b.Allow+b.Deflect+b.Block > 0 {
			return false
		}
	}
	return true
}

// ChartBar is one bar of a stacked chart: an hour or a day.
type ChartBar struct {
	// Start is when the hour or day began.
	Start time.Time
	// Allow, Deflect and Block count the decisions of each action.
	Allow, Deflect, Block int64
}

// TopList is one top-ten table.
type TopList struct {
	// ID names the list in data-testid, e.g. "ips".
	ID string
	// Title heads the table; Column names its value column.
	Title, Column string
	// Rows are the values, most refused first.
	Rows []TopRow
}

// TopRow is one value of a top list and its refused requests.
type TopRow struct {
	Value string
	Count int64
}

// FormatMinor shows an amount in minor units as major units with two
// decimals, e.g. 12345 as "123.45".
func FormatMinor(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// formatPct shows a percentage to one decimal.
func formatPct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// Geometry of the charts. Heights are CSS pixels; widths are shares of the
// chart's width, so the chart fills any window without scaling its text
// (axis labels stay at their CSS size, 12 px).
const (
	chartH                      = 220
	chartTop, chartBottom       = 12, 24
	chartPlotH                  = chartH - chartTop - chartBottom
	chartBarShare               = 0.7
	chartBaseline               = chartTop + chartPlotH
	chartLabelY                 = chartBaseline + 17
	chartAxisW                  = 44
	chartTicksWanted      int64 = 4
)

// chart is a stacked bar chart laid out for the template.
type chart struct {
	ID, Title, Desc string
	// Max is the tallest bar's total; the scale runs from 0 to the last
	// tick, at or above it.
	Max   int64
	Bars  []chartBar
	Ticks []chartTick
	// Height, Base, LabelY and AxisW are the chart's height, the baseline,
	// the x labels' baseline and the y axis' width, in CSS pixels.
	Height, Base, LabelY, AxisW, TickX string
}

// chartTick is one labelled value of the y axis.
type chartTick struct {
	Label, Y string
}

// chartBar is one laid-out bar with its segments and its axis label.
type chartBar struct {
	ChartBar
	Label, Title string
	// X, W and LabelX are percentages of the chart's width.
	X, W, LabelX string
	ShowLabel    bool
	// Minor labels are hidden on narrow screens, where they would touch.
	Minor    bool
	Segments []chartSegment
	Total    int64
}

// chartSegment is one action's part of a bar.
type chartSegment struct {
	Class, Y, H string
}

// hourChart lays out the hourly bars, labelling every third hour, every
// sixth on narrow screens.
func hourChart(bars []ChartBar) chart {
	return layoutChart("hours", "Requests per hour, last 24 hours (UTC)", bars, 3, 6, "15:00")
}

// dayChart lays out the daily bars, labelling each day, every other one
// on narrow screens.
func dayChart(bars []ChartBar) chart {
	return layoutChart("days", "Requests per day, last 7 days (UTC)", bars, 1, 2, "Mon 2")
}

// tickStep is the step of a y axis running to top with about
// chartTicksWanted steps: 1, 2 or 5 times a power of ten.
func tickStep(top int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if step := m * p; step*chartTicksWanted >= top {
				return step
			}
		}
	}
}

// layoutChart lays out bars, labelling every labelEvery-th and, on narrow
// screens, every majorEvery-th, counted from the oldest.
func layoutChart(id, title string, bars []ChartBar, labelEvery, majorEvery int, layout string) chart {
	c := chart{
		ID: id, Title: title, Bars: make([]chartBar, len(bars)),
		Height: num(chartH), Base: num(chartBaseline), LabelY: num(chartLabelY), AxisW: num(chartAxisW), TickX: num(chartAxisW - 6),
	}
	var total, blocked, deflected int64
	for _, b := range bars {
		c.Max = max(c.Max, b.Allow+b.Deflect+b.Block)
		total += b.Allow + b.Deflect + b.Block
		blocked += b.Block
		deflected += b.Deflect
	}
	c.Desc = fmt.Sprintf("%d requests: %d allowed, %d deflected, %d blocked. Tallest bar %d.",
		total, total-blocked-deflected, deflected, blocked, c.Max)
	step := tickStep(max(c.Max, 1))
	top := (max(c.Max, 1) + step - 1) / step * step
	scale := float64(chartPlotH) / float64(top)
	for v := int64(0); v <= top; v += step {
		c.Ticks = append(c.Ticks, chartTick{Label: formatCount(int(v)), Y: num(float64(chartBaseline) - float64(v)*scale)})
	}
	slot := 100 / float64(max(len(bars), 1))
	for i, b := range bars {
		x := float64(i) * slot
		cb := chartBar{
			ChartBar: b, Label: b.Start.UTC().Format(layout), Total: b.Allow + b.Deflect + b.Block,
			X: pct(x + slot*(1-chartBarShare)/2), W: pct(slot * chartBarShare), LabelX: pct(x + slot/2),
			ShowLabel: i%labelEvery == 0, Minor: i%majorEvery != 0,
		}
		cb.Title = fmt.Sprintf("%s: %d allowed, %d deflected, %d blocked", cb.Label, b.Allow, b.Deflect, b.Block)
		y := float64(chartBaseline)
		for _, seg := range []struct {
			class string
			n     int64
		}{{"bar-allow", b.Allow}, {"bar-deflect", b.Deflect}, {"bar-block", b.Block}} {
			if seg.n == 0 {
				continue
			}
			h := float64(seg.n) * scale
			y -= h
			cb.Segments = append(cb.Segments, chartSegment{Class: seg.class, Y: num(y), H: num(h)})
		}
		c.Bars[i] = cb
	}
	return c
}

// pct formats a share of the chart's width as an SVG percentage.
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

// num formats an SVG coordinate.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// spentOf is today's spend, against the budget when there is one.
func spentOf(m DashboardModel) string {
	if m.BudgetMinor <= 0 {
		return FormatMinor(m.SpentMinor)
	}
	return FormatMinor(m.SpentMinor) + " of " + FormatMinor(m.BudgetMinor)
}
