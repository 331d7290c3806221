package contactflows

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

func testChallengeConcurrentVerifies(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	wrong, right := issue(t, c, "ivr-uk", "c1"), issue(t, c, "ivr-uk", "c2")
	results := func(ch Challenge, digits string) map[VerifyResult]int {
		var mu sync.Mutex
		got := make(map[VerifyResult]int)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				v, err := c.Verify(t.Context(), ch.ID, ch.ContactID, digits)
				if err != nil {
					t.Errorf("Verify: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				got[v.Result]++
			})
		}
		wg.Wait()
		return got
	}
	if got := results(wrong, wrongCode(wrong.Code)); got[VerifyRetry] != 2 || got[VerifyFail] != 18 {
		t.Errorf("20 concurrent wrong codes: got %v, want 2 retry and 18 fail", got)
	}
	if got := results(right, right.Code); got[VerifyPass] != 1 {
		t.Errorf("20 concurrent right codes: got %v, want exactly 1 pass", got)
	}
	stats, err := c.Stats(t.Context(), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := stats["ivr-uk"][StatFailed], int64(1); got != want {
		t.Errorf("failed counted: got %d, want %d", got, want)
	}
	if got, want := stats["ivr-uk"][StatPassed], int64(1); got != want {
		t.Errorf("passed counted: got %d, want %d", got, want)
	}
}

func testChallengeKeysExpire(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{TTL: time.Minute})
	ch := issue(t, c, "ivr-uk", "c1")
	verify(t, c, ch, ch.Code, VerifyPass, 2)
	if err := c.Count(t.Context(), "ivr-uk", "screened"); err != nil {
		t.Fatal(err)
	}
	keys := redistest.Keys(t, e.rdb)
	prefixes := map[string]bool{"tg:{challenge:": false, "tg:{contact:": false, "tg:{stats}:d": false}
	for _, k := range keys {
		for p := range prefixes {
			if strings.HasPrefix(k, p) {
				prefixes[p] = true
			}
		}
		ttl, err := e.rdb.PTTL(t.Context(), k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("PTTL %s: got %v, %v; want an expiry", k, ttl, err)
		}
	}
	for p, seen := range prefixes {
		if !seen {
			t.Errorf("keys %v: got none starting %q, want one", keys, p)
		}
	}
	if got, want := len(keys), 3; got != want {
		t.Errorf("keys: got %d (%v), want %d", got, keys, want)
	}
}

func TestNewChallengesValidates(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { rdb.Close() })
	tests := []struct {
		name string
		o    ChallengeOptions
		want string // in the error; empty for none
	}{
		{"defaults", ChallengeOptions{Redis: rdb}, ""},
		{"no redis", ChallengeOptions{}, "Redis is required"},
		{"short code", ChallengeOptions{Redis: rdb, CodeLength: 2}, "CodeLength must be 3 to 8 digits, got 2"},
		{"long code", ChallengeOptions{Redis: rdb, CodeLength: 9}, "CodeLength must be 3 to 8 digits, got 9"},
		{"eight digits", ChallengeOptions{Redis: rdb, CodeLength: 8}, ""},
		{"short ttl", ChallengeOptions{Redis: rdb, TTL: time.Millisecond}, "TTL must be at least 1s"},
		{"negative attempts", ChallengeOptions{Redis: rdb, MaxAttempts: -1}, "MaxAttempts must be at least 1"},
		{"negative issues", ChallengeOptions{Redis: rdb, MaxIssuesPerContact: -2}, "MaxIssuesPerContact must be at least 1"},
	}
	for _, tt := range tests {
		c, err := NewChallenges(tt.o)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
		if tt.want == "" && err == nil {
			if tt.o.CodeLength == 0 && (c.o.CodeLength != 4 || c.o.TTL != 5*time.Minute || c.o.MaxAttempts != 3 || c.o.MaxIssuesPerContact != 3) {
				t.Errorf("%s: got %+v, want the defaults 4 digits, 5m, 3 attempts, 3 issues", tt.name, c.o)
			}
		}
	}
}
