package audit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// auditDay is when the test entries are written, one minute apart.
var auditDay = time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)

// filled returns a log holding entries a0..a5, written a minute apart:
// ann adds to lists, bob changes users and settings.
func filled(t *testing.T) *Log {
	t.Helper()
	mr := miniredis.RunT(t)
	l := NewLog(redis.NewClient(&redis.Options{Addr: mr.Addr()}))
	rows := []struct{ actor, action, target string }{
		{"ann", "list.add", "deny_number +12015550166"},
		{"bob", "user.create", "user carl"},
		{"ann", "list.remove", "deny_ip 192.0.2.1"},
		{"bob", "settings.save", "settings"},
		{"ann", "list.add", "allow_number +447700900123"},
		{"token:t1", "list.add", "Deny_Number +33612345678"},
	}
	for i, r := range rows {
		mr.SetTime(auditDay.Add(time.Duration(i) * time.Minute))
		if err := l.Record(t.Context(), r.actor, "192.0.2.10", r.action, r.target, nil, map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// targets lists the entries' targets.
func targets(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Target
	}
	return out
}

func TestListFilters(t *testing.T) {
	l := filled(t)
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything, newest first", Filter{}, []string{"Deny_Number +33612345678", "allow_number +447700900123", "settings", "deny_ip 192.0.2.1", "user carl", "deny_number +12015550166"}},
		{"actor", Filter{Actor: "bob"}, []string{"settings", "user carl"}},
		{"action prefix", Filter{Action: "list."}, []string{"Deny_Number +33612345678", "allow_number +447700900123", "deny_ip 192.0.2.1", "deny_number +12015550166"}},
		{"target, any case", Filter{Target: "deny_number"}, []string{"Deny_Number +33612345678", "deny_number +12015550166"}},
		{"from and to", Filter{From: auditDay.Add(time.Minute), To: auditDay.Add(3 * time.Minute)}, []string{"settings", "deny_ip 192.0.2.1", "user carl"}},
		{"together", Filter{Actor: "ann", Action: "list.add", To: auditDay.Add(2 * time.Minute)}, []string{"deny_number +12015550166"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := l.List(t.Context(), tt.f, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(targets(got), tt.want) {
				t.Errorf("got %q, want %q", targets(got), tt.want)
			}
			if next != "" {
				t.Errorf("next: got %q, want none", next)
			}
		})
	}
}

func TestListPages(t *testing.T) {
	l := filled(t)
	var pages [][]string
	before := ""
	for range 10 {
		es, next, err := l.List(t.Context(), Filter{Action: "list."}, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, targets(es))
		if next == "" {
			break
		}
		before = next
	}
	want := [][]string{
		{"Deny_Number +33612345678", "allow_number +447700900123", "deny_ip 192.0.2.1"},
		{"deny_number +12015550166"},
	}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages: got %q, want %q", pages, want)
	}
}

func TestGet(t *testing.T) {
	l := filled(t)
	es, _, err := l.List(t.Context(), Filter{Actor: "bob"}, "", 1)
	if err != nil || len(es) != 1 {
		t.Fatalf("List: got %v, %v", es, err)
	}
	got, err := l.Get(t.Context(), es[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != es[0].ID || got.Action != "settings.save" || string(got.After) != `{"n":3}` || got.Before != nil || !got.At.Equal(auditDay.Add(3*time.Minute)) {
		t.Errorf("got %+v, want the settings.save entry at 09:03 with after {\"n\":3}", got)
	}
	for _, id := range []string{"1-1", "x", "", "12-", "-3", "1-2-3"} {
		if _, err := l.Get(t.Context(), id); !errors.Is(err, ErrNoEntry) {
			t.Errorf("Get(%q): got %v, want ErrNoEntry", id, err)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"1700000000000-0": true, "1-12": true, "x": false, "1-x": false, "1": false, "": false,
		"+1-2": false, "1-+2": false, "1-2-3": false, "-1": false, "1-": false, " 1-2": false, strings.Repeat("1", 21) + "-0": false, strings.Repeat("0", 20) + "-0": true,
		strings.Repeat("0", 23) + "1-0": false} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q): got %v, want %v", id, got, want)
		}
	}
}
