package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/contactflows/dispatch"
	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// Input limits, in characters.
const (
	maxPhoneLen = 64
	maxNameLen  = 100
	maxFlowLen  = risk.MaxFlowNameLen
	maxNoteLen  = 200
)

// callbackInput is a callback request as the visitor sent it, from the
// JSON API or the form.
type callbackInput struct {
	Phone string
	Name  string
	Flow  string
	// Note is the visitor's reason for the call, free text; only the form
	// asks for it.
	Note string
	// Region is the country the visitor picked for a number typed without
	// +country; empty means the engine's default.
	Region string
	// VisitorToken is the visitor token the host site signed, if any;
	// decide checks it.
	VisitorToken string
	// Visitor is the signed-in account a valid visitor token names; nil
	// when none came, or no secret is configured.
	Visitor *risk.Visitor
	// Extra are reasons the handler found itself: form friction, a bad
	// visitor token.
	Extra []risk.Reason
}

// validationError holds every field error found in one request. It
// unwraps to the first, which is what the JSON API reports.
type validationError struct {
	errs []*respond.Error
}

func (e *validationError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, fe := range e.errs {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e *validationError) Unwrap() error { return e.errs[0] }

// validate checks encoding, presence and length of each field and returns
// a *validationError listing every problem, or nil.
func (in callbackInput) validate() error {
	var errs []*respond.Error
	switch phone := strings.TrimSpace(in.Phone); {
	case !utf8.ValidString(in.Phone):
		errs = append(errs, respond.FieldError(respond.CodeInvalidUTF8, web.FieldPhone, "The phone number contains invalid characters."))
	case phone == "":
		errs = append(errs, respond.FieldError(respond.CodeMissingPhone, web.FieldPhone, "Enter your phone number."))
	case utf8.RuneCountInString(in.Phone) > maxPhoneLen:
		errs = append(errs, respond.FieldError(respond.CodePhoneTooLong, web.FieldPhone, fmt.Sprintf("The phone number must be at most %d characters.", maxPhoneLen)))
	}
	if fe := respond.CheckText(in.Name, web.FieldName, "name", maxNameLen, respond.CodeNameTooLong, respond.CodeInvalidName); fe != nil {
		errs = append(errs, fe)
	}
	if in.Region != "" && !phonenumbers.GetSupportedRegions()[in.Region] {
		errs = append(errs, respond.FieldError(respond.CodeInvalidRegion, web.FieldRegion, "Choose a country from the list (an ISO 3166-1 code such as GB)."))
	}
	if fe := respond.CheckText(in.Note, web.FieldReason, "reason", maxNoteLen, respond.CodeReasonTooLong, respond.CodeInvalidReason); fe != nil {
		errs = append(errs, fe)
	}
	if !validFlow(in.Flow) {
		errs = append(errs, respond.FieldError(respond.CodeInvalidFlow, web.FieldFlow, fmt.Sprintf("The flow may hold only letters, digits, '.', '_' and '-', at most %d of them.", maxFlowLen)))
	}
	if len(errs) > 0 {
		return &validationError{errs: errs}
	}
	return nil
}

// validFlow reports whether flow is empty or a flow name risk accepts:
// at most 64 ASCII letters, digits, '.', '_' and '-', and not "." or "..".
func validFlow(flow string) bool { return flow == "" || risk.ValidFlowName(flow) }

// decide is the one decision flow behind the API and the form (surface
// names which): it validates in, asks the engine, records the decision
// with the call to place when it is allowed, and logs it. Validation
// errors, including a number the engine finds invalid, come back as a
// *validationError.
//
// The engine and the recording share one decision budget. When either
// fails or the budget runs out, the form's fail mode answers instead
// (decideFallback), with the reason risk.CodeStoreUnavailable.
//
// Every outcome costs the same: one engine round trip and one recording
// round trip, so a blocked request cannot be told from an allowed one by
// its timing. A store that fails to record fails every outcome alike.
func (s *server) decide(c echo.Context, in callbackInput, surface string) (risk.Decision, error) {
	if err := in.validate(); err != nil {
		return risk.Decision{}, err
	}
	s.visitor(&in)
	ctx, cancel := s.budget.Bound(c.Request().Context())
	defer cancel()
	req := risk.Request{
		Phone:     strings.TrimSpace(in.Phone),
		Region:    in.Region,
		IP:        respond.ClientIP(c),
		UserAgent: c.Request().UserAgent(),
		Flow:      in.Flow,
		FlowBound: s.flowBound(c, in.Flow),
		Visitor:   in.Visitor,
		Extra:     in.Extra,
	}
	d, err := s.Engine.Evaluate(ctx, req)
	var ne *risk.NumberError
	switch {
	case errors.As(err, &ne):
		return risk.Decision{}, &validationError{errs: []*respond.Error{
			{Code: respond.CodeInvalidPhone, Field: web.FieldPhone, Message: ne.Problem, Err: err}}}
	case err != nil:
		return s.decideFallback(c.Request().Context(), fallbackCase{surface: surface, req: req, in: in, cause: fmt.Errorf("evaluating callback: %w", err)})
	}

	var call *dispatch.Call
	switch d.Action {
	case risk.Allow:
		call = allowedCall(d, in)
	case risk.Block, risk.Deflect:
	default:
		return risk.Decision{}, &respond.Error{Code: respond.CodeInternal, Err: fmt.Errorf("engine returned unknown action %q", d.Action)}
	}
	if err := s.Calls.Record(ctx, d, call); err != nil {
		// The lock is freed only when the call surely was not queued;
		// otherwise it holds the number until its TTL, so a retry of a
		// call that was queued after all is not placed twice.
		notRecorded := errors.Is(err, dispatch.ErrNotRecorded)
		if call != nil && notRecorded {
			s.Engine.ReleaseLater(d.Number, d.ID)
		}
		return s.decideFallback(c.Request().Context(), fallbackCase{surface: surface, req: req, in: in,
			cause: fmt.Errorf("recording callback: %w", err), engine: &d, notRecorded: notRecorded})
	}
	s.logDecision(ctx, d)
	return d, nil
}

// flowBound reports whether an API key bound to flow authenticated the
// request. The form's and an unkeyed API call's flow is the visitor's to
// type, so its policy may only make the account's stricter, unless a
// visitor token the engine believes names the flow (risk.Visitor.Flow).
func (s *server) flowBound(c echo.Context, flow string) bool {
	k, ok := apiKeyOf(c)
	return ok && flow != "" && slices.Contains(k.Flows, flow)
}

// allowedCall is the call an allowed decision places.
func allowedCall(d risk.Decision, in callbackInput) *dispatch.Call {
	return &dispatch.Call{
		ID:          d.ID,
		Number:      d.Number,
		Country:     d.NumberCountry,
		Name:        strings.TrimSpace(in.Name),
		Flow:        d.Flow,
		Attributes:  callAttributes(d, strings.TrimSpace(in.Note)),
		RequestedAt: d.At,
	}
}

// callAttributes are the contact attributes passed with an allowed call:
// the decision's facts and the visitor's reason for the call, if any.
func callAttributes(d risk.Decision, note string) map[string]string {
	attrs := map[string]string{
		"score":          strconv.Itoa(d.Score),
		"reasons":        strings.Join(d.Codes(), ","),
		"number_country": d.NumberCountry,
		"number_type":    d.NumberType,
		"ip_country":     d.IPCountry,
	}
	if note != "" {
		attrs["visitor_reason"] = note
	}
	return attrs
}

// logDecision writes the one log line of a decision, with the name of the
// API key the request came with, if any. The number is masked.
func (s *server) logDecision(ctx context.Context, d risk.Decision) {
	var key slog.Attr
	if k, ok := apiKeyFrom(ctx); ok {
		key = slog.String("api_key", k.Name)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "decision",
		slog.String("id", d.ID),
		slog.String("action", string(d.Action)),
		slog.String("shown", string(d.Shown())),
		slog.Int("score", d.Score),
		slog.Any("reasons", d.Codes()),
		slog.String("number", risk.MaskNumber(d.Number)),
		slog.String("number_country", d.NumberCountry),
		slog.String("number_type", d.NumberType),
		slog.String("ip_country", d.IPCountry),
		slog.Uint64("asn", uint64(d.ASN)),
		slog.String("flow", d.Flow),
		key,
	)
}
