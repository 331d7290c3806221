package mask

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+447700900123", "+4477******23"},
		{"447700900123", "4477******23"},
		{"+1 201 555 0123", "+1 20********23"},
		{"123456", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := Number(tt.in); got != tt.want {
			t.Errorf("Number(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The 'To' number +447700900123 is not valid", "The 'To' number +4477******23 is not valid"},
		{"dial +1 201 555 0123: busy", "dial +1 20********23: busy"},
		{"caller 447700900123 refused", "caller 4477******23 refused"},
		{"two: +447700900123,+12015550123", "two: +4477******23,+1201*****23"},
		// Not numbers: short runs, digits inside ids, dates and durations.
		{"attempt 3 of 5 after 120ms", "attempt 3 of 5 after 120ms"},
		{"call 01JDQ6Z3V8R2M4K7N9P0S1T2W3 ended", "call 01JDQ6Z3V8R2M4K7N9P0S1T2W3 ended"},
		{"CA0123456789abcdef0123456789abcdef placed", "CA0123456789abcdef0123456789abcdef placed"},
		{"expires 2026-12-31T00:00:00Z", "expires 2026-12-31T00:00:00Z"},
		{"stream id 1700000000000-0", "stream id 1700000000000-0"},
	}
	for _, tt := range tests {
		if got := In(tt.in); got != tt.want {
			t.Errorf("In(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLogAttr(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: LogAttr}))
	err := fmt.Errorf("twilio: %w", errors.New("21211: The 'To' number +447700900123 is not a valid phone number"))
	log.With("number", "+12015550123").WithGroup("call").Error("dial to +33612345678 failed",
		"err", err, "to", "+447700900124", "attempt", 3, "in", 2*time.Second, "id", "01JDQ6Z3V8R2M4K7N9P0S1T2W3")
	out := buf.String()
	for _, raw := range []string{"447700900123", "12015550123", "33612345678", "447700900124"} {
		if strings.Contains(out, raw) {
			t.Errorf("log holds %s whole:\n%s", raw, out)
		}
	}
	for _, want := range []string{`"err":"twilio: 21211: The 'To' number +4477******23`, `"attempt":3`, `"in":2000000000`, "01JDQ6Z3V8R2M4K7N9P0S1T2W3", `"msg":"dial to +3361*****78 failed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log does not hold %s:\n%s", want, out)
		}
	}
}
