package risk

import "slices"

// Reason codes. They are stable: logs, dashboards and settings refer to them.
const (
	CodeTypeVoIP           = "number_type_voip"
	CodeTypePremiumRate    = "number_type_premium_rate"
	CodeTypeSharedCost     = "number_type_shared_cost"
	CodeTypeUAN            = "number_type_uan"
	CodeTypePersonalNumber = "number_type_personal_number"
	CodeTypePager          = "number_type_pager"
	CodeTypeTollFree       = "number_type_toll_free"

	CodeDenyNumber  = "deny_number"
	CodeDenyPrefix  = "deny_prefix"
	CodeDenyIP      = "deny_ip"
	CodeDenyCountry = "deny_country"
	CodeDenyASN     = "deny_asn"
	CodeAllowNumber = "allow_number"
	CodeAllowIP     = "allow_ip"

	CodeCountryBlocked = "country_blocked"
	CodeCountryMonitor = "country_monitor"

	// CodeHighRiskDestination marks a number in a country of
	// Settings.HighRiskCountries.
	CodeHighRiskDestination = "destination_high_risk"
	// CodeHighCostRange marks a number in a range of
	// Settings.HighCostRanges.
	CodeHighCostRange = "destination_high_cost_range"

	CodeGeoMismatch      = "ip_geo_mismatch"
	CodeAnonymousVPN     = "ip_anonymous_vpn"
	CodeTorExit          = "ip_tor_exit"
	CodePublicProxy      = "ip_public_proxy"
	CodeResidentialProxy = "ip_residential_proxy"
	CodeHostingProvider  = "ip_hosting_provider"
	CodeHostingASN       = "ip_hosting_asn"

	CodeVelocityIPWarning       = "velocity_ip_warning"
	CodeVelocityIPCritical      = "velocity_ip_critical"
	CodeVelocityNetworkWarning  = "velocity_ip_network_warning"
	CodeVelocityNetworkCritical = "velocity_ip_network_critical"
	CodeVelocityNumberWarning   = "velocity_number_warning"
	CodeVelocityNumberCritical  = "velocity_number_critical"
	CodeVelocityPrefixWarning   = "velocity_prefix_warning"
	CodeVelocityPrefixCritical  = "velocity_prefix_critical"
	CodeVelocityCountryWarning  = "velocity_country_warning"
	CodeVelocityCountryCritical = "velocity_country_critical"
	CodeNumbersPerIPWarning     = "distinct_numbers_per_ip_warning"
	CodeNumbersPerIPCritical    = "distinct_numbers_per_ip_critical"
	CodeIPsPerNumberWarning     = "distinct_ips_per_number_warning"
	CodeIPsPerNumberCritical    = "distinct_ips_per_number_critical"
	CodeNearbyNumbersWarning    = "nearby_numbers_warning"
	CodeNearbyNumbersCritical   = "nearby_numbers_critical"
	CodeDuplicate               = "duplicate_callback"
	// CodeRecombined marks addresses and numbers recombined: see
	// recombination.go.
	CodeRecombined = "number_recombined"
	// CodeSharedAddress marks an address many people share (see
	// Settings.SharedASNs and shared.go): its own volume counts only
	// with other evidence.
	CodeSharedAddress          = "ip_shared"
	CodeAuthenticated          = "authenticated"
	CodeCountryDBUnavailable   = "geoip_country_unavailable"
	CodeASNDBUnavailable       = "geoip_asn_unavailable"
	CodeAnonymousDBUnavailable = "geoip_anonymous_unavailable"

	// Form friction, found by the form handler and passed in Request.Extra.
	CodeFormHoneypot     = "form_honeypot"
	CodeFormTooFast      = "form_too_fast"
	CodeFormExpired      = "form_expired"
	CodeFormTokenInvalid = "form_token_invalid"

	// Visitor tokens a host site signs, checked by the handlers, and the
	// signed-in accounts they name, counted by the engine.
	CodeVisitorTokenInvalid       = "visitor_token_invalid"
	CodeVisitorTokenWrongNumber   = "visitor_token_wrong_number"
	CodeVisitorTokenReused        = "visitor_token_reused"
	CodeVisitorTokenRefusedSource = "visitor_token_refused_source"
	CodeAuthRequired              = "authentication_required"
	CodeVelocityAccountWarning    = "velocity_account_warning"
	CodeVelocityAccountCritical   = "velocity_account_critical"
	CodeNumbersPerAccountWarning  = "distinct_numbers_per_account_warning"
	CodeNumbersPerAccountCritical = "distinct_numbers_per_account_critical"

	// Spend controls on placed calls.
	CodeNumberCapHour   = "number_cap_hour"
	CodeNumberCapDay    = "number_cap_day"
	CodeBudgetExhausted = "budget_exhausted"

	// Inbound caller screening.
	CodeCallerWithheld         = "caller_withheld"
	CodeCallerInvalid          = "caller_invalid"
	CodeVelocityCallerWarning  = "velocity_caller_warning"
	CodeVelocityCallerCritical = "velocity_caller_critical"
	CodeCallerFailedWarning    = "caller_failed_challenges_warning"
	CodeCallerFailedCritical   = "caller_failed_challenges_critical"
	CodeAttestationFull        = "stir_attestation_a"
	CodeAttestationFailed      = "stir_verification_failed"
)

// Family is the kind of evidence a reason code is. The five evidence
// families (reputation, volume, destination, reuse, behaviour) combine: a
// score past the block threshold blocks only when at least two families
// add points to it, so one family alone deflects at most. Reasons decisive
// by nature (a deny list, a blocked country, an outstanding callback, the
// form's honeypot) block by their effect whatever their family.
type Family string

// The families of the reason codes.
const (
	// FamilyReputation is what the visitor's address is: an anonymizer,
	// a proxy, a hosting network.
	FamilyReputation Family = "reputation"
	// FamilyVolume is how much one source asks: requests and distinct
	// numbers from one address, network or signed-in account.
	FamilyVolume Family = "volume"
	// FamilyDestination is what the number costs or is: its type, a
	// high-risk country or high-cost range, a country asked for by many.
	FamilyDestination Family = "destination"
	// FamilyReuse is numbers asked for by many: by many addresses, near
	// other numbers asked for, recombined with addresses.
	FamilyReuse Family = "reuse"
	// FamilyBehaviour is how the visitor behaves: the form filled in too
	// fast, a token forged or reused, an address abroad.
	FamilyBehaviour Family = "behaviour"

	// FamilyLists are the deny lists, decisive by nature.
	FamilyLists Family = "lists"
	// FamilyPolicy is the country policy and sign-in requirement.
	FamilyPolicy Family = "policy"
	// FamilyTrust lowers the score: allow lists, signed-in visitors.
	FamilyTrust Family = "trust"
	// FamilySpend are the spend caps and budget, which deflect.
	FamilySpend Family = "spend"
	// FamilyScreening is inbound caller screening, scored on its own.
	FamilyScreening Family = "screening"
	// FamilyGeoIP notes a missing GeoIP database.
	FamilyGeoIP Family = "geoip"
	// FamilySurge is a destination country asked for by many visitors at
	// once: it counts everyone, so it adds points but corroborates
	// nothing, and a surge of other people's requests cannot turn one
	// family into two.
	FamilySurge Family = "surge"
)

// EvidenceFamilies are the families that must corroborate one another for
// a score to block.
var EvidenceFamilies = []Family{FamilyReputation, FamilyVolume, FamilyDestination, FamilyReuse, FamilyBehaviour}

// Effect is what a reason does beyond adding its weight to the score.
type Effect string

// The effects a reason code can have.
const (
	// EffectScore adds the weight and nothing more.
	EffectScore Effect = ""
	// EffectBlock blocks the request whatever the score.
	EffectBlock Effect = "blocks"
	// EffectDeflect deflects a request the score would allow.
	EffectDeflect Effect = "deflects"
	// EffectTrust exempts the request from checks: an allow-listed
	// address skips the anonymity and per-address velocity checks, an
	// allow-listed number the per-number ones and the duplicate check.
	EffectTrust Effect = "trusts"
)

// ReasonInfo describes one reason code: what it weighs by default, what it
// does whatever the score, and what it means to a person.
type ReasonInfo struct {
	// Code is the stable code, e.g. "deny_number".
	Code string `json:"code"`
	// Family is the kind of evidence the code is (see Family).
	Family Family `json:"family"`
	// Name is a short human name, e.g. "Number on the deny list".
	Name string `json:"name"`
	// Description says in one line when the reason is given.
	Description string `json:"description"`
	// Weight is the shipped weight (DefaultWeights).
	Weight int `json:"weight"`
	// Effect is what the reason does whatever the score.
	Effect Effect `json:"effect,omitempty"`
	// Hidden marks a reason that rests on what the visitor cannot see for
	// themselves: lists, the country policy, other visitors' requests
	// (a number's, a block's or a country's sources, nearby numbers,
	// rings), outstanding callbacks, the per-number spend caps. It never
	// changes what the visitor is shown (Decision.Visible), so answers
	// cannot be used to read that state.
	Hidden bool `json:"hidden,omitempty"`
}

// reasonTable is every reason code the engine and the handlers give, the
// one place a signal's weight, effect and meaning are written.
var reasonTable = []ReasonInfo{
	{CodeTypeVoIP, FamilyDestination, "VoIP number", "The number is a VoIP number, cheap to rent by the thousand.", 40, EffectScore, false},
	{CodeTypePremiumRate, FamilyDestination, "Premium-rate number", "The number is premium rate: calling it pays its owner.", 80, EffectScore, false},
	{CodeTypeSharedCost, FamilyDestination, "Shared-cost number", "The number is a shared-cost number.", 40, EffectScore, false},
	{CodeTypeUAN, FamilyDestination, "Universal access number", "The number is a universal access number, not a person's line.", 25, EffectScore, false},
	{CodeTypePersonalNumber, FamilyDestination, "Personal number", "The number is a personal (follow-me) number that forwards anywhere.", 40, EffectScore, false},
	{CodeTypePager, FamilyDestination, "Pager", "The number is a pager.", 50, EffectScore, false},
	{CodeTypeTollFree, FamilyDestination, "Toll-free number", "The number is toll free: a business, not a visitor.", 25, EffectScore, false},
	{CodeHighRiskDestination, FamilyDestination, "High-risk destination", "The number is in a country on the high-risk toll fraud list.", 60, EffectScore, false},
	{CodeHighCostRange, FamilyDestination, "High-cost number range", "The number is in a range on the high-cost list: domestic traffic pumping or revenue-share ranges its type does not show.", 60, EffectScore, false},

	{CodeDenyNumber, FamilyLists, "Number on the deny list", "The number is on the deny list.", 100, EffectBlock, true},
	{CodeDenyPrefix, FamilyLists, "Prefix on the deny list", "The number starts with a prefix on the deny list.", 100, EffectBlock, true},
	{CodeDenyIP, FamilyLists, "Address on the deny list", "The visitor's address or network is on the deny list.", 100, EffectBlock, true},
	{CodeDenyCountry, FamilyLists, "Visitor country on the deny list", "The visitor's address is in a country on the deny list.", 100, EffectBlock, true},
	{CodeDenyASN, FamilyLists, "Network operator on the deny list", "The visitor's address belongs to an AS on the deny list.", 100, EffectBlock, true},
	{CodeAllowNumber, FamilyTrust, "Number on the allow list", "The number is on the allow list: per-number checks are skipped.", -20, EffectTrust, true},
	{CodeAllowIP, FamilyTrust, "Address on the allow list", "The visitor's address is on the allow list: address checks are skipped.", -20, EffectTrust, true},

	{CodeCountryBlocked, FamilyPolicy, "Destination country blocked", "The country policy blocks calls to the number's country.", 100, EffectBlock, true},
	{CodeCountryMonitor, FamilyPolicy, "Destination country monitored", "The country policy monitors calls to the number's country: they would be blocked.", 0, EffectScore, true},

	{CodeGeoMismatch, FamilyBehaviour, "Visitor abroad", "The visitor's address is in another country than the number.", 20, EffectScore, false},
	{CodeAnonymousVPN, FamilyReputation, "Anonymous VPN", "The visitor's address is an anonymous VPN.", 35, EffectScore, false},
	{CodeTorExit, FamilyReputation, "Tor exit node", "The visitor's address is a Tor exit node.", 60, EffectScore, false},
	{CodePublicProxy, FamilyReputation, "Public proxy", "The visitor's address is a public proxy.", 45, EffectScore, false},
	{CodeResidentialProxy, FamilyReputation, "Residential proxy", "The visitor's address is a residential proxy.", 30, EffectScore, false},
	{CodeHostingProvider, FamilyReputation, "Hosting provider", "The GeoIP database marks the visitor's address as a hosting provider's.", 30, EffectScore, false},
	{CodeHostingASN, FamilyReputation, "Hosting network", "The visitor's address belongs to an AS on the hosting list.", 30, EffectScore, false},

	{CodeVelocityIPWarning, FamilyVolume, "Many requests from this address", "Requests from the visitor's address reached a warning threshold.", 20, EffectScore, false},
	{CodeVelocityIPCritical, FamilyVolume, "Too many requests from this address", "Requests from the visitor's address reached a critical threshold.", 80, EffectScore, false},
	{CodeVelocityNetworkWarning, FamilyVolume, "Many requests from this network", "Requests from the visitor's /24 (IPv4) or /48 (IPv6) reached a warning threshold.", 15, EffectScore, false},
	{CodeVelocityNetworkCritical, FamilyVolume, "Too many requests from this network", "Requests from the visitor's /24 (IPv4) or /48 (IPv6) reached a critical threshold.", 60, EffectScore, false},
	{CodeVelocityNumberWarning, FamilyReuse, "Number asked for by several addresses lately", "Distinct addresses asking for this number within a minute, an hour or a day reached a warning threshold.", 20, EffectScore, true},
	{CodeVelocityNumberCritical, FamilyReuse, "Number asked for by many addresses lately", "Distinct addresses asking for this number within a minute, an hour or a day reached a critical threshold.", 80, EffectScore, true},
	{CodeVelocityPrefixWarning, FamilyReuse, "Number block asked for often", "Distinct addresses asking for numbers of this block of 1,000 reached a warning threshold.", 20, EffectScore, true},
	{CodeVelocityPrefixCritical, FamilyReuse, "Number block asked for too often", "Distinct addresses asking for numbers of this block of 1,000 reached a critical threshold.", 80, EffectScore, true},
	{CodeVelocityCountryWarning, FamilySurge, "Country asked for often", "Distinct addresses asking for numbers in this country reached a warning threshold.", 10, EffectScore, true},
	{CodeVelocityCountryCritical, FamilySurge, "Country asked for too often", "Distinct addresses asking for numbers in this country reached a critical threshold.", 40, EffectScore, true},
	{CodeNumbersPerIPWarning, FamilyVolume, "Several numbers from one address", "The visitor's address asked for several distinct numbers.", 25, EffectScore, false},
	{CodeNumbersPerIPCritical, FamilyVolume, "Many numbers from one address", "The visitor's address asked for many distinct numbers.", 80, EffectScore, false},
	{CodeIPsPerNumberWarning, FamilyReuse, "Number asked for from several addresses today", "Several distinct addresses asked for this number within the day.", 25, EffectScore, true},
	{CodeIPsPerNumberCritical, FamilyReuse, "Number asked for from many addresses today", "Many distinct addresses asked for this number within the day.", 80, EffectScore, true},
	{CodeNearbyNumbersWarning, FamilyReuse, "Neighbouring numbers asked for", "Other numbers within about 100 of this one were asked for, by other addresses, within the window.", 40, EffectScore, true},
	{CodeNearbyNumbersCritical, FamilyReuse, "Number range being walked", "Many numbers within about 100 of this one were asked for, by as many addresses, within the window.", 80, EffectScore, true},
	{CodeRecombined, FamilyReuse, "Addresses and numbers recombined", "The address asked for other numbers and this number was asked for from other addresses, or either was seen in such a ring within the day.", 50, EffectScore, true},
	{CodeSharedAddress, FamilyVolume, "Shared address", "Many people share the visitor's address (a carrier-NAT network on the shared list, or many unrelated numbers each asked for once): its own volume counts only with other evidence.", 0, EffectScore, false},
	{CodeDuplicate, FamilyReuse, "Callback already outstanding", "A callback to this number is already queued or in progress.", 100, EffectBlock, true},

	{CodeNumberCapHour, FamilySpend, "Hourly cap for this number", "The calls placed to this number this hour reached its cap.", 0, EffectDeflect, true},
	{CodeNumberCapDay, FamilySpend, "Daily cap for this number", "The calls placed to this number today reached its cap.", 0, EffectDeflect, true},
	{CodeBudgetExhausted, FamilySpend, "Daily budget spent", "The day's call budget cannot pay for this call.", 0, EffectDeflect, false},

	{CodeFormHoneypot, FamilyBehaviour, "Hidden form field filled in", "The form's hidden field was filled in, as only bots do.", 100, EffectBlock, false},
	{CodeFormTooFast, FamilyBehaviour, "Form sent too fast", "The form came back faster than a person fills it in.", 30, EffectScore, false},
	{CodeFormExpired, FamilyBehaviour, "Form too old", "The form came back after its token's lifetime.", 20, EffectScore, false},
	{CodeFormTokenInvalid, FamilyBehaviour, "Form token missing or forged", "The form's token was missing, forged or issued to another browser.", 60, EffectScore, false},

	{CodeAuthenticated, FamilyTrust, "Signed-in visitor", "The host site vouched for the visitor with a valid visitor token.", -30, EffectScore, false},
	{CodeVisitorTokenInvalid, FamilyBehaviour, "Visitor token not valid", "A visitor token came with the request but was not valid.", 30, EffectScore, false},
	{CodeVisitorTokenWrongNumber, FamilyBehaviour, "Visitor token for another number", "The visitor token is bound to another number, so it vouches for nothing here.", 30, EffectScore, false},
	{CodeVisitorTokenReused, FamilyBehaviour, "Single-use visitor token reused", "The single-use visitor token was used before, so it vouches for nothing here.", 30, EffectScore, false},
	{CodeVisitorTokenRefusedSource, FamilyBehaviour, "Visitor token from a refused address", "The visitor token came from an address its own signals refuse (an anonymizer or hosting network, or past its own limits), so it vouches for nothing there.", 0, EffectScore, false},
	{CodeAuthRequired, FamilyPolicy, "Sign-in required", "Settings require a signed-in visitor and this one is not.", 0, EffectDeflect, false},
	{CodeVelocityAccountWarning, FamilyVolume, "Many requests from one account", "Requests from the signed-in account reached a warning threshold.", 20, EffectScore, false},
	{CodeVelocityAccountCritical, FamilyVolume, "Too many requests from one account", "Requests from the signed-in account reached a critical threshold.", 80, EffectScore, false},
	{CodeNumbersPerAccountWarning, FamilyVolume, "Several numbers from one account", "The signed-in account asked for several distinct numbers.", 25, EffectScore, false},
	{CodeNumbersPerAccountCritical, FamilyVolume, "Many numbers from one account", "The signed-in account asked for many distinct numbers.", 80, EffectScore, false},

	{CodeCallerWithheld, FamilyScreening, "Caller ID withheld", "The inbound caller withheld their number.", 40, EffectScore, false},
	{CodeCallerInvalid, FamilyScreening, "Caller ID not valid", "The inbound caller's number cannot be a valid number.", 40, EffectScore, false},
	{CodeVelocityCallerWarning, FamilyScreening, "Caller calls often", "Calls from this number reached a warning threshold.", 20, EffectScore, false},
	{CodeVelocityCallerCritical, FamilyScreening, "Caller calls too often", "Calls from this number reached a critical threshold.", 80, EffectScore, false},
	{CodeCallerFailedWarning, FamilyScreening, "Caller failed a challenge", "This caller failed IVR challenges today.", 30, EffectScore, false},
	{CodeCallerFailedCritical, FamilyScreening, "Caller fails challenges", "This caller failed many IVR challenges today.", 80, EffectScore, false},
	{CodeAttestationFull, FamilyScreening, "Caller ID fully attested", "STIR/SHAKEN attested the caller's number fully (A).", -20, EffectScore, false},
	{CodeAttestationFailed, FamilyScreening, "Caller ID verification failed", "STIR/SHAKEN verification of the caller's number failed.", 40, EffectScore, false},

	{CodeCountryDBUnavailable, FamilyGeoIP, "Country database missing", "No GeoIP country database: country signals were skipped.", 0, EffectScore, false},
	{CodeASNDBUnavailable, FamilyGeoIP, "ASN database missing", "No GeoIP ASN database: network operator signals were skipped.", 0, EffectScore, false},
	{CodeAnonymousDBUnavailable, FamilyGeoIP, "Anonymous IP database missing", "No GeoIP Anonymous IP database: VPN, proxy and hosting signals were skipped.", 0, EffectScore, false},
}

// reasonIndex finds a code's row in reasonTable.
var reasonIndex = func() map[string]ReasonInfo {
	m := make(map[string]ReasonInfo, len(reasonTable))
	for _, r := range reasonTable {
		if _, dup := m[r.Code]; dup {
			panic("risk: reason code " + r.Code + " is in the table twice")
		}
		m[r.Code] = r
	}
	return m
}()

// ReasonTable returns every weighted reason code's row, in the table's
// order (by family).
func ReasonTable() []ReasonInfo { return slices.Clone(reasonTable) }

// LookupReason returns the row of code; ok is false for a code not in the
// table, such as CodeStoreUnavailable.
func LookupReason(code string) (info ReasonInfo, ok bool) {
	info, ok = reasonIndex[code]
	return info, ok
}

// ReasonName is code's human name, or code itself when it has none.
func ReasonName(code string) string {
	if code == CodeStoreUnavailable {
		return "Store unavailable"
	}
	if r, ok := reasonIndex[code]; ok {
		return r.Name
	}
	return code
}

func effectOf(code string) Effect { return reasonIndex[code].Effect }

// hidden reports whether code rests on state the visitor cannot see.
func hidden(code string) bool { return reasonIndex[code].Hidden }

// IsDeflecting reports whether a reason code deflects a request that its
// score would allow.
func IsDeflecting(code string) bool { return effectOf(code) == EffectDeflect }

// IsHard reports whether a reason code blocks a request whatever its score.
func IsHard(code string) bool { return effectOf(code) == EffectBlock }

// isTrust reports whether code is an allow list's: a listed entry exempts
// the request from checks, an effect beyond its weight that monitor mode
// cannot withhold, so such codes cannot be monitored.
func isTrust(code string) bool { return effectOf(code) == EffectTrust }

// DefaultWeights returns the shipped weight of every reason code. A reason
// a handler adds through Request.Extra is scored with its code's configured
// weight; a code with none keeps the weight it was given.
func DefaultWeights() map[string]int {
	w := make(map[string]int, len(reasonTable))
	for _, r := range reasonTable {
		w[r.Code] = r.Weight
	}
	return w
}

// familySet is a set of families, one bit each.
type familySet uint16

// familyBits numbers the families.
var familyBits = func() map[Family]familySet {
	all := append(slices.Clone(EvidenceFamilies), FamilyLists, FamilyPolicy, FamilyTrust, FamilySpend, FamilyScreening, FamilyGeoIP)
	m := make(map[Family]familySet, len(all))
	for i, f := range all {
		m[f] = 1 << i
	}
	return m
}()

// evidence is the set of EvidenceFamilies.
var evidence = func() familySet {
	var s familySet
	for _, f := range EvidenceFamilies {
		s |= familyBits[f]
	}
	return s
}()

// familyOf is code's family as a set; 0 for a code not in the table and
// for FamilySurge, which corroborates nothing.
func familyOf(code string) familySet { return familyBits[reasonIndex[code].Family] }

// single reports whether the points come from one evidence family alone,
// which may deflect but not block.
func (s familySet) single() bool { return s&^evidence == 0 && s&(s-1) == 0 && s != 0 }
