package web

import (
	"strconv"
	"time"
)

// AuditActions are the action prefixes the audit log's filter offers.
func AuditActions() []string {
	return []string{"user.", "token.", "list.", "settings.", "policy.", "decision.", "call."}
}

// AuditFilter is the audit log's filter as typed.
type AuditFilter struct {
	Actor, Action, Target, From, To string
}

// AuditModel is a page of the audit log.
type AuditModel struct {
	// Filter is the filter applied; Error says why it was refused.
	Filter AuditFilter
	Error  string
	// Rows are the matching entries, newest first.
	Rows []AuditRow
	// Older is the URL of the next page, "" on the last; Newest the URL
	// of the first page, "" on it.
	Older, Newest string
	// Export is the URL of the CSV export with the same filter.
	Export string
	// ExportLimit is how many entries an export holds at most.
	ExportLimit int
}

// AuditRow is one audit entry in the list.
type AuditRow struct {
	ID                        string
	At                        time.Time
	Actor, IP, Action, Target string
}

// AuditDetailModel is one audit entry with its before and after.
type AuditDetailModel struct {
	AuditRow
	// Before and After are the states as indented JSON; "" when absent.
	Before, After string
	// Fields compares them field by field.
	Fields []AuditField
}

// AuditField is one field of an entry's before or after state.
type AuditField struct {
	// Path names the field, e.g. "spend.daily_budget" or "costs.GB".
	Path string
	// Before and After are its JSON values; "" when absent.
	Before, After string
}

// Changed reports whether the field differs between before and after.
func (f AuditField) Changed() bool { return f.Before != f.After }

// FormatSeconds shows a time in UTC to the second.
func FormatSeconds(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// formatCount shows a count with thousands separators, e.g. "100,000".
func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
