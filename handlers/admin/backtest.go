package admin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/replay"
	"github.com/tollgate/tollgate/web"
)

// BacktestRequest is the body of POST /api/v1/admin/backtest: a draft to
// replay the decisions of a period with. Settings are merged over the
// settings in force (a field left out keeps its value), Policy replaces
// the country policies; either may be left out.
type BacktestRequest struct {
	Settings json.RawMessage `json:"settings,omitempty"`
	Policy   *PolicyDoc      `json:"policy,omitempty"`
	// From and To bound the period; the default is the last 24 hours,
	// and From may reach back no further than the decision retention.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
}

// BacktestAnswer is what a backtest found (replay.Result), with whether the
// period held more decisions than one backtest replays.
type BacktestAnswer struct {
	replay.Result
	// Truncated is true when the period held more than BacktestMax
	// decisions: the oldest BacktestMax were replayed.
	Truncated bool `json:"truncated"`
}

// Bounds of one backtest.
const (
	// BacktestMax is how many decisions one backtest replays at most:
	// about 30 s and 125 MB of heap for the decisions and the in-memory
	// store (BenchmarkReplay).
	BacktestMax = 50_000
	// BacktestTime is how long one backtest runs at most; it then answers
	// with what it replayed so far.
	BacktestTime = 2 * time.Minute
	// BacktestPeriod is the period replayed when none is given.
	BacktestPeriod = 24 * time.Hour
)

// NDJSON is the media type of a backtest that reports its progress: one
// JSON object a line, {"done":N,"total":M} as it goes, then
// {"result":{...}}.
const NDJSON = "application/x-ndjson"

// BacktestChange is one changed decision of a backtest's samples.
type BacktestChange = replay.Change

// BacktestProgress is one progress line of a streamed backtest.
type BacktestProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

// HandleAPIBacktest replays the decisions of a period with a draft of the
// settings and the country policy, on this instance, in an isolated engine
// (risk/replay), and answers what would change. It reads numbers whole, so
// it is for admins only, and every run is in the audit log. A client that
// accepts application/x-ndjson gets its progress as it goes.
func (s *Handlers) HandleAPIBacktest(c echo.Context) error {
	var req BacktestRequest
	if err := respond.DecodeJSON(c.Request(), &req, "settings, policy, from and to"); err != nil {
		return err
	}
	draft, err := s.backtestDraft(req)
	if err != nil {
		return err
	}
	if fe := risk.FieldErrors(draft.Validate()); len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	from, to, err := s.backtestPeriod(req, time.Now())
	if err != nil {
		return err
	}
	stream := strings.Contains(c.Request().Header.Get(echo.HeaderAccept), NDJSON)
	var progress func(done, total int)
	if stream {
		c.Response().Header().Set(echo.HeaderContentType, NDJSON)
		c.Response().WriteHeader(http.StatusOK)
		enc := json.NewEncoder(c.Response())
		progress = func(done, total int) {
			_ = enc.Encode(BacktestProgress{Done: done, Total: total})
			c.Response().Flush()
		}
	}
	answer, err := s.backtest(c, draft, from, to, progress)
	switch {
	case err != nil && stream:
		fe := respond.Failed(err)
		return json.NewEncoder(c.Response()).Encode(map[string]respond.ErrorBody{"error": {Code: fe.Code, Message: cmp.Or(fe.Message, "The backtest failed: "+err.Error())}})
	case err != nil:
		return respond.Failed(err)
	case stream:
		return json.NewEncoder(c.Response()).Encode(map[string]BacktestAnswer{"result": answer})
	}
	return c.JSON(http.StatusOK, answer)
}

// backtest replays the decisions from from to to with draft, bounded by
// BacktestMax and BacktestTime, and records the run in the audit log.
func (s *Handlers) backtest(c echo.Context, draft risk.Settings, from, to time.Time, progress func(done, total int)) (BacktestAnswer, error) {
	ctx, cancel := context.WithTimeoutCause(c.Request().Context(), BacktestTime,
		fmt.Errorf("a backtest runs at most %s", BacktestTime))
	defer cancel()
	logged, labels, truncated, err := s.Decisions.Range(ctx, from, to, BacktestMax)
	if err != nil {
		return BacktestAnswer{}, err
	}
	recorded := make([]replay.Recorded, len(logged))
	for i, ld := range logged {
		recorded[i] = replay.Recorded{Entry: ld.Entry, Decision: ld.Decision, Label: labels[ld.Entry]}
	}
	res, err := replay.Run(ctx, recorded, replay.Options{Settings: draft, Lists: s.Lists, Progress: progress})
	if err != nil {
		return BacktestAnswer{}, err
	}
	s.record(c, "backtest.run", fmt.Sprintf("decisions from %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339)),
		nil, map[string]any{"decisions": res.Decisions, "changed": res.Changed, "draft": draft})
	return BacktestAnswer{Result: res, Truncated: truncated}, nil
}

// backtestDraft merges req's draft over the settings in force.
func (s *Handlers) backtestDraft(req BacktestRequest) (risk.Settings, error) {
	draft := s.Settings.Settings()
	if len(req.Settings) > 0 {
		dec := json.NewDecoder(bytes.NewReader(req.Settings))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&draft); err != nil {
			return risk.Settings{}, &respond.Error{Code: respond.CodeInvalidSettings, Field: "settings",
				Message: "settings: " + err.Error() + "; send the fields of GET /api/v1/admin/settings to change"}
		}
	}
	if req.Policy != nil {
		draft.Account, draft.Flows = req.Policy.Account, req.Policy.Flows
	}
	return draft, nil
}

// backtestPeriod is req's period, checked: the last BacktestPeriod by
// default, within the decision retention.
func (s *Handlers) backtestPeriod(req BacktestRequest, now time.Time) (from, to time.Time, err error) {
	from, to = req.From, req.To
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-BacktestPeriod)
	}
	oldest := now.Add(-s.Decisions.Retention())
	switch {
	case !from.Before(to):
		return from, to, &respond.Error{Code: respond.CodeInvalidFilter, Field: "from", Message: "from must be before to."}
	case from.Before(oldest):
		return from, to, &respond.Error{Code: respond.CodeInvalidFilter, Field: "from",
			Message: fmt.Sprintf("from is older than the decision retention (%s): decisions before %s are no longer kept.", risk.FormatDuration(s.Decisions.Retention()), oldest.Format(time.RFC3339))}
	}
	return from, to, nil
}

// HandleSettingsTry replays the last BacktestPeriod's decisions with the
// settings on the form, without saving them, and shows the form again,
// as typed, with the replay's progress and then what the draft would have
// done above it.
func (s *Handlers) HandleSettingsTry(c echo.Context) error {
	before := s.Settings.Settings()
	draft, m, ok := parseSettingsForm(c, s.Settings.Settings())
	m.JSON = settingsJSON(before)
	if !ok {
		return respond.Render(c, http.StatusUnprocessableEntity, web.SettingsPage(s.frame(c, web.SectionSettings), m))
	}
	m.Replay = s.replay(c, draft)
	return stream(c, web.SettingsPage(s.frame(c, web.SectionSettings), m))
}

// backtestView is a backtest's answer as the console shows it.
func backtestView(a BacktestAnswer) *web.BacktestView {
	v := &web.BacktestView{From: a.From, To: a.To, Decisions: a.Decisions, Changed: a.Changed, Truncated: a.Truncated,
		Max: BacktestMax, Stopped: a.Stopped, CallsAdded: a.CallsAdded, CallsAvoided: a.CallsAvoided,
		SpendAdded: a.SpendAdded, SpendAvoided: a.SpendAvoided}
	for _, ac := range a.Actions {
		v.Actions = append(v.Actions, web.BacktestAction{Before: string(ac.Before), After: string(ac.After), Count: ac.Count})
	}
	for _, rc := range a.Reasons {
		v.Reasons = append(v.Reasons, web.BacktestReason{Code: rc.Code, Name: risk.ReasonName(rc.Code), Added: rc.Added, Removed: rc.Removed})
	}
	sample := func(ch replay.Changes) web.BacktestSample {
		out := web.BacktestSample{Count: ch.Count}
		for _, c := range ch.Sample {
			out.Rows = append(out.Rows, web.BacktestRow{Entry: c.Entry, Number: c.Number, Country: c.Country, Before: string(c.Before), After: string(c.After)})
		}
		return out
	}
	v.LegitRefused, v.SpamAllowed = sample(a.LegitRefused), sample(a.SpamAllowed)
	return v
}

// HandlePolicyRuleTry replays the last BacktestPeriod's decisions with the
// country rule of the add-or-change-rule form applied to the policy in
// force, without saving it, and shows the policy page with what the rule
// would have done and a button that saves it.
func (s *Handlers) HandlePolicyRuleTry(c echo.Context) error {
	draft := s.Settings.Settings()
	_, err := editFlow(&draft, c.Param("flow"), ruleSet(c))
	if err == nil {
		err = draft.Validate()
	}
	if err != nil {
		if fe := risk.FieldErrors(err); len(fe) > 0 {
			err = fe[0]
		}
		return s.redirectBack(c, PolicyPath, flashError, err.Error())
	}
	m := s.policyModel(c)
	m.Replay = s.replay(c, draft)
	cc, mode, flow := strings.ToUpper(strings.TrimSpace(c.FormValue("country"))), c.FormValue("mode"), c.Param("flow")
	m.Tried = &web.PolicyTry{Flow: flow, Action: strings.TrimSuffix(c.Request().URL.Path, "/try"), Country: cc, Mode: mode,
		Change: fmt.Sprintf("calls to %s (%s) from %s set to %s", web.CountryName(cc), cc, policyName(flow), mode)}
	return stream(c, web.PolicyPage(s.frame(c, web.SectionPolicy), m))
}

// replay replays the last BacktestPeriod's decisions with draft while the
// page that holds it renders: its progress is sent as it goes, then what
// the draft would have done (or why the replay failed).
func (s *Handlers) replay(c echo.Context, draft risk.Settings) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		flush := func() {
			switch f := w.(type) {
			case interface{ Flush() error }:
				_ = f.Flush()
			case http.Flusher:
				f.Flush()
			}
		}
		if err := web.BacktestReplaying("the last 24 hours' decisions").Render(ctx, w); err != nil {
			return err
		}
		flush()
		now := time.Now()
		answer, err := s.backtest(c, draft, now.Add(-BacktestPeriod), now, func(done, total int) {
			_ = web.BacktestProgressLine(done, total).Render(ctx, w)
			flush()
		})
		if err != nil {
			return web.BacktestFailed(cmp.Or(respond.Failed(err).Message, err.Error())).Render(ctx, w)
		}
		return web.BacktestPanel(backtestView(answer)).Render(ctx, w)
	})
}

// stream renders page as it goes, for a page whose replay shows its
// progress: the status is 200 from the start.
func stream(c echo.Context, page templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return page.Render(c.Request().Context(), c.Response())
}
