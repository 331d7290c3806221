package admin

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSVCell neutralises a cell a spreadsheet would run as a formula (one
// starting with =, +, -, @, a tab or a carriage return) by prefixing a
// single quote, as OWASP advises. Phone numbers such as "+4420..." are
// affected too: spreadsheets show them as text, and import strips the
// quote again (CSVUncell). A cell that already looks neutralised gets one
// more quote, so CSVUncell(CSVCell(s)) is s for every s.
func CSVCell(s string) string {
	if csvFormula(s) {
		return "'" + s
	}
	return s
}

// CSVUncell undoes CSVCell on a cell read back from an export.
func CSVUncell(s string) string {
	if len(s) > 1 && s[0] == '\'' && csvFormula(s[1:]) {
		return s[1:]
	}
	return s
}

// csvFormula reports whether s starts like a formula, or is a neutralised
// cell ("'" before one) that would otherwise lose its quote on import.
func csvFormula(s string) bool {
	for len(s) > 1 && s[0] == '\'' {
		s = s[1:]
	}
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// newCSVWriter returns a CSV writer whose WriteSafe neutralises every cell.
func newCSVWriter(w io.Writer) *safeCSVWriter { return &safeCSVWriter{w: csv.NewWriter(w)} }

// safeCSVWriter writes CSV rows with every cell neutralised.
type safeCSVWriter struct{ w *csv.Writer }

// Write writes one row.
func (s *safeCSVWriter) Write(cells ...string) error {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = CSVCell(c)
	}
	return s.w.Write(row)
}

// Flush flushes the rows and returns the first write error.
func (s *safeCSVWriter) Flush() error {
	s.w.Flush()
	return s.w.Error()
}
