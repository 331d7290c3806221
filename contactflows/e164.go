package contactflows

// IsE164 reports whether s looks like an E.164 number: a plus sign and 2
// to 15 digits, the first not zero.
func IsE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
