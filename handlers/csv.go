package handlers

import (
	"encoding/csv"
	"io"
	"strings"
)

// csvCell neutralises a cell a spreadsheet would run as a formula (one
// starting with =, +, -, @, a tab or a carriage return) by prefixing a
// single quote, as OWASP advises. Phone numbers such as "+4420..." are
// affected too: spreadsheets show them as text, and import strips the
// quote again (csvUncell).
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvUncell undoes csvCell on a cell read back from an export.
func csvUncell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// newCSVWriter returns a CSV writer whose WriteSafe neutralises every cell.
func newCSVWriter(w io.Writer) *safeCSVWriter { return &safeCSVWriter{w: csv.NewWriter(w)} }

// safeCSVWriter writes CSV rows with every cell neutralised.
type safeCSVWriter struct{ w *csv.Writer }

// Write writes one row.
func (s *safeCSVWriter) Write(cells ...string) error {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = csvCell(c)
	}
	return s.w.Write(row)
}

// Flush flushes the rows and returns the first write error.
func (s *safeCSVWriter) Flush() error {
	s.w.Flush()
	return s.w.Error()
}
