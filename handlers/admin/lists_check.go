package admin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// Limits of an import.
const (
	MaxImportLines = 100_000
	maxEntryReason = 200
)

// entryChecker validates the entries of one bulk change before any is
// applied: the value, the reason, the expiry and duplicates.
type entryChecker struct {
	lists *risk.ListStore
	list  risk.List
	now   time.Time
	// unit names a position in messages: "line" or "entry".
	unit string
	seen map[string]int
}

func newEntryChecker(lists *risk.ListStore, l risk.List, now time.Time, unit string) *entryChecker {
	return &entryChecker{lists: lists, list: l, now: now, unit: unit, seen: map[string]int{}}
}

// check returns the entry at position pos, or why it is refused.
func (ch *entryChecker) check(pos int, value, reason, expires string) (risk.Entry, string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return risk.Entry{}, "the value is empty"
	}
	v, err := ch.lists.Normalize(ch.list, value)
	if err != nil {
		return risk.Entry{}, err.Error()
	}
	en := risk.Entry{Value: v, Reason: strings.TrimSpace(reason)}
	if utf8.RuneCountInString(en.Reason) > maxEntryReason {
		return en, "the reason is longer than " + strconv.Itoa(maxEntryReason) + " characters"
	}
	if strings.ContainsFunc(en.Reason, unicode.IsControl) {
		return en, "the reason holds control characters"
	}
	if expires = strings.TrimSpace(expires); expires != "" {
		t, err := time.Parse(time.RFC3339, expires)
		if err != nil {
			return en, fmt.Sprintf("expires %q is not an RFC 3339 time such as 2026-12-31T00:00:00Z", expires)
		}
		if !t.After(ch.now) {
			return en, "expires " + expires + " has passed"
		}
		en.Expires = t.UTC()
	}
	if first, dup := ch.seen[v]; dup {
		return en, fmt.Sprintf("%s is a duplicate of %s %d", v, ch.unit, first)
	}
	ch.seen[v] = pos
	return en, ""
}

// importLine is the verdict on one line of an import.
type importLine struct {
	Line    int    `json:"line"`
	Value   string `json:"value"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// ImportReport is the outcome of an import: every line's verdict, and
// whether the entries were added (only when no line is refused).
type ImportReport struct {
	List     string       `json:"list"`
	Applied  bool         `json:"applied"`
	Accepted int          `json:"accepted"`
	Refused  int          `json:"refused"`
	Lines    []importLine `json:"lines"`
}

// errNoImportData is an import with no value in it.
var errNoImportData = errors.New("There is nothing to import: upload a CSV file or paste values, one per line.")

// checkImport reads CSV with a value,reason,expires header (expires
// optional; other columns, such as an export's author and created, are
// ignored) or bare values one per line, and checks every line. It returns
// the accepted entries and the report; an error is a problem with the
// whole input, as an respond.Error.
func (s *Handlers) checkImport(l risk.List, r io.Reader) ([]risk.Entry, ImportReport, error) {
	rep := ImportReport{List: string(l), Lines: []importLine{}}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cols := map[string]int{"value": 0, "reason": 1, "expires": 2}
	ch := newEntryChecker(s.Lists, l, s.now(), "line")
	var entries []risk.Entry
	for first := true; ; {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, rep, readImportError(err)
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if first {
			first = false
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			if strings.EqualFold(strings.TrimSpace(rec[0]), "value") {
				cols = map[string]int{}
				for i, name := range rec {
					cols[strings.ToLower(strings.TrimSpace(name))] = i
				}
				continue
			}
		}
		if len(rep.Lines) == MaxImportLines {
			return nil, rep, importError(fmt.Sprintf("The import has more than %d lines: split it into several files.", MaxImportLines))
		}
		cell := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return CSVUncell(strings.TrimSpace(rec[i]))
			}
			return ""
		}
		line, _ := cr.FieldPos(0)
		en, refused := ch.check(line, cell("value"), cell("reason"), cell("expires"))
		verdict := importLine{Line: line, Value: en.Value, Status: "accepted"}
		if refused != "" {
			verdict.Status, verdict.Message = "refused", refused
			if verdict.Value == "" {
				verdict.Value = cell("value")
			}
			rep.Refused++
		} else {
			rep.Accepted++
			entries = append(entries, en)
		}
		rep.Lines = append(rep.Lines, verdict)
	}
	if len(rep.Lines) == 0 {
		return nil, rep, importError(errNoImportData.Error())
	}
	return entries, rep, nil
}

// importError is a problem with a whole import.
func importError(msg string) *respond.Error {
	return &respond.Error{Code: respond.CodeImportRefused, Message: msg}
}

// readImportError says what is wrong with input that is not CSV or could
// not be read.
func readImportError(err error) *respond.Error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return importError(fmt.Sprintf("Line %d is not valid CSV: %v.", pe.StartLine, pe.Err))
	}
	ae := respond.BodyReadError(err)
	if ae.Code == respond.CodeBodyTooLarge {
		ae.Message = importTooLarge
	}
	return ae
}
