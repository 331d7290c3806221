package risk

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultHighRiskCountries lists destination countries that fraud-loss
// surveys and carriers' high-risk destination lists name again and again as
// where international revenue share fraud (IRSF) terminates: countries with
// high termination rates, short-stopped or hijacked ranges and premium
// numbers hidden in ordinary-looking mobile ranges. A number in one adds
// destination_high_risk. Businesses that serve these countries edit the
// list in the console.
func DefaultHighRiskCountries() []string {
	return []string{
		"CU", // Cuba
		"LV", // Latvia
		"LT", // Lithuania
		"EE", // Estonia
		"BA", // Bosnia and Herzegovina
		"RS", // Serbia
		"BY", // Belarus
		"SO", // Somalia
		"SL", // Sierra Leone
		"GN", // Guinea
		"GW", // Guinea-Bissau
		"GM", // Gambia
		"LR", // Liberia
		"ST", // São Tomé and Príncipe
		"KM", // Comoros
		"TD", // Chad
		"ZW", // Zimbabwe
		"TN", // Tunisia
		"MV", // Maldives
		"PG", // Papua New Guinea
		"SB", // Solomon Islands
		"NR", // Nauru
		"TV", // Tuvalu
		"CK", // Cook Islands
		"NU", // Niue
		"TK", // Tokelau
		"KI", // Kiribati
		"VU", // Vanuatu
		"IO", // Diego Garcia
	}
}

// nearbyBlock is the block of 100 numbers e164 belongs to (the E.164 form
// without its last two digits), with the blocks just below and above it,
// the unit sequential enumeration moves through. ok is false for numbers
// too short to have neighbours.
func nearbyBlock(e164 string) (block, below, above string, ok bool) {
	digits := strings.TrimPrefix(e164, "+")
	if len(digits) < 6 || len(digits) > 15 {
		return "", "", "", false
	}
	head := digits[:len(digits)-2]
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return "", "", "", false
	}
	pad := func(v int64) string {
		s := strconv.FormatInt(v, 10)
		return "+" + strings.Repeat("0", max(len(head)-len(s), 0)) + s
	}
	return "+" + head, pad(n - 1), pad(n + 1), true
}

func nearbyKey(block string) string { return key("{nb:"+block+"}", "numbers") }

// nearbyReads are the commands counting the distinct numbers seen near a
// number: its own block's set, trimmed to the window, and the numbers of
// the two neighbouring blocks seen within the window.
type nearbyReads struct {
	own, below, above *redis.IntCmd
}

// queueNearby adds number to its block's set and counts the distinct
// numbers seen in the window l in that block and the two beside it.
func queueNearby(ctx context.Context, p redis.Pipeliner, e164 string, l Limit, now time.Time) nearbyReads {
	block, below, above, ok := nearbyBlock(e164)
	if !ok || l.Window <= 0 {
		return nearbyReads{}
	}
	since := "(" + strconv.FormatInt(now.UnixMilli()-time.Duration(l.Window).Milliseconds(), 10)
	return nearbyReads{
		own:   queueDistinct(ctx, p, nearbyKey(block), e164, l, now),
		below: p.ZCount(ctx, nearbyKey(below), since, "+inf"),
		above: p.ZCount(ctx, nearbyKey(above), since, "+inf"),
	}
}

// count is how many distinct numbers the reads saw, the request's own included.
func (r nearbyReads) count() *redis.IntCmd {
	if r.own == nil {
		return nil
	}
	total := redis.NewIntCmd(context.Background())
	total.SetVal(r.own.Val() + r.below.Val() + r.above.Val())
	return total
}
