package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/admin/auth"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

const (
	UsersPath = Prefix + "/users"
)

// HandleUsersShow lists the users.
func (s *Handlers) HandleUsersShow(c echo.Context) error {
	users, err := s.Users.Users(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	return respond.Render(c, http.StatusOK, web.UsersPage(s.frame(c, web.SectionUsers), userRows(users)))
}

// HandleUserCreate adds a user.
func (s *Handlers) HandleUserCreate(c echo.Context) error {
	name := strings.ToLower(strings.TrimSpace(c.FormValue("name")))
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.refusal(c, UsersPath, err)
	}
	u, err := s.Users.CreateUser(c.Request().Context(), name, c.FormValue("password"), role)
	if err != nil {
		return s.refusal(c, UsersPath, err)
	}
	s.record(c, "user.create", "user "+u.Name, nil, u)
	return s.redirectBack(c, UsersPath, flashOK, "User "+u.Name+" created as "+string(u.Role)+".")
}

// HandleUserRole changes a user's role.
func (s *Handlers) HandleUserRole(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	before, err := s.Users.User(ctx, name)
	if err != nil {
		return s.refusal(c, UsersPath, err)
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err == nil {
		err = s.Users.SetRole(ctx, name, role)
	}
	if err != nil {
		return s.refusal(c, UsersPath, err)
	}
	after := before
	after.Role = role
	s.record(c, "user.role", "user "+name, before, after)
	return s.redirectBack(c, UsersPath, flashOK, "User "+name+" is now "+string(role)+".")
}

// HandleUserPassword sets a user's password.
func (s *Handlers) HandleUserPassword(c echo.Context) error {
	name := c.Param("name")
	if err := s.Users.SetPassword(c.Request().Context(), name, c.FormValue("password")); err != nil {
		return s.refusal(c, UsersPath, err)
	}
	s.record(c, "user.password", "user "+name, nil, nil)
	return s.redirectBack(c, UsersPath, flashOK, "Password of "+name+" changed.")
}

// HandleUserUnlock lifts a user's sign-in lockout.
func (s *Handlers) HandleUserUnlock(c echo.Context) error {
	name := c.Param("name")
	if err := s.Users.Unlock(c.Request().Context(), name); err != nil {
		return s.refusal(c, UsersPath, err)
	}
	s.record(c, "user.unlock", "user "+name, nil, nil)
	return s.redirectBack(c, UsersPath, flashOK, "User "+name+" unlocked.")
}

// HandleUserDelete removes a user.
func (s *Handlers) HandleUserDelete(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	before, err := s.Users.User(ctx, name)
	if err == nil {
		err = s.Users.DeleteUser(ctx, name)
	}
	if err != nil {
		return s.refusal(c, UsersPath, err)
	}
	s.record(c, "user.delete", "user "+name, before, nil)
	return s.redirectBack(c, UsersPath, flashOK, "User "+name+" deleted.")
}

// Whoami is the JSON answer of GET /api/v1/admin/whoami.
type Whoami struct {
	Actor string    `json:"actor"`
	Role  auth.Role `json:"role"`
}

// HandleAPIWhoami says which token is calling.
func (s *Handlers) HandleAPIWhoami(c echo.Context) error {
	a := actorOf(c)
	return c.JSON(http.StatusOK, Whoami{Actor: a.Name, Role: a.Role})
}

// HandleAPIUsers lists the users as JSON.
func (s *Handlers) HandleAPIUsers(c echo.Context) error {
	users, err := s.Users.Users(c.Request().Context())
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
