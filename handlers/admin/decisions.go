package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

const (
	DecisionsPath    = Prefix + "/decisions"
	DecisionPageSize = 50
)

// DatetimeLocal is the layout of a datetime-local input.
const DatetimeLocal = "2006-01-02T15:04"

// decisionFilter reads the log's filters from the query: the form as typed
// and the filter it means, or a field error.
func decisionFilter(c echo.Context) (web.DecisionFilterModel, dispatch.DecisionFilter, error) {
	m := web.DecisionFilterModel{
		Action: c.QueryParam("action"), Number: strings.TrimSpace(c.QueryParam("number")),
		IP: strings.TrimSpace(c.QueryParam("ip")), Country: strings.ToUpper(strings.TrimSpace(c.QueryParam("country"))),
		Reason: strings.TrimSpace(c.QueryParam("reason")), From: c.QueryParam("from"), To: c.QueryParam("to"),
	}
	f := dispatch.DecisionFilter{Action: risk.Action(m.Action), Country: m.Country, Reason: m.Reason}
	switch f.Action {
	case "", risk.Allow, risk.Deflect, risk.Block:
	default:
		return m, f, respond.FieldError(respond.CodeInvalidFilter, "action", "The action must be allow, deflect or block.")
	}
	if ref, ok := referencePrefix(m.Number); ok {
		f.IDPrefix = ref
	} else if m.Number != "" {
		if !strings.HasPrefix(m.Number, "+") {
			return m, f, respond.FieldError(respond.CodeInvalidFilter, "number", "Type the number in international format, with + and the country code, or the visitor's reference such as NMFI-PY3Y.")
		}
		n, err := risk.NormalizeEntry(risk.DenyNumber, m.Number, "")
		if err != nil {
			return m, f, respond.FieldError(respond.CodeInvalidFilter, "number", "The number filter is not a phone number.")
		}
		f.Number = n
	}
	if m.IP != "" {
		ip, err := netip.ParseAddr(m.IP)
		if err != nil {
			return m, f, respond.FieldError(respond.CodeInvalidFilter, "ip", "The IP filter is not an IP address.")
		}
		f.IP = ip.Unmap()
	}
	if m.Country != "" && (len(m.Country) != 2 || strings.Trim(m.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return m, f, respond.FieldError(respond.CodeInvalidFilter, "country", "The country must be a two-letter ISO code such as GB.")
	}
	if len(m.Reason) > 64 {
		return m, f, respond.FieldError(respond.CodeInvalidFilter, "reason", "The reason code is too long.")
	}
	for _, b := range []struct {
		field, v string
		to       *time.Time
		end      time.Duration
	}{{"from", m.From, &f.From, 0}, {"to", m.To, &f.To, time.Minute - time.Millisecond}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(DatetimeLocal, b.v)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, b.v); err != nil {
				return m, f, respond.FieldError(respond.CodeInvalidFilter, b.field, "The time must look like 2025-01-31T13:45 (UTC).")
			}
		} else {
			t = t.Add(b.end)
		}
		*b.to = t.UTC()
	}
	return m, f, nil
}

// referencePrefix reads s as the reference a visitor was given
// (web.Reference), or any start of a decision id: at least 4 letters and
// digits, one of them a letter, in either case, dashes and spaces ignored.
// It returns the id prefix to match, in lower case.
func referencePrefix(s string) (string, bool) {
	// Decision ids are base32 (a-z, 2-7): the digits people type for the
	// letters they resemble are read as those letters, and anything else
	// is no reference, so a typo cannot force a scan that finds nothing.
	// A reference has a letter as typed, so a number of digits alone stays
	// a number.
	typed := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(s))
	ref := strings.NewReplacer("0", "o", "1", "i", "8", "b").Replace(typed)
	if len(ref) < 4 || len(ref) > 26 || strings.Trim(ref, "abcdefghijklmnopqrstuvwxyz234567") != "" ||
		!strings.ContainsAny(typed, "abcdefghijklmnopqrstuvwxyz") {
		return "", false
	}
	return ref, true
}

// decisionPage reads the filters and cursor of the request and returns
// the page of decisions they select, with their labels.
func (s *Handlers) decisionPage(c echo.Context) (web.DecisionFilterModel, []dispatch.LoggedDecision, map[string]string, string, error) {
	m, f, err := decisionFilter(c)
	if err != nil {
		return m, nil, nil, "", err
	}
	before := c.QueryParam("before")
	if before != "" && !dispatch.ValidStreamID(before) {
		return m, nil, nil, "", respond.FieldError(respond.CodeInvalidFilter, "before", "The page cursor is not a decision id.")
	}
	ctx := c.Request().Context()
	page, next, err := s.Decisions.DecisionPage(ctx, f, before, DecisionPageSize)
	if err != nil {
		return m, nil, nil, "", respond.Failed(err)
	}
	entries := make([]string, len(page))
	for i, d := range page {
		entries[i] = d.Entry
	}
	labels, err := s.Decisions.Labels(ctx, entries...)
	if err != nil {
		return m, nil, nil, "", respond.Failed(err)
	}
	return m, page, labels, next, nil
}

// reasonOptions are the engine's reasons by name, for the filter.
var reasonOptions = func() []web.ReasonOption {
	var out []web.ReasonOption
	for _, r := range risk.ReasonTable() {
		out = append(out, web.ReasonOption{Code: r.Code, Name: r.Name})
	}
	slices.SortFunc(out, func(a, b web.ReasonOption) int { return strings.Compare(a.Name, b.Name) })
	return out
}()

// HandleDecisionsShow shows the decision log.
func (s *Handlers) HandleDecisionsShow(c echo.Context) error {
	fm, page, labels, next, err := s.decisionPage(c)
	m := web.DecisionsModel{Filter: fm, Next: next, Paged: c.QueryParam("before") != "", Reasons: reasonOptions}
	var ae *respond.Error
	if errors.As(err, &ae) && ae.Code == respond.CodeInvalidFilter {
		m.Error = ae.Message
	} else if err != nil {
		return err
	}
	for _, d := range page {
		row := decisionRow(d, labels[d.Entry])
		row.Number = risk.MaskNumber(row.Number)
		m.Rows = append(m.Rows, row)
	}
	status := http.StatusOK
	if m.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	return respond.Render(c, status, web.DecisionsPage(s.frame(c, web.SectionDecisions), m))
}

// DecisionsAnswer is the JSON answer of GET /api/v1/admin/decisions.
type DecisionsAnswer struct {
	Decisions []loggedDecisionJSON `json:"decisions"`
	// Next is the before cursor of the following page, empty at the end.
	Next string `json:"next"`
}

// loggedDecisionJSON is a logged decision with its label and, when asked
// for with calls=true, the state of an allowed decision's call.
type loggedDecisionJSON struct {
	dispatch.LoggedDecision
	Label string           `json:"label,omitempty"`
	Call  *dispatch.Status `json:"call,omitempty"`
}

// HandleAPIDecisions lists decisions as JSON, numbers masked; with
// calls=true each allowed decision carries its call's state, read for the
// whole page in one round trip.
func (s *Handlers) HandleAPIDecisions(c echo.Context) error {
	withCalls := false
	switch c.QueryParam("calls") {
	case "", "false":
	case "true":
		withCalls = true
	default:
		return respond.FieldError(respond.CodeInvalidFilter, "calls", "calls must be true or false.")
	}
	_, page, labels, next, err := s.decisionPage(c)
	if err != nil {
		return err
	}
	var calls map[string]dispatch.Status
	if withCalls {
		ds := make([]risk.Decision, len(page))
		for i, d := range page {
			ds[i] = d.Decision
		}
		if calls, err = s.Queue.CallStatuses(c.Request().Context(), ds...); err != nil {
			return respond.Failed(err)
		}
	}
	out := DecisionsAnswer{Decisions: make([]loggedDecisionJSON, len(page)), Next: next}
	for i, d := range page {
		d.Decision.Number = risk.MaskNumber(d.Decision.Number)
		out.Decisions[i] = loggedDecisionJSON{LoggedDecision: d, Label: labels[d.Entry]}
		if st, ok := calls[d.Decision.ID]; ok {
			st.Call.Number = risk.MaskNumber(st.Call.Number)
			out.Decisions[i].Call = &st
		}
	}
	return c.JSON(http.StatusOK, out)
}

// decisionRow converts a logged decision for the pages, number unmasked.
func decisionRow(ld dispatch.LoggedDecision, label string) web.DecisionRow {
	d := ld.Decision
	row := web.DecisionRow{
		Entry: ld.Entry, ID: d.ID, At: d.At, Number: d.Number, NumberCountry: d.NumberCountry, NumberType: d.NumberType,
		IPCountry: d.IPCountry, ASN: d.ASN, Flow: d.Flow, Action: string(d.Action), Shown: string(d.Shown()), Score: d.Score, Label: label,
	}
	if d.IP.IsValid() {
		row.IP = d.IP.String()
	}
	for _, r := range d.Reasons {
		info, _ := risk.LookupReason(r.Code)
		row.Reasons = append(row.Reasons, web.ReasonView{Code: r.Code, Name: risk.ReasonName(r.Code), Description: info.Description,
			Detail: r.Detail, Weight: r.Weight, Hard: r.Hard, Waived: r.Waived})
	}
	return row
}
