package web

import (
	"strings"
	"time"
)

// Console sections, each a nav entry.
const (
	SectionDashboard = "dashboard"
	SectionDecisions = "decisions"
	SectionCalls     = "calls"
	SectionIVR       = "ivr"
	SectionLists     = "lists"
	SectionPolicy    = "policy"
	SectionSettings  = "settings"
	SectionAudit     = "audit"
	SectionUsers     = "users"
	SectionTokens    = "tokens"
)

// navItem is one entry of the console's navigation.
type navItem struct {
	Section, Label, Path string
}

// navGroups is the console's navigation, in groups.
var navGroups = [][]navItem{
	{
		{SectionDashboard, "Dashboard", "/admin/dashboard"},
		{SectionDecisions, "Decisions", "/admin/decisions"},
		{SectionCalls, "Callback queue", "/admin/calls"},
		{SectionIVR, "IVR report", "/admin/ivr"},
	},
	{
		{SectionLists, "Deny & allow lists", "/admin/lists"},
		{SectionPolicy, "Country policy", "/admin/policy"},
		{SectionSettings, "Risk settings", "/admin/settings"},
	},
	{
		{SectionAudit, "Audit log", "/admin/audit"},
		{SectionUsers, "Users", "/admin/users"},
		{SectionTokens, "API tokens", "/admin/tokens"},
	},
}

// AdminFrame is what every console page shows around its content: who is
// signed in, the CSRF token its forms carry, the active section and a
// message left by the last change.
type AdminFrame struct {
	// User is the signed-in user's name.
	User string
	// Role is "admin" or "viewer".
	Role string
	// CanEdit is true for admins: edit controls are shown.
	CanEdit bool
	// CSRF is the token every form posts in the _csrf field.
	CSRF string
	// Section is the active nav entry.
	Section string
	// Flash is a message about the last change; FlashKind is "ok" or "error".
	Flash, FlashKind string
}

// SignInModel is the sign-in form.
type SignInModel struct {
	// Name is the user name typed.
	Name string
	// Next is where to go after signing in.
	Next string
	// CSRF is the form's CSRF token.
	CSRF string
	// Error says why the last attempt failed.
	Error string
}

// FormatTime shows a time in UTC to the minute, "—" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// initials is the avatar text of a user name.
func initials(name string) string {
	name = strings.TrimPrefix(name, "token:")
	if name == "" {
		return "?"
	}
	return strings.ToUpper(name[:1])
}

// UserRow is one console user as the users page shows it.
type UserRow struct {
	Name, Role           string
	Created, LockedUntil time.Time
}

// TokenRow is one API token as the tokens page shows it.
type TokenRow struct {
	ID, Label, Role, CreatedBy string
	// Expires is zero for a token that does not expire; LastUsed zero for
	// one never used.
	Created, Expires, LastUsed time.Time
}
