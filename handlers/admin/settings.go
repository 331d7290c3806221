package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

const (
	SettingsPath = Prefix + "/settings"
	PolicyPath   = Prefix + "/policy"
)

// HandleSettingsShow shows the risk settings editor.
func (s *Handlers) HandleSettingsShow(c echo.Context) error {
	cur := s.Settings.Settings()
	m := SettingsForm(cur)
	m.JSON = settingsJSON(cur)
	return respond.Render(c, http.StatusOK, web.SettingsPage(s.frame(c, web.SectionSettings), m))
}

// HandleSettingsSave saves the editor's settings when all are valid;
// otherwise it shows the form again, as typed, with every problem.
func (s *Handlers) HandleSettingsSave(c echo.Context) error {
	before := s.Settings.Settings()
	after, m, ok := parseSettingsForm(c, s.Settings.Settings())
	if !ok {
		m.JSON = settingsJSON(before)
		return respond.Render(c, http.StatusUnprocessableEntity, web.SettingsPage(s.frame(c, web.SectionSettings), m))
	}
	if err := s.saveSettings(c, "settings.save", "settings", before, after); err != nil {
		return err
	}
	return s.redirectBack(c, SettingsPath, flashOK, "Settings saved. Every instance applies them within a few seconds.")
}

// saveSettings stores valid settings and records the change.
func (s *Handlers) saveSettings(c echo.Context, action, target string, before, after risk.Settings) error {
	if err := s.Settings.SaveSettings(c.Request().Context(), after); err != nil {
		if fe := risk.FieldErrors(err); len(fe) > 0 {
			return &respond.Error{Code: respond.CodeInvalidSettings, Message: fe[0].Message, Field: fe[0].Field}
		}
		return respond.Failed(err)
	}
	s.record(c, action, target, before, s.Settings.Settings())
	return nil
}

// HandleSettingsDownload serves the settings in force as a JSON file.
func (s *Handlers) HandleSettingsDownload(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="tollgate-settings.json"`)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, []byte(settingsJSON(s.Settings.Settings())))
}

// HandleAPIReasons answers the reason table, risk.ReasonTable.
func HandleAPIReasons(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"reasons": risk.ReasonTable()})
}

// HandleAPISettings answers the settings in force.
func (s *Handlers) HandleAPISettings(c echo.Context) error {
	return c.JSON(http.StatusOK, s.Settings.Settings())
}

// SettingsProblems is the 422 answer of invalid settings: the first
// problem as the usual error, then all of them.
type SettingsProblems struct {
	Error  respond.ErrorBody  `json:"error"`
	Errors []*risk.FieldError `json:"errors"`
}

// invalidSettings answers 422 with every problem of err.
func invalidSettings(c echo.Context, fe []*risk.FieldError) error {
	return c.JSON(http.StatusUnprocessableEntity, SettingsProblems{
		Error:  respond.ErrorBody{Code: respond.CodeInvalidSettings, Message: fe[0].Message, Field: fe[0].Field},
		Errors: fe,
	})
}

// HandleAPISettingsPut replaces the whole settings with the body's; a
// field left out takes its zero value, so send what GET answered, edited.
func (s *Handlers) HandleAPISettingsPut(c echo.Context) error {
	var after risk.Settings
	if err := respond.DecodeJSON(c.Request(), &after, "the fields of GET /api/v1/admin/settings"); err != nil {
		return err
	}
	if fe := risk.FieldErrors(after.Validate()); len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	if err := s.saveSettings(c, "settings.save", "settings", s.Settings.Settings(), after); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.Settings.Settings())
}
