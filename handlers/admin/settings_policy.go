package admin

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// PolicyDoc is the account and flow country policies, as the policy API
// reads and writes them.
type PolicyDoc struct {
	Account risk.Policy            `json:"account_policy"`
	Flows   map[string]risk.Policy `json:"flow_policies"`
	// Bindings say of each flow whom its policy applies to; answered by
	// GET, ignored by PUT.
	Bindings map[string]flowBinding `json:"flow_bindings,omitempty"`
}

// flowBinding is whom a flow's policy applies to.
type flowBinding struct {
	// Loosens is true when the flow lets through what the account policy
	// blocks or monitors: it then applies only to requests bound to it.
	Loosens bool `json:"loosens"`
	// APIKeys are the site keys that bind requests to the flow; visitor
	// tokens naming it bind too.
	APIKeys []string `json:"api_keys,omitempty"`
	// Summary says it in a sentence.
	Summary string `json:"summary"`
}

func policyOf(s risk.Settings) PolicyDoc {
	flows := s.Flows
	if flows == nil {
		flows = map[string]risk.Policy{}
	}
	return PolicyDoc{Account: s.Account, Flows: flows}
}

// HandlePolicyShow shows the policies and, when asked, resolves a flow
// and country.
func (s *Handlers) HandlePolicyShow(c echo.Context) error {
	return respond.Render(c, http.StatusOK, web.PolicyPage(s.frame(c, web.SectionPolicy), s.policyModel(c)))
}

// policyModel is the policy page of the settings in force, with the
// resolve tool's answer when asked.
func (s *Handlers) policyModel(c echo.Context) web.PolicyModel {
	cur := s.Settings.Settings()
	m := web.PolicyModel{Account: policyView("", cur.Account), Regions: web.Regions()}
	for _, flow := range slices.Sorted(maps.Keys(cur.Flows)) {
		v := policyView(flow, cur.Flows[flow])
		v.Binding = s.flowBinding(cur, flow).Summary
		m.Flows = append(m.Flows, v)
	}
	if c.QueryParams().Has("country") {
		r := web.ResolveView{Flow: c.QueryParam("flow"), Country: strings.ToUpper(c.QueryParam("country")), Asked: true}
		if mode, rule, err := resolvePolicy(cur, r.Flow, r.Country); err != nil {
			r.Error = err.Error()
		} else {
			r.Mode, r.Rule = string(mode), rule
		}
		m.Resolve = r
	}
	return m
}

func policyView(flow string, p risk.Policy) web.PolicyView {
	v := web.PolicyView{Flow: flow, Default: string(p.Default)}
	for cc, mode := range p.Countries {
		v.Rules = append(v.Rules, web.CountryRule{Code: cc, Name: web.CountryName(cc), Mode: string(mode)})
	}
	slices.SortFunc(v.Rules, func(a, b web.CountryRule) int { return strings.Compare(a.Name, b.Name) })
	return v
}

// flowBinding says whom flow's policy applies to: anyone naming it when it
// only makes the account policy stricter, else only requests bound to it,
// by the API keys listing it or visitor tokens naming it.
func (s *Handlers) flowBinding(cur risk.Settings, flow string) flowBinding {
	if !cur.Loosens(flow) {
		return flowBinding{Summary: "Only stricter than the account policy: applies to every request naming the flow."}
	}
	b := flowBinding{Loosens: true, APIKeys: s.FlowKeys[flow]}
	by := "visitor tokens naming it"
	if len(b.APIKeys) > 0 {
		by = "the API keys " + strings.Join(b.APIKeys, ", ") + " and " + by
	}
	b.Summary = "Loosens the account policy for requests bound to it by " + by + "; anyone else naming it gets only what is stricter."
	return b
}

// resolvePolicy resolves the mode of a call to country from flow for a
// request not bound to the flow, and says what a bound one gets when that
// differs.
func resolvePolicy(cur risk.Settings, flow, country string) (risk.Mode, string, error) {
	if !phonenumbers.GetSupportedRegions()[country] {
		return "", "", errors.New("Pick a country: an ISO 3166-1 alpha-2 code such as GB.")
	}
	mode, rule := cur.CountryMode(flow, country, false)
	if bound, brule := cur.CountryMode(flow, country, true); bound != mode {
		rule += "; a request bound to flow " + flow + " (by an API key or a visitor token) gets " + string(bound) + " by " + brule
	}
	return mode, rule, nil
}

// policyEdit is one change to a policy; it returns the flash message.
type policyEdit func(p *risk.Policy) (string, error)

// policyRefusal is an edit refused with a message for the console.
type policyRefusal struct{ msg string }

func (r *policyRefusal) Error() string { return r.msg }

// refuse returns a refusal showing msg.
func refuse(msg string) error { return &policyRefusal{msg: msg} }

// editPolicy applies edit to the account policy, or to the flow policy
// the route names, of the stored settings, saves and records the change.
func (s *Handlers) editPolicy(c echo.Context, edit policyEdit) error {
	flow := c.Param("flow")
	return s.updatePolicy(c, func(st *risk.Settings) (string, error) { return editFlow(st, flow, edit) })
}

// editFlow applies edit to the account policy of st (flow "") or flow's.
func editFlow(st *risk.Settings, flow string, edit policyEdit) (string, error) {
	if flow == "" {
		return edit(&st.Account)
	}
	fp, ok := st.Flows[flow]
	if !ok {
		return "", errors.New("There is no policy for flow " + flow + ".")
	}
	msg, err := edit(&fp)
	st.Flows[flow] = fp
	return msg, err
}

// updatePolicy applies edit to the settings stored in Redis, so an edit
// made meanwhile on another instance is kept, records the change and
// redirects with edit's message or its refusal.
func (s *Handlers) updatePolicy(c echo.Context, edit func(st *risk.Settings) (string, error)) error {
	var msg string
	before, after, err := s.Settings.UpdateSettings(c.Request().Context(), func(st *risk.Settings) error {
		m, err := edit(st)
		if err != nil {
			return refuse(err.Error())
		}
		msg = m
		return nil
	})
	var r *policyRefusal
	switch {
	case errors.As(err, &r):
		return s.redirectBack(c, PolicyPath, flashError, r.msg)
	case len(risk.FieldErrors(err)) > 0:
		return s.redirectBack(c, PolicyPath, flashError, risk.FieldErrors(err)[0].Error())
	case err != nil:
		return respond.Failed(err)
	}
	s.record(c, "policy.save", "policy", policyOf(before), policyOf(after))
	return s.redirectBack(c, PolicyPath, flashOK, msg)
}

// parseMode reads a mode; empty is allowed only when canDefer.
func parseMode(v string, canDefer bool) (risk.Mode, error) {
	m := risk.Mode(strings.ToUpper(strings.TrimSpace(v)))
	if m == "" && canDefer || slices.Contains(web.Modes, string(m)) {
		return m, nil
	}
	return "", errors.New("Pick a mode: ALLOW, MONITOR or BLOCK.")
}

func policyName(flow string) string {
	if flow == "" {
		return "the account"
	}
	return "flow " + flow
}

// HandlePolicyDefault sets a policy's default mode.
func (s *Handlers) HandlePolicyDefault(c echo.Context) error {
	flow := c.Param("flow")
	return s.editPolicy(c, func(p *risk.Policy) (string, error) {
		m, err := parseMode(c.FormValue("default"), flow != "")
		if err != nil {
			return "", err
		}
		p.Default = m
		if m == "" {
			return "Default of " + policyName(flow) + " now defers to the account.", nil
		}
		return "Default of " + policyName(flow) + " set to " + string(m) + ".", nil
	})
}

// HandlePolicyRuleSet adds or changes a country rule.
func (s *Handlers) HandlePolicyRuleSet(c echo.Context) error {
	return s.editPolicy(c, ruleSet(c))
}

// ruleSet is the edit of the add-or-change-rule form.
func ruleSet(c echo.Context) policyEdit {
	flow := c.Param("flow")
	return func(p *risk.Policy) (string, error) {
		cc := strings.ToUpper(strings.TrimSpace(c.FormValue("country")))
		if !phonenumbers.GetSupportedRegions()[cc] {
			return "", errors.New("Pick a country from the list.")
		}
		m, err := parseMode(c.FormValue("mode"), false)
		if err != nil {
			return "", err
		}
		if p.Countries == nil {
			p.Countries = map[string]risk.Mode{}
		}
		p.Countries[cc] = m
		return "Calls to " + cc + " from " + policyName(flow) + " now " + string(m) + ".", nil
	}
}

// HandlePolicyRuleDelete removes a country rule.
func (s *Handlers) HandlePolicyRuleDelete(c echo.Context) error {
	flow, cc := c.Param("flow"), c.Param("cc")
	return s.editPolicy(c, func(p *risk.Policy) (string, error) {
		if _, ok := p.Countries[cc]; !ok {
			return "", errors.New(policyName(flow) + " has no rule for " + cc + ".")
		}
		delete(p.Countries, cc)
		if len(p.Countries) == 0 {
			p.Countries = nil
		}
		return "Rule for " + cc + " removed from " + policyName(flow) + ".", nil
	})
}

// HandlePolicyFlowAdd adds a flow policy.
func (s *Handlers) HandlePolicyFlowAdd(c echo.Context) error {
	flow := strings.TrimSpace(c.FormValue("flow"))
	if !risk.ValidFlowName(flow) {
		return s.redirectBack(c, PolicyPath, flashError, "A flow name needs 1 to 64 letters, digits, '.', '_' or '-', and may not be '.' or '..'.")
	}
	m, err := parseMode(c.FormValue("default"), true)
	if err != nil {
		return s.redirectBack(c, PolicyPath, flashError, err.Error())
	}
	return s.updatePolicy(c, func(st *risk.Settings) (string, error) {
		if _, ok := st.Flows[flow]; ok {
			return "", errors.New("Flow " + flow + " already has a policy.")
		}
		if st.Flows == nil {
			st.Flows = map[string]risk.Policy{}
		}
		st.Flows[flow] = risk.Policy{Default: m}
		return "Flow " + flow + " added.", nil
	})
}

// HandlePolicyFlowDelete removes a flow policy: the flow follows the
// account policy again.
func (s *Handlers) HandlePolicyFlowDelete(c echo.Context) error {
	flow := c.Param("flow")
	return s.updatePolicy(c, func(st *risk.Settings) (string, error) {
		if _, ok := st.Flows[flow]; !ok {
			return "", errors.New("There is no policy for flow " + flow + ".")
		}
		delete(st.Flows, flow)
		return "Flow " + flow + " removed; it follows the account policy.", nil
	})
}

// HandleAPIPolicy answers the account and flow policies.
func (s *Handlers) HandleAPIPolicy(c echo.Context) error {
	cur := s.Settings.Settings()
	doc := policyOf(cur)
	doc.Bindings = make(map[string]flowBinding, len(cur.Flows))
	for flow := range cur.Flows {
		doc.Bindings[flow] = s.flowBinding(cur, flow)
	}
	return c.JSON(http.StatusOK, doc)
}

// HandleAPIPolicyPut replaces the account and flow policies.
func (s *Handlers) HandleAPIPolicyPut(c echo.Context) error {
	var doc PolicyDoc
	if err := respond.DecodeJSON(c.Request(), &doc, "account_policy and flow_policies"); err != nil {
		return err
	}
	check := s.Settings.Settings()
	check.Account, check.Flows = doc.Account, doc.Flows
	if fe := risk.FieldErrors(check.Validate()); len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	before, after, err := s.Settings.UpdateSettings(c.Request().Context(), func(st *risk.Settings) error {
		st.Account, st.Flows = doc.Account, doc.Flows
		return nil
	})
	if fe := risk.FieldErrors(err); len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	if err != nil {
		return respond.Failed(err)
	}
	s.record(c, "policy.save", "policy", policyOf(before), policyOf(after))
	return c.JSON(http.StatusOK, policyOf(after))
}

// ResolveAnswer is the JSON answer of the resolve tool.
type ResolveAnswer struct {
	Flow    string    `json:"flow"`
	Country string    `json:"country"`
	Mode    risk.Mode `json:"mode"`
	Rule    string    `json:"rule"`
}

// HandleAPIPolicyResolve resolves the mode of a flow and country.
func (s *Handlers) HandleAPIPolicyResolve(c echo.Context) error {
	flow, country := c.QueryParam("flow"), strings.ToUpper(c.QueryParam("country"))
	mode, rule, err := resolvePolicy(s.Settings.Settings(), flow, country)
	if err != nil {
		return respond.FieldError(respond.CodeInvalidRegion, "country", err.Error())
	}
	return c.JSON(http.StatusOK, ResolveAnswer{Flow: flow, Country: country, Mode: mode, Rule: rule})
}
