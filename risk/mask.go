package risk

import "github.com/tollgate/tollgate/risk/mask"

// MaskNumber hides the middle of a phone number for logs and lists, keeping
// the country code side and the last two digits: "+447700900123" becomes
// "+4477******23". Short inputs are masked whole. It is mask.Number.
func MaskNumber(number string) string { return mask.Number(number) }
