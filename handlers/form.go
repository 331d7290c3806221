package handlers

import (
	"errors"
	"mime"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// maxFormMemory bounds a multipart form held in memory; the body limit is
// the same size, so nothing spills to disk.
const maxFormMemory = 64 << 10

// formSettings is the form's configuration, prepared once at start.
type formSettings struct {
	regions       []web.Region
	regionSet     map[string]bool
	defaultRegion string
	tokens        *respond.FormTokens
	minFill       time.Duration
	lifetime      time.Duration
	now           func() time.Time
	trusted       []netip.Prefix
	brand         web.Branding
	brandCSS      []byte
	brandPath     string
	policies      policies
}

// newFormSettings prepares fc; trusted are the proxies believed about the
// scheme, now the clock (nil is time.Now).
func newFormSettings(fc FormConfig, trusted []netip.Prefix, now func() time.Time) *formSettings {
	f := &formSettings{
		regions:       web.Regions(),
		regionSet:     map[string]bool{},
		defaultRegion: strings.ToUpper(fc.DefaultRegion),
		tokens:        respond.NewFormTokens(fc.Secret),
		minFill:       max(fc.MinFillTime, 0),
		lifetime:      fc.TokenLifetime,
		now:           now,
		brand:         fc.Branding.WithDefaults(),
		policies:      newPolicies(fc.FrameAncestors, fc.Branding.LogoURL),
	}
	for _, r := range f.regions {
		f.regionSet[r.Code] = true
	}
	if f.defaultRegion == "" {
		f.defaultRegion = "US"
	}
	if !f.regionSet[f.defaultRegion] {
		panic("handlers: FormConfig.DefaultRegion " + fc.DefaultRegion + " is not a supported region")
	}
	if f.lifetime <= 0 {
		f.lifetime = DefaultTokenLifetime
	}
	if f.now == nil {
		f.now = time.Now
	}
	for _, p := range trusted {
		f.trusted = append(f.trusted, unmapPrefix(p))
	}
	f.brandCSS, f.brandPath = f.brand.Stylesheet(), f.brand.StylesheetPath()
	return f
}

// handleFormShow shows the empty callback form, the visitor's country
// preselected and, from ?flow=, the flow it posts for.
func (s *server) handleFormShow(c echo.Context) error {
	m := web.CallbackFormModel{Region: s.visitorRegion(c)}
	if flow := c.QueryParam(web.FieldFlow); validFlow(flow) {
		m.Flow = flow
	}
	if vt := c.QueryParam(web.FieldVisitorToken); len(vt) <= maxVisitorTokenLen {
		m.VisitorToken = vt
	}
	m.Framing = framing(c)
	return s.renderForm(c, http.StatusOK, m, s.form.now())
}

// handleFormSubmit takes the callback form. Field errors, every one found
// at once, re-render the form with the input kept (422) before anything is
// decided or counted; a decision shown as deflected (risk.Decision.Shown)
// shows the alternatives, any other the accepted page. What the friction
// checks find goes into the decision and nowhere else.
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
		return respond.BodyReadError(err)
	}
	f := r.PostForm
	in := callbackInput{
		Phone:  f.Get(web.FieldPhone),
		Name:   f.Get(web.FieldName),
		Flow:   f.Get(web.FieldFlow),
		Note:   f.Get(web.FieldReason),
		Region: strings.ToUpper(strings.TrimSpace(f.Get(web.FieldRegion))),

		VisitorToken: f.Get(web.FieldVisitorToken),
	}
	consent := f.Get(web.FieldConsent) != ""
	fr := s.checkFriction(c, f)
	in.Extra = fr.reasons

	var d risk.Decision
	err = s.checkForm(c, in, consent)
	if err == nil {
		d, err = s.decide(c, in, surfaceForm)
	}
	frame := framing(c)
	if m, ok := formModel(in, consent, err); ok {
		if m.Region == "" {
			m.Region = s.visitorRegion(c)
		}
		m.Framing = frame
		return s.renderForm(c, http.StatusUnprocessableEntity, m, s.rerenderIssued(fr))
	}
	if err != nil {
		return err
	}
	if d.Shown() == risk.Deflect {
		return respond.Render(c, http.StatusOK, web.CallbackDeflected(s.form.brand,
			web.DeflectedModel{Channels: s.deflection(), Flow: in.Flow, Framing: frame}))
	}
	return respond.Render(c, http.StatusOK, web.CallbackAccepted(s.form.brand,
		web.AcceptedModel{Number: risk.MaskNumber(d.Number), Reference: web.Reference(d.ID), Framing: frame}))
}

// framing is how the request's form pages are shown: Embedded when its
// URL asks with ?embed=1, on their own page otherwise.
func framing(c echo.Context) web.Framing {
	if c.QueryParam(web.EmbedParam) == "1" {
		return web.Embedded
	}
	return web.OwnPage
}

// renderForm renders the form m with a token issued at issued, bound to
// the visitor's form cookie.
func (s *server) renderForm(c echo.Context, status int, m web.CallbackFormModel, issued time.Time) error {
	m.Token = s.form.tokens.Issue(s.ensureFormCookie(c), issued)
	m.Regions = s.form.regions
	return respond.Render(c, status, web.CallbackForm(s.form.brand, m))
}

// visitorRegion is the country of the visitor's IP when it has a known,
// supported one, else the default region.
func (s *server) visitorRegion(c echo.Context) string {
	if r := s.Engine.IPCountry(respond.ClientIP(c)); s.form.regionSet[r] {
		return r
	}
	return s.form.defaultRegion
}

// checkForm validates in as decide does, and the consent box, which must
// be ticked. It returns a *validationError listing every problem, or nil.
// When another field fails, the number is checked too, as the engine
// reads it (a bad one counted against the visitor's address, as decide
// counts it), so the visitor sees every error at once; otherwise decide
// finds a bad number.
func (s *server) checkForm(c echo.Context, in callbackInput, consent bool) error {
	var errs []*respond.Error
	var ve *validationError
	if errors.As(in.validate(), &ve) {
		errs = ve.errs
	}
	if !consent {
		errs = append(errs, respond.FieldError(respond.CodeMissingConsent, web.FieldConsent, "Tick the box to agree to be called at this number."))
	}
	if len(errs) == 0 {
		return nil
	}
	if !slices.ContainsFunc(errs, func(e *respond.Error) bool { return e.Field == web.FieldPhone || e.Field == web.FieldRegion }) {
		var ne *risk.NumberError
		ctx, cancel := s.budget.Bound(c.Request().Context())
		defer cancel()
		if err := s.Engine.CheckNumber(ctx, respond.ClientIP(c), in.Phone, in.Region); errors.As(err, &ne) {
			errs = append(errs, &respond.Error{Code: respond.CodeInvalidPhone, Field: web.FieldPhone, Message: ne.Problem, Err: err})
		}
	}
	return &validationError{errs: errs}
}

// formModel builds the re-rendered form when err holds only errors on the
// form's visible fields; ok is false otherwise, and err goes to the error
// handler.
func formModel(in callbackInput, consent bool, err error) (m web.CallbackFormModel, ok bool) {
	var ve *validationError
	if !errors.As(err, &ve) {
		return m, false
	}
	m = web.CallbackFormModel{
		Name:    strings.ToValidUTF8(in.Name, "\uFFFD"),
		Region:  in.Region,
		Phone:   strings.ToValidUTF8(in.Phone, "\uFFFD"),
		Reason:  strings.ToValidUTF8(in.Note, "\uFFFD"),
		Consent: consent,
		Flow:    in.Flow,
		Errors:  map[string]string{},

		VisitorToken: in.VisitorToken,
	}
	for _, fe := range ve.errs {
		switch fe.Field {
		case web.FieldName, web.FieldRegion, web.FieldPhone, web.FieldReason, web.FieldConsent:
			m.Errors[fe.Field] = fe.Text()
		default:
			return web.CallbackFormModel{}, false
		}
	}
	return m, true
}
