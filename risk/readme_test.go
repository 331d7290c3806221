package risk_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// weightsTable renders the default weights as the README shows them.
func weightsTable() string {
	w := risk.DefaultWeights()
	codes := make([]string, 0, len(w))
	for c := range w {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	b.WriteString("| Reason code | Default weight | Whatever the score |\n| --- | --- | --- |\n")
	for _, c := range codes {
		effect := ""
		switch {
		case risk.IsHard(c):
			effect = "blocks"
		case risk.IsDeflecting(c):
			effect = "deflects at least"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", c, w[c], effect)
	}
	return b.String()
}

func TestREADMEWeights(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- weights:start -->", "<!-- weights:end -->"
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks %s ... %s; put this between them:\n%s", start, end, weightsTable())
	}
	if got, want := strings.TrimSpace(s[i+len(start):j]), strings.TrimSpace(weightsTable()); got != want {
		t.Errorf("README.md weights table is stale; replace it with:\n%s", want)
	}
}
