package contactflows

import (
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk/redistest"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// challengeEnv is one test's Redis and clock.
type challengeEnv struct {
	rdb   redis.UniversalClient
	clock *testClock
}

// challenges returns Challenges on the env's Redis and clock with o's
// other settings.
func (e *challengeEnv) challenges(t *testing.T, o ChallengeOptions) *Challenges {
	t.Helper()
	o.Redis, o.Now = e.rdb, e.clock.Now
	c, err := NewChallenges(o)
	if err != nil {
		t.Fatalf("NewChallenges: %v", err)
	}
	return c
}

// challengeSuite is every test of Challenges that needs Redis.
var challengeSuite = []struct {
	name string
	run  func(t *testing.T, e *challengeEnv)
}{
	{"PassFirstTime", testChallengePassFirstTime},
	{"PassSecondTry", testChallengePassSecondTry},
	{"FailAfterLimit", testChallengeFailAfterLimit},
	{"Expired", testChallengeExpired},
	{"ReplayAfterPass", testChallengeReplayAfterPass},
	{"Unknown", testChallengeUnknown},
	{"OtherContact", testChallengeOtherContact},
	{"NonDigitsUseAnAttempt", testChallengeNonDigits},
	{"TooManyIssues", testChallengeTooManyIssues},
	{"Stats", testChallengeStats},
	{"ConcurrentVerifies", testChallengeConcurrentVerifies},
	{"EveryKeyExpires", testChallengeKeysExpire},
	{"Replays", testChallengeReplays},
}

func TestChallenges(t *testing.T) {
	for _, b := range redistest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			rdb := b.Start(t)
			for _, tt := range challengeSuite {
				t.Run(tt.name, func(t *testing.T) {
					redistest.Flush(t, rdb)
					tt.run(t, &challengeEnv{rdb: rdb, clock: &testClock{now: time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)}})
				})
			}
		})
	}
}

// issue issues a challenge or ends the test.
func issue(t *testing.T, c *Challenges, flow, contact string) Challenge {
	t.Helper()
	ch, err := c.Issue(t.Context(), flow, contact)
	if err != nil {
		t.Fatalf("Issue(%q, %q): %v", flow, contact, err)
	}
	return ch
}

// verify verifies digits keyed in ch's own contact and checks the result
// and attempts left.
func verify(t *testing.T, c *Challenges, ch Challenge, digits string, want VerifyResult, wantLeft int) Verification {
	t.Helper()
	v, err := c.Verify(t.Context(), ch.ID, ch.ContactID, digits)
	if err != nil {
		t.Fatalf("Verify(%q): %v", digits, err)
	}
	if v.Result != want || v.AttemptsLeft != wantLeft {
		t.Fatalf("Verify(%q): got %s with %d left, want %s with %d left", digits, v.Result, v.AttemptsLeft, want, wantLeft)
	}
	return v
}

// wrongCode returns a code of code's length that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func testChallengePassFirstTime(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ch := issue(t, c, "ivr-uk", "contact-1")
	if len(ch.Code) != 4 || strings.Trim(ch.Code, "0123456789") != "" {
		t.Errorf("Code: got %q, want 4 digits", ch.Code)
	}
	if len(ch.ID) < 22 {
		t.Errorf("ID: got %q, want at least 22 characters", ch.ID)
	}
	if got, want := ch.Attempts, 3; got != want {
		t.Errorf("Attempts: got %d, want %d", got, want)
	}
	if got, want := ch.ExpiresAt, e.clock.Now().Add(5*time.Minute); !got.Equal(want) {
		t.Errorf("ExpiresAt: got %v, want %v", got, want)
	}
	v := verify(t, c, ch, ch.Code, VerifyPass, 2)
	if v.Flow != "ivr-uk" || v.ContactID != "contact-1" {
		t.Errorf("Verification flow and contact: got %q, %q; want %q, %q", v.Flow, v.ContactID, "ivr-uk", "contact-1")
	}
}

func testChallengePassSecondTry(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ch := issue(t, c, "ivr-uk", "contact-1")
	verify(t, c, ch, wrongCode(ch.Code), VerifyRetry, 2)
	verify(t, c, ch, ch.Code, VerifyPass, 1)
}

func testChallengeFailAfterLimit(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ch := issue(t, c, "ivr-uk", "contact-1")
	verify(t, c, ch, wrongCode(ch.Code), VerifyRetry, 2)
	verify(t, c, ch, wrongCode(ch.Code), VerifyRetry, 1)
	if v := verify(t, c, ch, wrongCode(ch.Code), VerifyFail, 0); !v.Ended {
		t.Error("the Verify that used the last attempt: got Ended false, want true")
	}
	if v := verify(t, c, ch, ch.Code, VerifyFail, 0); v.Ended {
		t.Error("a Verify of a failed challenge: got Ended true, want false")
	}
}

func testChallengeExpired(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{TTL: time.Minute})
	early, late := issue(t, c, "ivr-uk", "contact-1"), issue(t, c, "ivr-uk", "contact-2")
	e.clock.Advance(time.Minute - time.Millisecond)
	verify(t, c, early, early.Code, VerifyPass, 2)
	e.clock.Advance(time.Millisecond)
	verify(t, c, late, late.Code, VerifyExpired, 0)
	v := verify(t, c, late, late.Code, VerifyExpired, 0)
	if v.ContactID != "contact-2" {
		t.Errorf("ContactID of an expired challenge: got %q, want %q", v.ContactID, "contact-2")
	}
	verify(t, c, early, early.Code, VerifySpent, 0)
}

func testChallengeReplayAfterPass(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ch := issue(t, c, "ivr-uk", "contact-1")
	verify(t, c, ch, ch.Code, VerifyPass, 2)
	verify(t, c, ch, ch.Code, VerifySpent, 0)
	verify(t, c, ch, wrongCode(ch.Code), VerifySpent, 0)
	verify(t, c, ch, ch.Code, VerifySpent, 0)
}

func testChallengeUnknown(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ch := issue(t, c, "ivr-uk", "contact-1")
	for _, id := range []string{"", "no-such-id", ch.ID + "x", "}", strings.Repeat("a", 65)} {
		v := verify(t, c, Challenge{ID: id, ContactID: ch.ContactID}, ch.Code, VerifyUnknown, 0)
		if v.Flow != "" || v.ContactID != "" {
			t.Errorf("Verify(%q): got flow %q and contact %q, want none", id, v.Flow, v.ContactID)
		}
	}
	verify(t, c, ch, ch.Code, VerifyPass, 2)
}

// testChallengeOtherContact keys a code, right or wrong, in contacts other
// than its own: each is unknown, tells nothing of the challenge and costs
// it no attempt, whatever its state.
func testChallengeOtherContact(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{MaxAttempts: 1})
	ch := issue(t, c, "ivr-uk", "contact-1")
	for _, other := range []string{"contact-2", "", "contact-1 ", "CONTACT-1"} {
		for _, digits := range []string{ch.Code, wrongCode(ch.Code)} {
			v := verify(t, c, Challenge{ID: ch.ID, ContactID: other}, digits, VerifyUnknown, 0)
			if v.Flow != "" || v.ContactID != "" {
				t.Errorf("Verify in contact %q: got flow %q and contact %q, want none", other, v.Flow, v.ContactID)
			}
		}
	}
	verify(t, c, ch, ch.Code, VerifyPass, 0)
	verify(t, c, Challenge{ID: ch.ID, ContactID: "contact-2"}, ch.Code, VerifyUnknown, 0)
	verify(t, c, ch, ch.Code, VerifySpent, 0)
}

func testChallengeNonDigits(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{MaxAttempts: 4})
	ch := issue(t, c, "ivr-uk", "contact-1")
	verify(t, c, ch, ch.Code[:2]+"*"+ch.Code[3:], VerifyRetry, 3)
	verify(t, c, ch, "", VerifyRetry, 2)
	verify(t, c, ch, ch.Code+"#"+ch.Code, VerifyRetry, 1)
	spaced := strings.Join(strings.Split(ch.Code, ""), " ") + "#"
	verify(t, c, ch, spaced, VerifyPass, 0)
}

func testChallengeTooManyIssues(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{TTL: time.Minute, MaxIssuesPerContact: 2})
	first := issue(t, c, "ivr-uk", "contact-1")
	e.clock.Advance(30 * time.Second)
	issue(t, c, "ivr-uk", "contact-1")
	if _, err := c.Issue(t.Context(), "ivr-uk", "contact-1"); !errors.Is(err, ErrTooManyChallenges) {
		t.Fatalf("third Issue: got %v, want ErrTooManyChallenges", err)
	}
	issue(t, c, "ivr-uk", "contact-2")
	issue(t, c, "ivr-us", "contact-1")
	// The flow's length in the key keeps "ivr-uk:contact-1" apart from
	// flow "ivr-uk:contact" and contact "1" and the like.
	issue(t, c, "ivr-uk:contact", "1")
	issue(t, c, "ivr", "uk:contact-1")
	verify(t, c, first, first.Code, VerifyPass, 2)

	e.clock.Advance(30*time.Second - time.Millisecond)
	if _, err := c.Issue(t.Context(), "ivr-uk", "contact-1"); !errors.Is(err, ErrTooManyChallenges) {
		t.Fatalf("Issue just before the window ends: got %v, want ErrTooManyChallenges", err)
	}
	e.clock.Advance(time.Millisecond)
	issue(t, c, "ivr-uk", "contact-1")
}

func testChallengeStats(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{TTL: time.Minute, MaxAttempts: 1})
	ctx := t.Context()
	today := e.clock.Now()
	pass, fail, expire := issue(t, c, "ivr-uk", "c1"), issue(t, c, "ivr-uk", "c2"), issue(t, c, "ivr-uk", "c3")
	issue(t, c, "ivr-us", "c1")
	verify(t, c, pass, pass.Code, VerifyPass, 0)
	verify(t, c, pass, pass.Code, VerifySpent, 0)
	verify(t, c, fail, wrongCode(fail.Code), VerifyFail, 0)
	verify(t, c, fail, fail.Code, VerifyFail, 0)
	for _, ev := range []string{"screened", "screened", "blocked"} {
		if err := c.Count(ctx, "ivr-us", ev); err != nil {
			t.Fatalf("Count(%q): %v", ev, err)
		}
	}
	if err := c.Count(ctx, "ivr-us", "a|b"); err == nil {
		t.Error("Count of an event with '|': got nil error, want one")
	}
	e.clock.Advance(time.Minute)
	verify(t, c, expire, expire.Code, VerifyExpired, 0)
	verify(t, c, expire, expire.Code, VerifyExpired, 0)

	got, err := c.Stats(ctx, today)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	want := map[string]map[string]int64{
		"ivr-uk": {StatIssued: 3, StatPassed: 1, StatFailed: 1, StatExpired: 1},
		"ivr-us": {StatIssued: 1, "screened": 2, "blocked": 1},
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("Stats: got %v, want %v", got, want)
	}
	if got, err := c.Stats(ctx, today.AddDate(0, 0, 1)); err != nil || len(got) != 0 {
		t.Errorf("Stats of the next day: got %v, %v; want none", got, err)
	}
	ttl, err := e.rdb.TTL(ctx, statsKey(today)).Result()
	if err != nil || ttl < 39*24*time.Hour || ttl > 40*24*time.Hour {
		t.Errorf("TTL of %s: got %v, %v; want about 40 days", statsKey(today), ttl, err)
	}
}

// testChallengeReplays claims a request's digest: the first claim answers,
// a second waits while nothing is kept, then gets what was kept; a
// released claim is first again; every claim expires.
func testChallengeReplays(t *testing.T, e *challengeEnv) {
	c := e.challenges(t, ChallengeOptions{})
	ctx := t.Context()
	claim := func(digest string, wantFirst bool, wantAnswer string) {
		t.Helper()
		first, answer, err := c.Claim(ctx, digest, time.Minute)
		if err != nil || first != wantFirst || string(answer) != wantAnswer {
			t.Fatalf("Claim(%s): got %v, %q, %v; want %v, %q, nil", digest, first, answer, err, wantFirst, wantAnswer)
		}
	}
	claim("d1", true, "")
	claim("d1", false, "")
	if err := c.Keep(ctx, "d1", []byte("text/xml\n<Response/>")); err != nil {
		t.Fatal(err)
	}
	claim("d1", false, "text/xml\n<Response/>")
	claim("d2", true, "")
	if err := c.Release(ctx, "d2"); err != nil {
		t.Fatal(err)
	}
	claim("d2", true, "")
	if err := c.Keep(ctx, "never-claimed", []byte("x")); err != nil {
		t.Fatalf("Keep of no claim: got %v, want nil", err)
	}
	for _, k := range redistest.Keys(t, e.rdb) {
		if !strings.HasPrefix(k, "tg:{replay:") {
			continue
		}
		if k == replayKey("never-claimed") {
			t.Errorf("Keep of no claim stored %s", k)
		}
		if ttl := e.rdb.PTTL(ctx, k).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("%s expires in %v, want within a minute", k, ttl)
		}
	}
}
