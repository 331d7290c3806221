package handlers

import "github.com/labstack/echo/v4"

// registerListRoutes lists the routes of the deny and allow list editors, import and export: console pages on pages,
// their JSON twins on api.
func (s *server) registerListRoutes(pages, api *echo.Group) {}
