package risk

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
	CodeAuthenticated           = "authenticated"
	CodeCountryDBUnavailable    = "geoip_country_unavailable"
	CodeASNDBUnavailable        = "geoip_asn_unavailable"
	CodeAnonymousDBUnavailable  = "geoip_anonymous_unavailable"

	// Form friction, found by the form handler and passed in Request.Extra.
	CodeFormHoneypot     = "form_honeypot"
	CodeFormTooFast      = "form_too_fast"
	CodeFormExpired      = "form_expired"
	CodeFormTokenInvalid = "form_token_invalid"

	// Visitor tokens a host site signs, checked by the handlers.
	CodeVisitorTokenInvalid = "visitor_token_invalid"
	CodeAuthRequired        = "authentication_required"

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

// hardCodes block whatever the score.
var hardCodes = map[string]bool{
	CodeDenyNumber:     true,
	CodeDenyPrefix:     true,
	CodeDenyIP:         true,
	CodeDenyCountry:    true,
	CodeDenyASN:        true,
	CodeCountryBlocked: true,
	CodeDuplicate:      true,
	CodeFormHoneypot:   true,
}

// trustCodes are the allow lists' codes: a listed entry also exempts the
// request from checks (velocity, duplicate callback, anonymous networks),
// an effect beyond its weight that monitor mode cannot withhold, so they
// cannot be monitored.
var trustCodes = map[string]bool{
	CodeAllowNumber: true,
	CodeAllowIP:     true,
}

// deflectCodes deflect a request that would otherwise be allowed: the
// visitor is offered another channel rather than a call.
var deflectCodes = map[string]bool{
	CodeAuthRequired:    true,
	CodeNumberCapHour:   true,
	CodeNumberCapDay:    true,
	CodeBudgetExhausted: true,
}

// IsDeflecting reports whether a reason code deflects a request that its
// score would allow.
func IsDeflecting(code string) bool { return deflectCodes[code] }

// IsHard reports whether a reason code blocks a request whatever its score.
func IsHard(code string) bool { return hardCodes[code] }

// DefaultWeights returns the shipped weight of every reason code. A reason
// a handler adds through Request.Extra is scored with its code's configured
// weight; a code with none keeps the weight it was given.
func DefaultWeights() map[string]int {
	return map[string]int{
		CodeTypeVoIP:           40,
		CodeTypePremiumRate:    80,
		CodeTypeSharedCost:     40,
		CodeTypeUAN:            25,
		CodeTypePersonalNumber: 40,
		CodeTypePager:          50,
		CodeTypeTollFree:       25,

		CodeDenyNumber:  100,
		CodeDenyPrefix:  100,
		CodeDenyIP:      100,
		CodeDenyCountry: 100,
		CodeDenyASN:     100,
		CodeAllowNumber: -20,
		CodeAllowIP:     -20,

		CodeCountryBlocked: 100,
		CodeCountryMonitor: 0,

		CodeHighRiskDestination: 60,

		CodeGeoMismatch:      20,
		CodeAnonymousVPN:     35,
		CodeTorExit:          60,
		CodePublicProxy:      45,
		CodeResidentialProxy: 30,
		CodeHostingProvider:  30,
		CodeHostingASN:       30,

		CodeVelocityIPWarning:       20,
		CodeVelocityIPCritical:      80,
		CodeVelocityNetworkWarning:  15,
		CodeVelocityNetworkCritical: 60,
		CodeVelocityNumberWarning:   20,
		CodeVelocityNumberCritical:  80,
		CodeVelocityPrefixWarning:   20,
		CodeVelocityPrefixCritical:  80,
		CodeVelocityCountryWarning:  10,
		CodeVelocityCountryCritical: 40,
		CodeNumbersPerIPWarning:     25,
		CodeNumbersPerIPCritical:    80,
		CodeIPsPerNumberWarning:     25,
		CodeIPsPerNumberCritical:    80,
		CodeNearbyNumbersWarning:    40,
		CodeNearbyNumbersCritical:   80,
		CodeDuplicate:               100,
		CodeAuthenticated:           -30,

		CodeCountryDBUnavailable:   0,
		CodeASNDBUnavailable:       0,
		CodeAnonymousDBUnavailable: 0,

		CodeFormHoneypot:     100,
		CodeFormTooFast:      30,
		CodeFormExpired:      20,
		CodeFormTokenInvalid: 60,

		CodeVisitorTokenInvalid: 30,
		CodeAuthRequired:        0,

		CodeNumberCapHour:   0,
		CodeNumberCapDay:    0,
		CodeBudgetExhausted: 0,

		CodeCallerWithheld:         40,
		CodeCallerInvalid:          40,
		CodeVelocityCallerWarning:  20,
		CodeVelocityCallerCritical: 80,
		CodeCallerFailedWarning:    30,
		CodeCallerFailedCritical:   80,
		CodeAttestationFull:        -20,
		CodeAttestationFailed:      40,
	}
}
