package handlers

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/nyaruka/phonenumbers"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// policyDoc is the account and flow country policies, as the policy API
// reads and writes them.
type policyDoc struct {
	Account risk.Policy            `json:"account_policy"`
	Flows   map[string]risk.Policy `json:"flow_policies"`
}

func policyOf(s risk.Settings) policyDoc {
	flows := s.Flows
	if flows == nil {
		flows = map[string]risk.Policy{}
	}
	return policyDoc{Account: s.Account, Flows: flows}
}

// handlePolicyShow shows the policies and, when asked, resolves a flow
// and country.
func (s *server) handlePolicyShow(c echo.Context) error {
	cur := s.console.Engine.Settings()
	names := make(map[string]string, len(s.form.regions))
	for _, r := range s.form.regions {
		names[r.Code] = r.Name
	}
	m := web.PolicyModel{Account: policyView("", cur.Account, names), Regions: s.form.regions}
	for _, flow := range slices.Sorted(maps.Keys(cur.Flows)) {
		m.Flows = append(m.Flows, policyView(flow, cur.Flows[flow], names))
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
	return s.render(c, http.StatusOK, web.PolicyPage(s.frame(c, web.SectionPolicy), m))
}

func policyView(flow string, p risk.Policy, names map[string]string) web.PolicyView {
	v := web.PolicyView{Flow: flow, Default: string(p.Default)}
	for cc, mode := range p.Countries {
		name := names[cc]
		if name == "" {
			name = cc
		}
		v.Rules = append(v.Rules, web.CountryRule{Code: cc, Name: name, Mode: string(mode)})
	}
	slices.SortFunc(v.Rules, func(a, b web.CountryRule) int { return strings.Compare(a.Name, b.Name) })
	return v
}

// resolvePolicy resolves the mode of a call to country from flow.
func resolvePolicy(cur risk.Settings, flow, country string) (risk.Mode, string, error) {
	if !phonenumbers.GetSupportedRegions()[country] {
		return "", "", errors.New("Pick a country: an ISO 3166-1 alpha-2 code such as GB.")
	}
	mode, rule := cur.CountryMode(flow, country)
	return mode, rule, nil
}

// policyEdit is one change to a policy; it returns the flash message.
type policyEdit func(p *risk.Policy) (string, error)

// editPolicy applies edit to the account policy, or to the flow policy
// the route names, saves and records the change.
func (s *server) editPolicy(c echo.Context, edit policyEdit) error {
	before, after := s.console.Engine.Settings(), s.console.Engine.Settings()
	flow := c.Param("flow")
	target := &after.Account
	var fp risk.Policy
	if flow != "" {
		var ok bool
		if fp, ok = after.Flows[flow]; !ok {
			return s.redirectBack(c, adminPolicyPath, flashError, "There is no policy for flow "+flow+".")
		}
		target = &fp
	}
	msg, err := edit(target)
	if err != nil {
		return s.redirectBack(c, adminPolicyPath, flashError, err.Error())
	}
	if flow != "" {
		after.Flows[flow] = fp
	}
	return s.savePolicy(c, before, after, msg)
}

// savePolicy saves after, refusing it with a message when it is invalid.
func (s *server) savePolicy(c echo.Context, before, after risk.Settings, msg string) error {
	if fe := risk.FieldErrors(after.Validate()); len(fe) > 0 {
		return s.redirectBack(c, adminPolicyPath, flashError, fe[0].Error())
	}
	if err := s.saveSettings(c, "policy.save", "policy", before, after); err != nil {
		return err
	}
	return s.redirectBack(c, adminPolicyPath, flashOK, msg)
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

// handlePolicyDefault sets a policy's default mode.
func (s *server) handlePolicyDefault(c echo.Context) error {
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

// handlePolicyRuleSet adds or changes a country rule.
func (s *server) handlePolicyRuleSet(c echo.Context) error {
	flow := c.Param("flow")
	return s.editPolicy(c, func(p *risk.Policy) (string, error) {
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
	})
}

// handlePolicyRuleDelete removes a country rule.
func (s *server) handlePolicyRuleDelete(c echo.Context) error {
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

// handlePolicyFlowAdd adds a flow policy.
func (s *server) handlePolicyFlowAdd(c echo.Context) error {
	before, after := s.console.Engine.Settings(), s.console.Engine.Settings()
	flow := strings.TrimSpace(c.FormValue("flow"))
	if flow == "" || !validFlow(flow) {
		return s.redirectBack(c, adminPolicyPath, flashError, "A flow name needs 1 to 64 letters, digits, '.', '_' or '-'.")
	}
	if _, ok := after.Flows[flow]; ok {
		return s.redirectBack(c, adminPolicyPath, flashError, "Flow "+flow+" already has a policy.")
	}
	m, err := parseMode(c.FormValue("default"), true)
	if err != nil {
		return s.redirectBack(c, adminPolicyPath, flashError, err.Error())
	}
	if after.Flows == nil {
		after.Flows = map[string]risk.Policy{}
	}
	after.Flows[flow] = risk.Policy{Default: m}
	return s.savePolicy(c, before, after, "Flow "+flow+" added.")
}

// handlePolicyFlowDelete removes a flow policy: the flow follows the
// account policy again.
func (s *server) handlePolicyFlowDelete(c echo.Context) error {
	before, after := s.console.Engine.Settings(), s.console.Engine.Settings()
	flow := c.Param("flow")
	if _, ok := after.Flows[flow]; !ok {
		return s.redirectBack(c, adminPolicyPath, flashError, "There is no policy for flow "+flow+".")
	}
	delete(after.Flows, flow)
	return s.savePolicy(c, before, after, "Flow "+flow+" removed; it follows the account policy.")
}

// handleAPIPolicy answers the account and flow policies.
func (s *server) handleAPIPolicy(c echo.Context) error {
	return c.JSON(http.StatusOK, policyOf(s.console.Engine.Settings()))
}

// handleAPIPolicyPut replaces the account and flow policies.
func (s *server) handleAPIPolicyPut(c echo.Context) error {
	var doc policyDoc
	if err := decodeJSON(c.Request(), &doc, "account_policy and flow_policies"); err != nil {
		return err
	}
	before, after := s.console.Engine.Settings(), s.console.Engine.Settings()
	after.Account, after.Flows = doc.Account, doc.Flows
	fe := risk.FieldErrors(after.Validate())
	for _, flow := range slices.Sorted(maps.Keys(doc.Flows)) {
		if !validFlow(flow) || flow == "" {
			fe = append(fe, &risk.FieldError{Field: "flow_policies." + flow, Message: "a flow name needs 1 to 64 letters, digits, '.', '_' or '-'"})
		}
	}
	if len(fe) > 0 {
		return invalidSettings(c, fe)
	}
	if err := s.saveSettings(c, "policy.save", "policy", before, after); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, policyOf(s.console.Engine.Settings()))
}

// resolveAnswer is the JSON answer of the resolve tool.
type resolveAnswer struct {
	Flow    string    `json:"flow"`
	Country string    `json:"country"`
	Mode    risk.Mode `json:"mode"`
	Rule    string    `json:"rule"`
}

// handleAPIPolicyResolve resolves the mode of a flow and country.
func (s *server) handleAPIPolicyResolve(c echo.Context) error {
	flow, country := c.QueryParam("flow"), strings.ToUpper(c.QueryParam("country"))
	mode, rule, err := resolvePolicy(s.console.Engine.Settings(), flow, country)
	if err != nil {
		return fieldError(codeInvalidRegion, "country", err.Error())
	}
	return c.JSON(http.StatusOK, resolveAnswer{Flow: flow, Country: country, Mode: mode, Rule: rule})
}
