package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

const (
	CallsPath   = Prefix + "/calls"
	recentCalls = 50
	deadShown   = 100
)

// CallsAnswer is the JSON answer of GET /api/v1/admin/calls; numbers are
// masked.
type CallsAnswer struct {
	Counts dispatch.QueueCounts `json:"counts"`
	Recent []callJSON           `json:"recent"`
	Dead   []deadJSON           `json:"dead"`
}

// callJSON is a recent call.
type callJSON struct {
	ID          string    `json:"id"`
	Number      string    `json:"number"`
	Country     string    `json:"country,omitempty"`
	Flow        string    `json:"flow,omitempty"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	ProviderID  string    `json:"provider_id,omitempty"`
	Outcome     string    `json:"outcome,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// deadJSON is a dead letter; Entry is the id retry and discard take.
type deadJSON struct {
	Entry    string    `json:"entry"`
	CallID   string    `json:"call_id"`
	Number   string    `json:"number"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

// queueState is the queue as the calls page and its twin show it.
type queueState struct {
	counts dispatch.QueueCounts
	recent []dispatch.Status
	dead   []dispatch.DeadEntry
}

// readQueue reads the queue's counts, recent calls and dead letters.
func (s *Handlers) readQueue(c echo.Context) (queueState, error) {
	ctx := c.Request().Context()
	q := s.Queue
	var st queueState
	var err error
	if st.counts, err = q.Counts(ctx); err != nil {
		return st, respond.Failed(err)
	}
	if st.recent, err = q.RecentCalls(ctx, recentCalls); err != nil {
		return st, respond.Failed(err)
	}
	if st.dead, err = q.DeadEntries(ctx, deadShown); err != nil {
		return st, respond.Failed(err)
	}
	return st, nil
}

// HandleCallsShow shows the callback queue.
func (s *Handlers) HandleCallsShow(c echo.Context) error {
	st, err := s.readQueue(c)
	if err != nil {
		return err
	}
	n := st.counts
	m := web.CallsModel{Counts: web.QueueCountsView{Queued: n.Queued, Dialing: n.Dialing, Retrying: n.Retrying, Dead: n.Dead}}
	for _, r := range st.recent {
		m.Recent = append(m.Recent, web.CallRow{ID: r.Call.ID, Number: risk.MaskNumber(r.Call.Number), Country: r.Call.Country,
			Flow: r.Call.Flow, State: r.State, LastError: r.LastError, ProviderID: r.ProviderID, Outcome: r.Outcome,
			Attempts: r.Attempts, RequestedAt: r.Call.RequestedAt})
	}
	for _, d := range st.dead {
		m.Dead = append(m.Dead, web.DeadRow{Entry: d.Entry, CallID: d.Call.ID, Number: risk.MaskNumber(d.Call.Number),
			Country: d.Call.Country, Error: d.Error, Attempts: d.Attempts, At: d.At})
	}
	return respond.Render(c, http.StatusOK, web.CallsPage(s.frame(c, web.SectionCalls), m))
}

// HandleAPICalls answers the callback queue as JSON.
func (s *Handlers) HandleAPICalls(c echo.Context) error {
	st, err := s.readQueue(c)
	if err != nil {
		return err
	}
	out := CallsAnswer{Counts: st.counts, Recent: make([]callJSON, len(st.recent)), Dead: make([]deadJSON, len(st.dead))}
	for i, r := range st.recent {
		out.Recent[i] = callJSON{ID: r.Call.ID, Number: risk.MaskNumber(r.Call.Number), Country: r.Call.Country, Flow: r.Call.Flow,
			State: r.State, Attempts: r.Attempts, LastError: r.LastError, ProviderID: r.ProviderID, Outcome: r.Outcome,
			RequestedAt: r.Call.RequestedAt.UTC()}
	}
	for i, d := range st.dead {
		out.Dead[i] = deadJSON{Entry: d.Entry, CallID: d.Call.ID, Number: risk.MaskNumber(d.Call.Number), Attempts: d.Attempts,
			Error: d.Error, At: d.At.UTC()}
	}
	return c.JSON(http.StatusOK, out)
}

// retryDead queues a dead letter's call again and audits it.
func (s *Handlers) retryDead(c echo.Context) (dispatch.Call, error) {
	entry := c.Param("id")
	call, err := s.Queue.RetryDead(c.Request().Context(), entry)
	if err != nil {
		return call, respond.Failed(err)
	}
	call.Number = risk.MaskNumber(call.Number)
	s.record(c, "call.retry", "dead letter "+entry, nil, call)
	return call, nil
}

// discardDead deletes a dead letter and audits it.
func (s *Handlers) discardDead(c echo.Context) error {
	entry := c.Param("id")
	gone, err := s.Queue.DiscardDead(c.Request().Context(), entry)
	if err != nil {
		return respond.Failed(err)
	}
	s.record(c, "call.discard", "dead letter "+entry, gone, nil)
	return nil
}

// HandleDeadRetry retries a dead letter from the console.
func (s *Handlers) HandleDeadRetry(c echo.Context) error {
	call, err := s.retryDead(c)
	if err != nil {
		return s.deadRefusal(c, err)
	}
	return s.redirectBack(c, CallsPath, flashOK, "Call "+call.ID+" queued again.")
}

// HandleDeadDiscard discards a dead letter from the console.
func (s *Handlers) HandleDeadDiscard(c echo.Context) error {
	if err := s.discardDead(c); err != nil {
		return s.deadRefusal(c, err)
	}
	return s.redirectBack(c, CallsPath, flashOK, "Dead letter discarded.")
}

// deadRefusal shows a dead letter already dealt with as a message, as after
// a double click; other errors stand.
func (s *Handlers) deadRefusal(c echo.Context, err error) error {
	var ae *respond.Error
	if errors.As(err, &ae) && ae.Code == respond.CodeNotFound {
		return s.redirectBack(c, CallsPath, flashError, ae.Message)
	}
	return err
}

// HandleAPIDeadRetry retries a dead letter.
func (s *Handlers) HandleAPIDeadRetry(c echo.Context) error {
	call, err := s.retryDead(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "queued", "call": call})
}

// HandleAPIDeadDiscard discards a dead letter.
func (s *Handlers) HandleAPIDeadDiscard(c echo.Context) error {
	if err := s.discardDead(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "discarded"})
}
