package handlers

import (
	"net/http"

	"github.com/tollgate/tollgate/handlers/respond"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

const (
	adminSettingsPath = adminPrefix + "/settings"
	adminPolicyPath   = adminPrefix + "/policy"
)

// registerSettingsRoutes lists the routes of the country policy and risk settings editors: console pages on pages,
// their JSON twins on api.
func (s *server) registerSettingsRoutes(pages, api *echo.Group) {
	// The risk settings editor.
	pages.GET("/settings", s.handleSettingsShow)
	// Saves every risk setting at once, or shows every problem.
	pages.POST("/settings", s.handleSettingsSave, respond.LimitBody())
	// The settings in force as a JSON download.
	pages.GET("/settings.json", s.handleSettingsDownload)
	// The country policy editor and its resolve tool (?flow=&country=).
	pages.GET("/policy", s.handlePolicyShow)
	// Sets the account's default mode.
	pages.POST("/policy/account/default", s.handlePolicyDefault, respond.LimitBody())
	// Adds or changes an account country rule.
	pages.POST("/policy/account/countries", s.handlePolicyRuleSet, respond.LimitBody())
	// Removes an account country rule.
	pages.POST("/policy/account/countries/:cc/delete", s.handlePolicyRuleDelete, respond.LimitBody())
	// Adds a flow policy.
	pages.POST("/policy/flows", s.handlePolicyFlowAdd, respond.LimitBody())
	// Sets a flow's default mode, or makes it defer to the account.
	pages.POST("/policy/flows/:flow/default", s.handlePolicyDefault, respond.LimitBody())
	// Removes a flow policy.
	pages.POST("/policy/flows/:flow/delete", s.handlePolicyFlowDelete, respond.LimitBody())
	// Adds or changes a flow's country rule.
	pages.POST("/policy/flows/:flow/countries", s.handlePolicyRuleSet, respond.LimitBody())
	// Removes a flow's country rule.
	pages.POST("/policy/flows/:flow/countries/:cc/delete", s.handlePolicyRuleDelete, respond.LimitBody())

	// Every reason code: its name, description, default weight and effect.
	api.GET("/reasons", handleAPIReasons)
	// The whole settings in force.
	api.GET("/settings", s.handleAPISettings)
	// Replaces the whole settings; 422 lists every problem.
	api.PUT("/settings", s.handleAPISettingsPut, respond.LimitBody())
	// The account and flow country policies.
	api.GET("/policy", s.handleAPIPolicy)
	// Replaces the account and flow country policies; 422 lists every problem.
	api.PUT("/policy", s.handleAPIPolicyPut, respond.LimitBody())
	// Resolves the mode of a flow and country (?flow=&country=).
	api.GET("/policy/resolve", s.handleAPIPolicyResolve)
}

// handleSettingsShow shows the risk settings editor.
func (s *server) handleSettingsShow(c echo.Context) error {
	cur := s.console.Settings.Settings()
	m := settingsForm(cur)
	m.JSON = settingsJSON(cur)
	return respond.Render(c, http.StatusOK, web.SettingsPage(s.frame(c, web.SectionSettings), m))
}

// handleSettingsSave saves the editor's settings when all are valid;
// otherwise it shows the form again, as typed, with every problem.
func (s *server) handleSettingsSave(c echo.Context) error {
	before := s.console.Settings.Settings()
	after, m, ok := parseSettingsForm(c, s.console.Settings.Settings())
	if !ok {
		m.JSON = settingsJSON(before)
		return respond.Render(c, http.StatusUnprocessableEntity, web.SettingsPage(s.frame(c, web.SectionSettings), m))
	}
	if err := s.saveSettings(c, "settings.save", "settings", before, after); err != nil {
		return err
	}
	return s.redirectBack(c, adminSettingsPath, flashOK, "Settings saved. Every instance applies them within a few seconds.")
}

// saveSettings stores valid settings and records the change.
func (s *server) saveSettings(c echo.Context, action, target string, before, after risk.Settings) error {
	if err := s.console.Settings.SaveSettings(c.Request().Context(), after); err != nil {
		if fe := risk.FieldErrors(err); len(fe) > 0 {
			return &respond.Error{Code: respond.CodeInvalidSettings, Message: fe[0].Error(), Field: fe[0].Field}
		}
		return respond.Failed(err)
	}
	s.record(c, action, target, before, s.console.Settings.Settings())
	return nil
}

// handleSettingsDownload serves the settings in force as a JSON file.
func (s *server) handleSettingsDownload(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="tollgate-settings.json"`)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, []byte(settingsJSON(s.console.Settings.Settings())))
}

// handleAPIReasons answers the reason table, risk.ReasonTable.
func handleAPIReasons(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"reasons": risk.ReasonTable()})
}

// handleAPISettings answers the settings in force.
func (s *server) handleAPISettings(c echo.Context) error {
	return c.JSON(http.StatusOK, s.console.Settings.Settings())
}

// settingsProblems is the 422 answer of invalid settings: the first
// problem as the usual error, then all of them.
type settingsProblems struct {
	Error  respond.ErrorBody  `json:"error"`
	Errors []*risk.FieldError `json:"errors"`
}

// invalidSettings answers 422 with every problem of err.
func invalidSettings(c echo.Context, fe []*risk.FieldError) error {
	return c.JSON(http.StatusUnprocessableEntity, settingsProblems{
		Error:  respond.ErrorBody{Code: respond.CodeInvalidSettings, Message: fe[0].Error(), Field: fe[0].Field},
		Errors: fe,
	})
}

// handleAPISettingsPut replaces the whole settings with the body's; a
// field left out takes its zero value, so send what GET answered, edited.
func (s *server) handleAPISettingsPut(c echo.Context) error {
	var after risk.Settings
	if err := respond.DecodeJSON(c.Request(), &after, "the fields of GET /api/v1/admin/settings"); err != nil {
		return err
	}
	if fe := risk.FieldErrors(after.Validate()); len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	if err := s.saveSettings(c, "settings.save", "settings", s.console.Settings.Settings(), after); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.console.Settings.Settings())
}
