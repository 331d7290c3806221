package handlers

import "github.com/labstack/echo/v4"

// registerDashboardRoutes lists the routes of the dashboard and the audit log: console pages on pages,
// their JSON twins on api.
func (s *server) registerDashboardRoutes(pages, api *echo.Group) {}
