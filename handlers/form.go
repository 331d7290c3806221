package handlers

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// maxFormMemory bounds a multipart form held in memory; the body limit is
// the same size, so nothing spills to disk.
const maxFormMemory = 64 << 10

// handleFormShow shows the empty callback form.
func (s *server) handleFormShow(c echo.Context) error {
	return s.render(c, http.StatusOK, web.CallbackForm(web.CallbackFormModel{}))
}

// handleFormSubmit takes the callback form. Field errors re-render the form
// with the input kept (422); allow and block both show the accepted page;
// deflect shows the alternatives.
func (s *server) handleFormSubmit(c echo.Context) error {
	r := c.Request()
	var err error
	// Media types are case-insensitive: "Multipart/Form-Data" is multipart.
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mediaType == echo.MIMEMultipartForm {
		err = r.ParseMultipartForm(maxFormMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return bodyReadError(err)
	}
	in := callbackInput{
		Phone: r.PostForm.Get(web.FieldPhone),
		Name:  r.PostForm.Get(web.FieldName),
		Flow:  r.PostForm.Get(web.FieldFlow),
	}

	d, err := s.decide(c, in)
	if m, ok := formModel(in, err); ok {
		return s.render(c, http.StatusUnprocessableEntity, web.CallbackForm(m))
	}
	if err != nil {
		return err
	}
	if d.Action == risk.Deflect {
		return s.render(c, http.StatusOK, web.CallbackDeflected(s.Deflect))
	}
	return s.render(c, http.StatusOK, web.CallbackAccepted(d.ID))
}

// formModel builds the re-rendered form when err holds only errors on the
// form's visible fields; ok is false otherwise, and err goes to the error
// handler.
func formModel(in callbackInput, err error) (m web.CallbackFormModel, ok bool) {
	var ve *validationError
	if !errors.As(err, &ve) {
		return m, false
	}
	m = web.CallbackFormModel{
		Name:   strings.ToValidUTF8(in.Name, "\uFFFD"),
		Phone:  strings.ToValidUTF8(in.Phone, "\uFFFD"),
		Flow:   in.Flow,
		Errors: map[string]string{},
	}
	for _, fe := range ve.errs {
		if fe.Field != web.FieldPhone && fe.Field != web.FieldName {
			return web.CallbackFormModel{}, false
		}
		m.Errors[fe.Field] = fe.message()
	}
	return m, true
}
