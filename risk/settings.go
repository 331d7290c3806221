package risk

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Duration is a time.Duration that reads and writes as "1m30s" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration in time.Duration's string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a string such as "1h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"1h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Limit is a count threshold over a sliding window. Counts include the
// request being decided; reaching Warning or Critical adds the matching reason.
type Limit struct {
	Window   Duration `json:"window"`
	Warning  int      `json:"warning"`
	Critical int      `json:"critical"`
}

// Velocity holds the limits of every counted dimension, each with up to
// three windows.
type Velocity struct {
	// IP counts requests per client address: an IPv4 address, or an IPv6
	// address's network of IPv6Prefix bits.
	IP []Limit `json:"ip"`
	// Network counts requests per /24 (IPv4) or /48 (IPv6).
	Network []Limit `json:"ip_network"`
	// Number counts distinct sources (addresses; IPv6 by the /48) asking
	// for one destination number.
	Number []Limit `json:"number"`
	// Prefix counts distinct sources asking for numbers of one block of
	// 1000.
	Prefix []Limit `json:"prefix"`
	// Country counts distinct sources asking for numbers in one
	// destination country.
	Country []Limit `json:"country"`
	// NumbersPerIP counts distinct numbers asked for from one IP (as IP
	// counts it).
	NumbersPerIP Limit `json:"distinct_numbers_per_ip"`
	// IPsPerNumber counts distinct IPs (as IP counts them) asking for one
	// number.
	IPsPerNumber Limit `json:"distinct_ips_per_number"`
	// NearbyNumbers counts distinct numbers asked for, from any IP, in a
	// number's block of 100 and the blocks either side: sequential
	// enumeration of a range.
	NearbyNumbers Limit `json:"nearby_numbers"`
	// IPv6Prefix is the length, 32 to 128, of the network an IPv6 address
	// is counted by in IP, NumbersPerIP and IPsPerNumber: a home subscriber
	// gets a whole /64 and can rotate through its addresses, so 64 by
	// default; 128 counts each address apart. Lists match the address
	// itself whatever this is.
	IPv6Prefix int `json:"ipv6_prefix"`
	// SharedCeiling is how many times its critical thresholds an address
	// many people share (SharedASNs, or many unrelated numbers each asked
	// for once) may reach before its own volume counts alone again: 1 to
	// 100, 10 by default.
	SharedCeiling int `json:"shared_ceiling"`
	// Account counts requests per signed-in account (Request.Visitor).
	Account []Limit `json:"account"`
	// NumbersPerAccount counts distinct numbers asked for by one
	// signed-in account; the zero Limit counts nothing (settings written
	// before it existed).
	NumbersPerAccount Limit `json:"distinct_numbers_per_account"`
}

// Mode is a country policy verdict.
type Mode string

// Country policy modes.
const (
	// ModeAllow lets calls to the country through.
	ModeAllow Mode = "ALLOW"
	// ModeBlock blocks calls to the country.
	ModeBlock Mode = "BLOCK"
	// ModeMonitor lets calls through and records that they would have been blocked.
	ModeMonitor Mode = "MONITOR"
)

// Policy decides per destination country. Countries maps ISO alpha-2 codes
// to a mode; Default applies to every other country (empty: defer to the
// account policy, for flow policies only).
type Policy struct {
	Default   Mode            `json:"default,omitempty"`
	Countries map[string]Mode `json:"countries,omitempty"`
}

// Settings is everything an admin can tune without a restart.
type Settings struct {
	// Weights maps reason codes to points; see DefaultWeights.
	Weights map[string]int `json:"weights"`
	// DeflectAt is the score from which a request is deflected.
	DeflectAt int `json:"deflect_at"`
	// BlockAt is the score from which a request is blocked.
	BlockAt int `json:"block_at"`
	// Velocity holds the counting limits.
	Velocity Velocity `json:"velocity"`
	// HostingASNs lists autonomous systems of hosting and cloud providers.
	HostingASNs []uint `json:"hosting_asns"`
	// SharedASNs lists autonomous systems whose addresses many people
	// share behind carrier-grade NAT (mobile carriers): the volume of one
	// of their addresses counts only with other evidence. See
	// ShippedSharedNetworks.
	SharedASNs []uint `json:"shared_asns"`
	// HighCostRanges lists number ranges that cost more to call than
	// their type says; a number in one adds destination_high_cost_range.
	// See ShippedCostRanges.
	HighCostRanges []CostRange `json:"high_cost_ranges"`
	// HighRiskCountries lists destination countries (ISO 3166-1 alpha-2)
	// where toll fraud often terminates; a number in one adds
	// destination_high_risk. See DefaultHighRiskCountries.
	HighRiskCountries []string `json:"high_risk_countries"`
	// Account is the default country policy.
	Account Policy `json:"account_policy"`
	// Flows holds named per-flow policies that override Account.
	Flows map[string]Policy `json:"flow_policies,omitempty"`
	// RequireAuth deflects every request whose visitor the host site did
	// not vouch for with a valid visitor token.
	RequireAuth bool `json:"require_auth"`
	// Spend caps the calls placed and their estimated cost.
	Spend Spend `json:"spend"`
	// Screening tunes the screening of inbound callers.
	Screening ScreenSettings `json:"screening"`
	// Deflect is what a deflected visitor is offered instead of a call.
	Deflect Channels `json:"deflect"`
	// Dispatch caps the rate at which queued calls are dialed.
	Dispatch Dispatch `json:"dispatch"`
	// Monitor lists reason codes in monitor mode: recorded in decisions
	// with the weight they would have added, but scored 0, never blocking
	// or deflecting.
	Monitor []string `json:"monitor,omitempty"`
	// Spikes tunes spike detection, its alerts and automatic blocking.
	Spikes Spikes `json:"spikes"`
}

// ScreenSettings tunes ScreenCaller.
type ScreenSettings struct {
	// Velocity limits the calls from one caller number per window.
	Velocity []Limit `json:"velocity"`
	// FailedChallenges limits the challenges one caller may fail in a UTC
	// day; its window is documentation only.
	FailedChallenges Limit `json:"failed_challenges"`
	// PassAt lets a caller through unchallenged when its reasons' weights
	// sum to at most this (the default, -20, takes a trust signal such as a
	// full STIR/SHAKEN attestation and nothing against).
	PassAt int `json:"pass_at"`
}

// Spend caps placed calls: per number, and a daily budget of their
// estimated cost. A request that would go past a cap is deflected.
type Spend struct {
	// NumberPerHour caps the calls placed to one number in a clock hour;
	// 0 means no cap.
	NumberPerHour int `json:"number_per_hour"`
	// NumberPerDay caps the calls placed to one number in a UTC day; 0
	// means no cap.
	NumberPerDay int `json:"number_per_day"`
	// DailyBudget caps the estimated cost of the calls placed in a UTC day,
	// in minor units of the account's currency (cents); 0 means no budget.
	DailyBudget int64 `json:"daily_budget"`
	// Costs is the estimated cost of one call per destination country
	// (ISO 3166-1 alpha-2), in minor units.
	Costs map[string]int64 `json:"costs,omitempty"`
	// DefaultCost is the estimated cost of one call to a country not in
	// Costs.
	DefaultCost int64 `json:"default_cost"`
}

// Cost returns the estimated cost of one call to country, in minor units:
// its entry in Costs, or DefaultCost.
func (s Spend) Cost(country string) int64 { return s.cost(country) }

// cost returns the estimated cost of one call to country.
func (s Spend) cost(country string) int64 {
	if c, ok := s.Costs[country]; ok {
		return c
	}
	return s.DefaultCost
}

// DefaultHostingASNs lists major hosting and cloud networks: requests from
// them are rarely a person at a browser.
func DefaultHostingASNs() []uint {
	var asns []uint
	for _, n := range ShippedHostingNetworks() {
		asns = append(asns, n.ASN)
	}
	return asns
}

func limits(w1 time.Duration, warn1, crit1 int, w2 time.Duration, warn2, crit2 int, w3 time.Duration, warn3, crit3 int) []Limit {
	return []Limit{
		{Duration(w1), warn1, crit1},
		{Duration(w2), warn2, crit2},
		{Duration(w3), warn3, crit3},
	}
}

// DefaultSettings returns the shipped settings: the weights of
// DefaultWeights, deflect at 40, block at 80, every country allowed.
func DefaultSettings() Settings {
	return Settings{
		Weights:   DefaultWeights(),
		DeflectAt: 40,
		BlockAt:   80,
		Velocity: Velocity{
			IP:           limits(time.Minute, 4, 8, time.Hour, 10, 20, 24*time.Hour, 30, 60),
			Network:      limits(time.Minute, 10, 20, time.Hour, 40, 80, 24*time.Hour, 150, 300),
			Number:       limits(time.Minute, 3, 5, time.Hour, 5, 10, 24*time.Hour, 10, 20),
			Prefix:       limits(time.Minute, 5, 10, time.Hour, 20, 40, 24*time.Hour, 60, 120),
			Country:      limits(time.Minute, 100, 300, time.Hour, 1000, 3000, 24*time.Hour, 10000, 30000),
			NumbersPerIP: Limit{Duration(24 * time.Hour), 4, 8},
			IPsPerNumber: Limit{Duration(24 * time.Hour), 4, 8},
			// A second number near another within the hour deflects; a
			// fourth scores critical, blocking with any other evidence.
			NearbyNumbers: Limit{Duration(time.Hour), 2, 4},
			IPv6Prefix:    64,
			SharedCeiling: 10,
			// A signed-in account asks for its own number, now and then.
			Account:           limits(time.Minute, 3, 6, time.Hour, 6, 12, 24*time.Hour, 10, 20),
			NumbersPerAccount: Limit{Duration(24 * time.Hour), 3, 6},
		},
		HostingASNs:       DefaultHostingASNs(),
		HighRiskCountries: DefaultHighRiskCountries(),
		SharedASNs:        DefaultSharedASNs(),
		HighCostRanges:    ShippedCostRanges(),
		Account:           Policy{Default: ModeAllow},
		Spend:             Spend{NumberPerHour: 2, NumberPerDay: 4, DefaultCost: 10},
		Screening: ScreenSettings{
			Velocity:         limits(time.Minute, 2, 4, time.Hour, 6, 12, 24*time.Hour, 15, 30),
			FailedChallenges: Limit{Duration(24 * time.Hour), 1, 3},
			PassAt:           -20,
		},
		Spikes: DefaultSpikes(),
	}
}

// CountryMode resolves the mode for a destination country in a flow, and
// says which rule decided. A flow's mode is its entry for the country, then
// its default, then the account's. When the request is bound to the flow
// (Request.FlowBound: something the visitor cannot choose names it), the
// flow's mode decides. A flow named by an anonymous caller can only make
// the account's mode stricter (BLOCK over MONITOR over ALLOW): a flow that
// allows a country the account blocks does not open it to anyone who
// types the flow's name.
func (s Settings) CountryMode(flow, country string, bound bool) (Mode, string) {
	am, arule := s.Account.Default, "account default"
	if m, ok := s.Account.Countries[country]; ok {
		am, arule = m, "account rule for "+country
	}
	p, ok := s.Flows[flow]
	if !ok || flow == "" {
		return am, arule
	}
	fm, frule := am, arule
	if m, ok := p.Countries[country]; ok {
		fm, frule = m, "flow "+flow+" rule for "+country
	} else if p.Default != "" {
		fm, frule = p.Default, "flow "+flow+" default"
	}
	if bound || strictness[fm] >= strictness[am] {
		return fm, frule
	}
	return am, arule + " (flow " + flow + " would loosen it, but the request is not bound to the flow)"
}

// strictness orders the modes: a flow not bound to the request may only
// move to a stricter one.
var strictness = map[Mode]int{ModeAllow: 0, ModeMonitor: 1, ModeBlock: 2}

// Loosens reports whether flow's policy lets through, for some country,
// what the account policy would block or monitor: it then applies only to
// requests bound to the flow.
func (s Settings) Loosens(flow string) bool {
	p, ok := s.Flows[flow]
	if !ok || flow == "" {
		return false
	}
	// "" stands for every country neither policy names.
	countries := append(slices.Collect(maps.Keys(p.Countries)), slices.Collect(maps.Keys(s.Account.Countries))...)
	for _, cc := range append(countries, "") {
		bound, _ := s.CountryMode(flow, cc, true)
		if anyone, _ := s.CountryMode(flow, cc, false); bound != anyone {
			return true
		}
	}
	return false
}

// weight returns the configured weight of a code, or fallback when unset.
func (s Settings) weight(code string, fallback int) int {
	if w, ok := s.Weights[code]; ok {
		return w
	}
	return fallback
}
