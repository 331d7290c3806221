package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// markRequest says what Mark spam or Mark legit adds to the lists.
type markRequest struct {
	// Number adds the decision's number (deny_number or allow_number).
	Number bool `json:"number"`
	// Prefix, for spam only, adds this number prefix to deny_prefix.
	Prefix string `json:"prefix"`
	// IP is "" (nothing), "address" (the IP itself) or "network" (its /24,
	// or /64 for IPv6), added to deny_ip or allow_ip.
	IP string `json:"ip"`
	// Reason is kept with every entry; empty means "marked from decision <id>".
	Reason string `json:"reason"`
}

// markFields names markRequest's fields for error messages.
const markFields = "number, prefix, ip and reason"

// DecisionDetail is the JSON answer of GET /api/v1/admin/decisions/:id.
type DecisionDetail struct {
	dispatch.LoggedDecision
	Label     string           `json:"label,omitempty"`
	DeflectAt int              `json:"deflect_at"`
	BlockAt   int              `json:"block_at"`
	Call      *dispatch.Status `json:"call,omitempty"`
}

// decisionDetailOf reads decision entry with its label and call.
func (s *Handlers) decisionDetailOf(c echo.Context) (DecisionDetail, error) {
	ctx := c.Request().Context()
	ld, err := s.Decisions.Decision(ctx, c.Param("id"))
	if err != nil {
		return DecisionDetail{}, respond.Failed(err)
	}
	labels, err := s.Decisions.Labels(ctx, ld.Entry)
	if err != nil {
		return DecisionDetail{}, respond.Failed(err)
	}
	st := s.Settings.Settings()
	out := DecisionDetail{LoggedDecision: ld, Label: labels[ld.Entry], DeflectAt: st.DeflectAt, BlockAt: st.BlockAt}
	call, err := s.Queue.Status(ctx, ld.Decision.ID)
	switch {
	case err == nil:
		out.Call = &call
	case !errors.Is(err, dispatch.ErrUnknownCall):
		return DecisionDetail{}, respond.Failed(err)
	}
	return out, nil
}

// HandleDecisionShow shows one decision in full.
func (s *Handlers) HandleDecisionShow(c echo.Context) error {
	dd, err := s.decisionDetailOf(c)
	if err != nil {
		return err
	}
	d := dd.Decision
	m := web.DecisionDetailModel{Decision: decisionRow(dd.LoggedDecision, dd.Label), DeflectAt: dd.DeflectAt, BlockAt: dd.BlockAt}
	if len(d.Number) > 5 {
		m.Prefix = d.Number[:len(d.Number)-4]
	}
	if n, ok := networkOf(d.IP); ok {
		m.Network = n
	}
	if dd.Call != nil {
		m.Call = &web.CallView{ID: dd.Call.Call.ID, State: dd.Call.State, Attempts: dd.Call.Attempts,
			LastError: dd.Call.LastError, ProviderID: dd.Call.ProviderID, Outcome: dd.Call.Outcome}
	}
	return respond.Render(c, http.StatusOK, web.DecisionDetailPage(s.frame(c, web.SectionDecisions), m))
}

// HandleAPIDecision answers one decision as JSON, number whole.
func (s *Handlers) HandleAPIDecision(c echo.Context) error {
	dd, err := s.decisionDetailOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dd)
}

// networkOf is ip's /24, or /64 for IPv6.
func networkOf(ip netip.Addr) (string, bool) {
	if !ip.IsValid() {
		return "", false
	}
	bits := 24
	if ip.Is6() {
		bits = 64
	}
	return netip.PrefixFrom(ip, bits).Masked().String(), true
}

// markAdded is what a mark added, list by list.
type markAdded map[risk.List][]risk.Entry

// mark adds what req selects from decision entry to the lists for label
// (spam: deny lists; legit: allow lists), validating every value before
// adding any, labels the decision and audits the change.
func (s *Handlers) mark(c echo.Context, label string, req markRequest) (markAdded, error) {
	ctx := c.Request().Context()
	ld, err := s.Decisions.Decision(ctx, c.Param("id"))
	if err != nil {
		return nil, respond.Failed(err)
	}
	d := ld.Decision
	req.Reason = strings.TrimSpace(req.Reason)
	if ae := respond.CheckText(req.Reason, "reason", "reason", 200, respond.CodeReasonTooLong, respond.CodeInvalidReason); ae != nil {
		return nil, ae
	}
	if req.Reason == "" {
		req.Reason = "marked from decision " + ld.Entry
	}
	numberList, ipList := risk.DenyNumber, risk.DenyIP
	if label == dispatch.LabelLegit {
		numberList, ipList = risk.AllowNumber, risk.AllowIP
	}
	want := map[risk.List]string{}
	if req.Number {
		want[numberList] = d.Number
	}
	if req.Prefix = strings.TrimSpace(req.Prefix); req.Prefix != "" {
		if label == dispatch.LabelLegit {
			return nil, respond.FieldError(respond.CodeInvalidEntry, "prefix", "Mark legit allows a number or an IP, not a prefix.")
		}
		want[risk.DenyPrefix] = req.Prefix
	}
	switch req.IP {
	case "":
	case "address", "network":
		if !d.IP.IsValid() {
			return nil, respond.FieldError(respond.CodeInvalidEntry, "ip", "This decision has no IP address.")
		}
		want[ipList] = d.IP.String()
		if req.IP == "network" {
			want[ipList], _ = networkOf(d.IP)
		}
	default:
		return nil, respond.FieldError(respond.CodeInvalidEntry, "ip", `ip must be "", "address" or "network".`)
	}
	// With nothing ticked the decision is labelled only: a label feeds
	// what-if replays (risk/replay) without touching the lists.
	for l, v := range want {
		n, err := risk.NormalizeEntry(l, v, "")
		if err == nil && l == risk.DenyPrefix && len(n) < 5 {
			err = errors.New("the prefix needs at least 4 digits, so it does not deny a whole country by mistake")
		}
		if err != nil {
			return nil, respond.FieldError(respond.CodeInvalidEntry, string(l), "Nothing was added: "+err.Error()+".")
		}
	}
	batch := make(map[risk.List][]risk.Entry, len(want))
	values := make(map[risk.List][]string, len(want))
	for l, v := range want {
		batch[l] = []risk.Entry{{Value: v, Reason: req.Reason, Author: actorOf(c).Name}}
		values[l] = []string{v}
	}
	added := markAdded{}
	var before any
	if len(batch) > 0 {
		replaced, err := s.Lists.LookupEntries(ctx, values)
		if err != nil {
			return nil, respond.Failed(err)
		}
		out, err := s.Lists.AddEntriesToLists(ctx, batch)
		if err != nil {
			return nil, respond.Failed(err)
		}
		added = markAdded(out)
		if len(replaced) > 0 {
			before = markAdded(replaced)
		}
	}
	if err := s.Decisions.SetLabel(ctx, ld.Entry, label); err != nil {
		s.record(c, "decision.mark_"+label, "decision "+ld.Entry, before, added)
		return nil, respond.Failed(err)
	}
	s.record(c, "decision.mark_"+label, "decision "+ld.Entry, before, added)
	return added, nil
}

// markForm reads a Mark spam or Mark legit form.
func markForm(c echo.Context) markRequest {
	req := markRequest{Number: c.FormValue("number") != "", IP: c.FormValue("ip"), Reason: c.FormValue("reason")}
	if c.FormValue("prefix_on") != "" {
		req.Prefix = c.FormValue("prefix")
	}
	return req
}

// HandleMarkSpam marks a decision spam from the console.
func (s *Handlers) HandleMarkSpam(c echo.Context) error {
	return s.markPage(c, dispatch.LabelSpam)
}

// HandleMarkLegit marks a decision legit from the console.
func (s *Handlers) HandleMarkLegit(c echo.Context) error {
	return s.markPage(c, dispatch.LabelLegit)
}

// markPage marks a decision from a form and goes back to the page the form
// was on, with what was added or why nothing was.
func (s *Handlers) markPage(c echo.Context, label string) error {
	back := DecisionsPath + "/" + c.Param("id")
	if c.FormValue("back") == "log" {
		back = DecisionsPath
	}
	added, err := s.mark(c, label, markForm(c))
	var ae *respond.Error
	if errors.As(err, &ae) && ae.Status() == http.StatusUnprocessableEntity {
		return s.redirectBack(c, back, flashError, ae.Text())
	}
	if err != nil {
		return err
	}
	var parts []string
	for _, l := range risk.Lists() {
		for _, e := range added[l] {
			parts = append(parts, e.Value+" to "+string(l))
		}
	}
	return s.redirectBack(c, back, flashOK, "Marked "+label+": added "+strings.Join(parts, ", ")+".")
}

// MarkAnswer is the JSON answer of a mark.
type MarkAnswer struct {
	Label string    `json:"label"`
	Added markAdded `json:"added"`
}

// HandleAPIMarkSpam marks a decision spam.
func (s *Handlers) HandleAPIMarkSpam(c echo.Context) error {
	return s.markAPI(c, dispatch.LabelSpam)
}

// HandleAPIMarkLegit marks a decision legit.
func (s *Handlers) HandleAPIMarkLegit(c echo.Context) error {
	return s.markAPI(c, dispatch.LabelLegit)
}

func (s *Handlers) markAPI(c echo.Context, label string) error {
	var req markRequest
	if err := respond.DecodeJSON(c.Request(), &req, markFields); err != nil {
		return err
	}
	added, err := s.mark(c, label, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, MarkAnswer{Label: label, Added: added})
}
