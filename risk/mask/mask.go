// Package mask masks phone numbers in what Tollgate logs. It depends on
// the standard library only, so the Amazon Connect bridge can use it too.
package mask

import (
	"log/slog"
	"regexp"
	"strings"
)

// Number hides the middle of a phone number for logs and lists, keeping
// the country code side and the last two digits: "+447700900123" becomes
// "+4477******23". Short inputs are masked whole.
func Number(number string) string {
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

// phoneLike finds what may be a phone number inside free text such as an
// error message: + and at least 7 digits, spaces allowed between them, or
// a bare run of 9 to 15 digits standing alone.
var phoneLike = regexp.MustCompile(`\+[0-9][0-9 ]{5,}[0-9]|\b[0-9]{9,15}\b`)

// In returns s with everything in it that looks like a phone
// number masked by Number, for text that may quote one, such as a
// provider's error message. A Redis stream entry id (milliseconds, '-',
// a sequence number) is left alone.
func In(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range phoneLike.FindAllStringIndex(s, -1) {
		if s[m[0]] != '+' && m[1]+1 < len(s) && s[m[1]] == '-' && s[m[1]+1] >= '0' && s[m[1]+1] <= '9' {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(Number(s[m[0]:m[1]]))
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// LogAttr is a slog.HandlerOptions.ReplaceAttr that masks phone numbers
// in every string and error a log line carries, its message included, so
// a number quoted by an error from Redis, a provider or a parser never
// reaches the log whole. Code that logs a number on purpose masks it with
// Number first; this is the net under it.
func LogAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); phoneLike.MatchString(s) {
			a.Value = slog.StringValue(In(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			if s := err.Error(); phoneLike.MatchString(s) {
				a.Value = slog.StringValue(In(s))
			}
		}
	}
	return a
}
