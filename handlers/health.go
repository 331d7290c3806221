package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/ivr"
)

// readyTimeout bounds the readiness check; the decision budget bounds it
// further, since a store slower than the budget is one decisions fall back
// from.
const readyTimeout = time.Second

// healthResponse is the body of /healthz and /readyz.
type healthResponse struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Fallback names the fail modes in force while the status is
	// degraded.
	Fallback *fallbackStatus `json:"fallback,omitempty"`
}

// fallbackStatus is the fail modes answering while the store is down.
type fallbackStatus struct {
	Form FormFailMode `json:"form"`
	IVR  ivr.FailMode `json:"ivr"`
	// LastAt is when a fail mode last answered, if ever.
	LastAt *time.Time `json:"last_at,omitempty"`
}

// handleHealthz reports that the process is serving.
func (s *server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// handleReadyz reports whether the backing services answer within the
// decision budget. When they do not, or a fail mode answered in the last
// ten seconds, the status is "degraded" with the fail modes in force, and
// the answer is still 200: every instance shares the store, so taking
// them all out of a load balancer would only turn fallback answers into
// no answers. ?strict=true answers 503 when degraded, for a probe that
// should drain the instance instead. The failure's detail is logged, not
// sent.
func (s *server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), min(readyTimeout, s.Faults.Budget))
	defer cancel()
	err := s.Ready(ctx)
	last, recent := s.budget.Recent()
	if err == nil && !recent {
		return c.JSON(http.StatusOK, healthResponse{Status: "ready"})
	}
	res := healthResponse{Status: "degraded", Fallback: &fallbackStatus{Form: s.Faults.Form, IVR: s.Faults.IVR}}
	if !last.IsZero() {
		res.Fallback.LastAt = &last
	}
	if err != nil {
		s.log.Warn("not ready", slog.Any("err", err))
		res.Error = "redis unreachable"
	}
	status := http.StatusOK
	if strict, _ := strconv.ParseBool(c.QueryParam("strict")); strict {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, res)
}
