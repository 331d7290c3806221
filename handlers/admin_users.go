package handlers

import (
	"net/http"
	"strings"

	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/auth"
	"github.com/tollgate/tollgate/web"
)

const (
	adminUsersPath = adminPrefix + "/users"
)

// handleUsersShow lists the users.
func (s *server) handleUsersShow(c echo.Context) error {
	users, err := s.console.Users.Users(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	return respond.Render(c, http.StatusOK, web.UsersPage(s.frame(c, web.SectionUsers), userRows(users)))
}

// handleUserCreate adds a user.
func (s *server) handleUserCreate(c echo.Context) error {
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	u, err := s.console.Users.CreateUser(c.Request().Context(), name, c.FormValue("password"), role)
	if err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	s.record(c, "user.create", "user "+u.Name, nil, u)
	return s.redirectBack(c, adminUsersPath, flashOK, "User "+u.Name+" created as "+string(u.Role)+".")
}

// handleUserRole changes a user's role.
func (s *server) handleUserRole(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	before, err := s.console.Users.User(ctx, name)
	if err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err == nil {
		err = s.console.Users.SetRole(ctx, name, role)
	}
	if err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	after := before
	after.Role = role
	s.record(c, "user.role", "user "+name, before, after)
	return s.redirectBack(c, adminUsersPath, flashOK, "User "+name+" is now "+string(role)+".")
}

// handleUserPassword sets a user's password.
func (s *server) handleUserPassword(c echo.Context) error {
	name := c.Param("name")
	if err := s.console.Users.SetPassword(c.Request().Context(), name, c.FormValue("password")); err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	s.record(c, "user.password", "user "+name, nil, nil)
	return s.redirectBack(c, adminUsersPath, flashOK, "Password of "+name+" changed.")
}

// handleUserUnlock lifts a user's sign-in lockout.
func (s *server) handleUserUnlock(c echo.Context) error {
	name := c.Param("name")
	if err := s.console.Users.Unlock(c.Request().Context(), name); err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	s.record(c, "user.unlock", "user "+name, nil, nil)
	return s.redirectBack(c, adminUsersPath, flashOK, "User "+name+" unlocked.")
}

// handleUserDelete removes a user.
func (s *server) handleUserDelete(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	before, err := s.console.Users.User(ctx, name)
	if err == nil {
		err = s.console.Users.DeleteUser(ctx, name)
	}
	if err != nil {
		return s.refusal(c, adminUsersPath, err)
	}
	s.record(c, "user.delete", "user "+name, before, nil)
	return s.redirectBack(c, adminUsersPath, flashOK, "User "+name+" deleted.")
}

// whoami is the JSON answer of GET /api/v1/admin/whoami.
type whoami struct {
	Actor string    `json:"actor"`
	Role  auth.Role `json:"role"`
}

// handleAPIWhoami says which token is calling.
func (s *server) handleAPIWhoami(c echo.Context) error {
	a := actorOf(c)
	return c.JSON(http.StatusOK, whoami{Actor: a.Name, Role: a.Role})
}

// handleAPIUsers lists the users as JSON.
func (s *server) handleAPIUsers(c echo.Context) error {
	users, err := s.console.Users.Users(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": users})
}

func userRows(users []auth.User) []web.UserRow {
	rows := make([]web.UserRow, len(users))
	for i, u := range users {
		rows[i] = web.UserRow{Name: u.Name, Role: string(u.Role), Created: u.Created, LockedUntil: u.LockedUntil}
	}
	return rows
}
