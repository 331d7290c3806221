package admin

import (
	"testing"
	"time"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/lists/deny_ip?q=10.": "/admin/lists/deny_ip?q=10.",
		"/admin/../../etc":           Home,
		"//evil.example/admin/x":     Home,
		"https://evil.example/admin": Home,
		"/admin/sign-in":             Home,
		"":                           Home,
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// A chosen expiry date lasts to the end of that day, UTC: today is a
// valid choice, yesterday is not.
func TestFormExpiryDateEndsAtTheEndOfTheDay(t *testing.T) {
	now := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	got, err := formExpiry("date", "2026-03-01", now)
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("today: got %v, %v; want %v", got, err, want)
	}
	got, err = formExpiry("date", " 2026-03-31 ", now)
	if want := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Errorf("2026-03-31: got %v, %v; want %v", got, err, want)
	}
	if got, err := formExpiry("date", "2026-02-28", now); err == nil {
		t.Errorf("yesterday: got %v, want an error", got)
	}
}

// A reference is read as the start of a base32 decision id: the digits
// typed for the letters they resemble become those letters, and anything
// no id can hold is no reference.
func TestReferencePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"XRAY-E4KB":  "xraye4kb",
		"xray e4kb":  "xraye4kb",
		"7U50-U4J1":  "7u5ou4ji",
		"B8BB":       "bbbb",
		"+447700900": "",
		"12345678":   "",
		"AB9C":       "",
		"AB":         "",
	} {
		got, ok := referencePrefix(in)
		if got != want || ok != (want != "") {
			t.Errorf("referencePrefix(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
