package handlers

import "github.com/labstack/echo/v4"

// registerDecisionRoutes lists the routes of the decision log, marking spam or legit, the callback queue and the IVR report: console pages on pages,
// their JSON twins on api.
func (s *server) registerDecisionRoutes(pages, api *echo.Group) {}
