package handlers

import "github.com/labstack/echo/v4"

// registerSettingsRoutes lists the routes of the country policy and risk settings editors: console pages on pages,
// their JSON twins on api.
func (s *server) registerSettingsRoutes(pages, api *echo.Group) {}
