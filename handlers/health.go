package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds the readiness check.
const readyTimeout = time.Second

// healthResponse is the body of /healthz and /readyz.
type healthResponse struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// handleHealthz reports that the process is serving.
func (s *server) handleHealthz(c echo.Context) error {
	return c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// handleReadyz reports whether the backing services answer. The failure's
// detail is logged, not sent.
func (s *server) handleReadyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.log.Warn("not ready", slog.Any("err", err))
		return c.JSON(http.StatusServiceUnavailable, healthResponse{Status: "unavailable", Error: "redis unreachable"})
	}
	return c.JSON(http.StatusOK, healthResponse{Status: "ready"})
}
