package respond

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Render renders component into a buffer first, so a template error
// becomes a clean 500 instead of half a page, then writes it with status.
func Render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return &Error{Code: CodeInternal, Err: err}
	}
	return c.HTMLBlob(status, buf.Bytes())
}
