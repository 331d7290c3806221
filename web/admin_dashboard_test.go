package web

import (
	"testing"
	"time"
)

func TestFormatMinorAndCount(t *testing.T) {
	for in, want := range map[int64]string{0: "0.00", 5: "0.05", 270: "2.70", 123456: "1234.56", -150: "-1.50"} {
		if got := FormatMinor(in); got != want {
			t.Errorf("FormatMinor(%d): got %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{7: "7", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := formatCount(in); got != want {
			t.Errorf("formatCount(%d): got %q, want %q", in, got, want)
		}
	}
}

func TestLayoutChartStacksSegments(t *testing.T) {
	start := time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC)
	bars := make([]ChartBar, 24)
	for i := range bars {
		bars[i].Start = start.Add(time.Duration(i) * time.Hour)
	}
	bars[23] = ChartBar{Start: bars[23].Start, Allow: 2, Deflect: 1, Block: 1}
	c := hourChart(bars)
	if got, want := len(c.Bars), 24; got != want {
		t.Fatalf("bars: got %d, want %d", got, want)
	}
	last := c.Bars[23]
	if got, want := len(last.Segments), 3; got != want {
		t.Fatalf("segments of the last bar: got %d, want %d", got, want)
	}
	if got, want := last.Segments[0].H, num(chartPlotH/2.0); got != want {
		t.Errorf("allowed segment height: got %s, want %s (half the plot)", got, want)
	}
	if got, want := last.Segments[2].Y, num(chartTop); got != want {
		t.Errorf("top of the tallest bar: got %s, want %s", got, want)
	}
	if len(c.Bars[0].Segments) != 0 || !c.Bars[0].ShowLabel || c.Bars[1].ShowLabel {
		t.Error("an empty bar has segments, or the labels are not every third hour")
	}
}
