package risk_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/risk"
)

// weightsTable renders the reason table as risk/README.md shows it.
func weightsTable() string {
	var b strings.Builder
	b.WriteString("| Reason | Code | Family | Default weight | Whatever the score | Hidden from the answer |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range risk.ReasonTable() {
		hidden := ""
		if r.Hidden {
			hidden = "yes"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %d | %s | %s |\n", r.Name, r.Code, r.Family, r.Weight, r.Effect, hidden)
	}
	return b.String()
}

func TestREADMEWeights(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- weights:start -->", "<!-- weights:end -->"
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("risk/README.md lacks %s ... %s; put this between them:\n%s", start, end, weightsTable())
	}
	if got, want := strings.TrimSpace(s[i+len(start):j]), strings.TrimSpace(weightsTable()); got != want {
		t.Errorf("risk/README.md weights table is stale; replace it with:\n%s", want)
	}
}
