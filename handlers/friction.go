package handlers

import (
	"fmt"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// friction is what a form submission's hidden parts say about who sent
// it. Its reasons go into the decision only: the visitor is shown exactly
// what a clean submission with the same outcome shows.
type friction struct {
	// reasons are the form_* reasons found, for callbackInput.Extra.
	reasons []risk.Reason
	// issued is the issue time of an authentic token; zero when the token
	// was missing, forged or bound to another cookie.
	issued time.Time
}

// checkFriction reads the honeypot, the form token and its binding to the
// form cookie from a submission's values f.
func (s *server) checkFriction(c echo.Context, f url.Values) friction {
	var fr friction
	add := func(code, detail string) {
		fr.reasons = append(fr.reasons, risk.Reason{Code: code, Detail: detail})
	}
	if f.Get(web.FieldHoneypot) != "" {
		add(risk.CodeFormHoneypot, "hidden field filled in")
	}
	token := f.Get(web.FieldToken)
	binding, hasCookie := s.formCookie(c)
	issued, authentic := s.form.tokens.Verify(binding, token)
	switch {
	case token == "":
		add(risk.CodeFormTokenInvalid, "no form token")
	case !hasCookie:
		add(risk.CodeFormTokenInvalid, "no form cookie")
	case !authentic:
		add(risk.CodeFormTokenInvalid, "form token forged or issued with another cookie")
	default:
		fr.issued = issued
		age := s.form.now().Sub(issued)
		switch {
		case age < s.form.minFill:
			add(risk.CodeFormTooFast, fmt.Sprintf("sent %s after the form was served (minimum %s)", age.Round(time.Millisecond), s.form.minFill))
		case age > s.form.lifetime:
			add(risk.CodeFormExpired, fmt.Sprintf("sent %s after the form was served (lifetime %s)", age.Round(time.Second), s.form.lifetime))
		}
	}
	return fr
}

// rerenderIssued is the issue time of the token on a form re-rendered
// after a failed submission.
//
// The too-fast signal measures how long the visitor has had the form. A
// person who fixes one field, or only ticks the consent box, may send the
// form again within a second of the re-render, so a fresh issue time would
// make that corrected submission look "too fast". The re-render therefore
// keeps the issue time of an authentic token: the corrected submission is
// judged on the whole time since the form was first served. An expired
// token stays expired, so that posting invalid forms cannot turn an old
// token into a new one. With no authentic token nothing vouches for an
// earlier time, and the re-render counts from now.
func (s *server) rerenderIssued(fr friction) time.Time {
	if fr.issued.IsZero() {
		return s.form.now()
	}
	return fr.issued
}
