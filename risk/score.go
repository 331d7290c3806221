package risk

import (
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/geo"
)

// Scoring: a scorer turns what a decision's round trip read into reasons,
// and a tally turns reasons into an action. The weights add up to the
// score; a score past the block threshold blocks only when two families of
// evidence add to it (see Family).

// scorer turns script results into reasons.
type scorer struct {
	s   *compiled
	d   *Decision
	now time.Time
	// waived marks the reasons added as waived by an allow list.
	waived bool
	// ceiling, when set, makes the counts velocity and distinct add
	// corroborating only (Reason.Corroborating) while below ceiling times
	// their critical threshold: the volume of a shared address.
	ceiling int
}

// waivedIf returns a scorer whose reasons are waived when allowed is true.
func (sc scorer) waivedIf(allowed bool) scorer {
	sc.waived = allowed
	return sc
}

func (sc scorer) add(code, detail string) {
	sc.push(Reason{Code: code, Weight: sc.s.Weights[code], Hard: IsHard(code), Detail: detail, Waived: sc.waived})
}

// addCount adds the code of a count; beyond tells whether the count
// passed the shared-address ceiling.
func (sc scorer) addCount(code, detail string, beyond bool) {
	r := Reason{Code: code, Weight: sc.s.Weights[code], Hard: IsHard(code), Detail: detail, Waived: sc.waived}
	if sc.ceiling > 0 && !beyond {
		r.Corroborating = true
		r.Detail += "; shared address: counts only with other evidence"
	}
	sc.push(r)
}

// push appends r, turned into a monitor-only reason when its code is in
// monitor mode.
func (sc scorer) push(r Reason) {
	if sc.s.monitor[r.Code] {
		note := fmt.Sprintf("monitor only: would add %d", r.Weight)
		if r.Hard {
			note += " and block"
		} else if IsDeflecting(r.Code) {
			note += " and deflect"
		}
		r.Detail = strings.TrimPrefix(r.Detail+"; "+note, "; ")
		r.Weight, r.Hard, r.Monitor = 0, false, true
	}
	sc.d.Reasons = append(sc.d.Reasons, r)
}

// destination adds the reasons the number and the visitor's country give
// without Redis: the country policy, a high-risk destination, a risky
// number type and a geo mismatch.
func (sc scorer) destination(flow string, bound bool, num parsedNumber, info geo.Info) {
	switch mode, rule := sc.s.CountryMode(flow, num.country, bound); mode {
	case ModeBlock:
		sc.add(CodeCountryBlocked, "calls to "+num.country+" blocked by "+rule)
	case ModeMonitor:
		sc.add(CodeCountryMonitor, "calls to "+num.country+" monitored by "+rule+"; would be blocked")
	}
	if sc.s.highRisk[num.country] {
		sc.add(CodeHighRiskDestination, num.country+" is a high-risk toll fraud destination")
	}
	if r, ok := sc.s.highCost.lookup(num.e164); ok {
		sc.add(CodeHighCostRange, "in "+r.Prefix+": "+r.Name)
	}
	if code, ok := riskyTypes[num.kind]; ok {
		sc.add(code, "number type "+typeNames[num.kind])
	}
	if info.Country != "" && num.country != "" && info.Country != num.country {
		sc.add(CodeGeoMismatch, "visitor in "+info.Country+", number in "+num.country)
	}
}

// anonymity adds the anonymizer and hosting flags of the visitor's
// address, known without Redis.
func (sc scorer) anonymity(info geo.Info) {
	a := info.Anonymous
	sc.addIf(a.VPN, CodeAnonymousVPN, "anonymous VPN")
	sc.addIf(a.Tor, CodeTorExit, "Tor exit node")
	sc.addIf(a.PublicProxy, CodePublicProxy, "public proxy")
	sc.addIf(a.ResidentialProxy, CodeResidentialProxy, "residential proxy")
	sc.addIf(a.Hosting, CodeHostingProvider, "hosting provider network")
	sc.addIf(sc.s.hosting[info.ASN], CodeHostingASN, fmt.Sprintf("AS%d is a hosting network", info.ASN))
}

func (sc scorer) addIf(cond bool, code, detail string) {
	if cond {
		sc.add(code, detail)
	}
}

// reasons adds reasons found outside the engine, scored with their code's
// configured weight when it has one.
func (sc scorer) reasons(rs []Reason) {
	for _, r := range rs {
		if w, ok := sc.s.Weights[r.Code]; ok {
			r.Weight = w
		}
		r.Hard = r.Hard || IsHard(r.Code)
		sc.push(r)
	}
}

// entry adds code when the lookup found an active entry.
func (sc scorer) entry(lk listLookup, code, what string) bool {
	en, ok := lk.entry(sc.now)
	if !ok {
		return false
	}
	detail := what + ": " + en.Value
	if en.Reason != "" {
		detail += " (" + en.Reason + ")"
	}
	sc.add(code, detail)
	return true
}

// velocity adds the most severe threshold any window reached.
func (sc scorer) velocity(c *counter, warn, crit, what string) {
	if c == nil {
		return
	}
	code, detail, beyond := "", "", false
	for j, l := range c.limits {
		n := int(c.counts[j])
		beyond = beyond || sc.ceiling > 0 && n >= sc.ceiling*l.Critical
		switch {
		case n >= l.Critical:
			code, detail = crit, fmt.Sprintf("%d %s in %s (critical at %d)", n, what, FormatDuration(time.Duration(l.Window)), l.Critical)
		case n >= l.Warning && code != crit:
			code, detail = warn, fmt.Sprintf("%d %s in %s (warning at %d)", n, what, FormatDuration(time.Duration(l.Window)), l.Warning)
		}
	}
	if code != "" {
		sc.addCount(code, detail, beyond)
	}
}

func (sc scorer) distinct(cmd *redis.IntCmd, l Limit, warn, crit, what string) {
	if cmd == nil {
		return
	}
	n := int(cmd.Val())
	beyond := sc.ceiling > 0 && n >= sc.ceiling*l.Critical
	switch {
	case n >= l.Critical:
		sc.addCount(crit, fmt.Sprintf("%d distinct %s in %s (critical at %d)", n, what, FormatDuration(time.Duration(l.Window)), l.Critical), beyond)
	case n >= l.Warning:
		sc.addCount(warn, fmt.Sprintf("%d distinct %s in %s (warning at %d)", n, what, FormatDuration(time.Duration(l.Window)), l.Warning), beyond)
	}
}

// volume adds the volume of the request's own source: requests from its
// address and network, and the distinct numbers it asked for. On a shared
// address (why says why; "" when it is not) they count only alongside
// evidence of another family, up to the shared ceiling.
func (sc scorer) volume(own ownCounts, why string) {
	vol := sc
	if why != "" {
		sc.add(CodeSharedAddress, why)
		vol.ceiling = sc.s.Velocity.SharedCeiling
	}
	vol.velocity(own.ip, CodeVelocityIPWarning, CodeVelocityIPCritical, "requests from this IP")
	vol.velocity(own.net, CodeVelocityNetworkWarning, CodeVelocityNetworkCritical, "requests from this network")
	vol.distinct(own.numbersPerIP, sc.s.Velocity.NumbersPerIP, CodeNumbersPerIPWarning, CodeNumbersPerIPCritical, "numbers from this IP")
}

// known adds the reasons known before anything is counted: the GeoIP
// gaps, the lists (lk), the destination and country policy, and the
// address's anonymity. It returns the scorers of what the address's and
// the number's allow entries waive: an allow list waives the checks it
// exempts from rather than skipping them, so what the visitor is shown
// does not reveal it.
func (sc scorer) known(geoGaps []Reason, req Request, bound bool, num parsedNumber, info geo.Info, lk lookups) (byIP, byNumber scorer) {
	sc.reasons(geoGaps)
	allowNumber := sc.entry(lk.allowNumber, CodeAllowNumber, "number on the allow list")
	allowIP := sc.entry(lk.allowIP, CodeAllowIP, "network on the allow list")
	sc.entry(lk.denyNumber, CodeDenyNumber, "number on the deny list")
	sc.entry(lk.denyPrefix, CodeDenyPrefix, "prefix on the deny list")
	sc.entry(lk.denyIP, CodeDenyIP, "address on the deny list")
	sc.entry(lk.denyCountry, CodeDenyCountry, "visitor country on the deny list")
	sc.entry(lk.denyASN, CodeDenyASN, "network operator on the deny list")
	sc.destination(req.Flow, bound, num, info)
	byIP, byNumber = sc.waivedIf(allowIP), sc.waivedIf(allowNumber)
	byIP.anonymity(info)
	return byIP, byNumber
}

// action sums the score and applies the hard rules and thresholds, and
// sets the decision's Score.
func (sc scorer) action() Action {
	var acted tally
	for _, r := range sc.d.Reasons {
		if !r.Waived {
			acted.add(r)
		}
	}
	score, _ := acted.total()
	sc.d.Score = max(score, 0)
	return acted.action(sc.s)
}

// seen is the action of the decision's reasons a visitor can see (not
// hidden), waived ones included.
func (sc scorer) seen() Action {
	var t tally
	for _, r := range sc.d.Reasons {
		if !hidden(r.Code) {
			t.add(r)
		}
	}
	return t.action(sc.s)
}

// tallyOf sums every reason of rs.
func tallyOf(rs []Reason) tally {
	var t tally
	for _, r := range rs {
		t.add(r)
	}
	return t
}

// tally sums reasons toward an action.
type tally struct {
	// score sums the weights; held, the corroborating-only ones.
	score, held int
	// families and heldFamilies are the families that added points.
	families, heldFamilies familySet
	hard, deflects         bool
}

func (t *tally) add(r Reason) {
	f := familyOf(r.Code)
	switch {
	case r.Corroborating:
		t.held += r.Weight
		if r.Weight > 0 {
			t.heldFamilies |= f
		}
	default:
		t.score += r.Weight
		if r.Weight > 0 {
			t.families |= f
		}
	}
	t.hard = t.hard || r.Hard
	t.deflects = t.deflects || IsDeflecting(r.Code) && !r.Monitor
}

// total is the score and the families that add to it: the
// corroborating-only points count when another evidence family adds
// points.
func (t tally) total() (int, familySet) {
	if t.families&^t.heldFamilies&evidence != 0 {
		return t.score + t.held, t.families | t.heldFamilies
	}
	return t.score, t.families
}

func (t tally) action(s *compiled) Action {
	score, families := t.total()
	switch {
	case t.hard || score >= s.BlockAt && !families.single():
		return Block
	case t.deflects || score >= s.DeflectAt:
		return Deflect
	}
	return Allow
}
