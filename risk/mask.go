package risk

// MaskNumber hides the middle of a phone number for logs and lists, keeping
// the country code side and the last two digits: "+447700900123" becomes
// "+4477*******23". Short inputs are masked whole.
func MaskNumber(number string) string {
	r := []rune(number)
	if len(r) < 7 {
		return "***"
	}
	keepHead := 5
	if r[0] != '+' {
		keepHead = 4
	}
	out := make([]rune, len(r))
	for i := range r {
		if i < keepHead || i >= len(r)-2 {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}
