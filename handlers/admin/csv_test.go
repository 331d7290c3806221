package admin

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestCSVNeutralisesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w := newCSVWriter(&buf)
	in := []string{"=HYPERLINK(\"http://evil\")", "+12015550166", "-1", "@SUM(A1)", "\tx", "plain", ""}
	if err := w.Write(in...); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	row, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, cell := range row {
		if cell != "" && cell[0] != '\'' && cell != "plain" {
			t.Errorf("cell %d %q is not neutralised", i, cell)
		}
		if got := CSVUncell(cell); got != in[i] {
			t.Errorf("cell %d read back as %q, want %q", i, got, in[i])
		}
	}
}
