package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tollgate/tollgate/contactflows/connectevent"
	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/risk/mask"
)

// Keys and error codes of the answer the bridge gives Amazon Connect when it
// has no answer from Tollgate to pass on. A flow branches on
// $.External.result = "error" and may log $.External.error_code.
const (
	keyResult    = "result"
	keyErrorCode = "error_code"
	resultError  = "error"
)

// Error codes, letters and underscores only.
const (
	// codeBadEvent: the invocation payload is not a JSON object. Fields of
	// unexpected types are ignored one by one (connectevent.Decode), never
	// the whole event.
	codeBadEvent = "bad_event"
	// codeTimeout: Tollgate did not answer within TOLLGATE_TIMEOUT.
	codeTimeout = "timeout"
	// codeUnreachable: no connection to Tollgate, or it broke off.
	codeUnreachable = "unreachable"
	// codeUnauthorized: Tollgate refused the signature (401 or 403): the
	// secrets differ, or a clock is off by more than the allowed skew.
	codeUnauthorized = "unauthorized"
	// codeRejected: Tollgate refused the event with another 4xx status.
	codeRejected = "rejected"
	// codeServerError: Tollgate answered 5xx, or a status it never sends
	// here (redirects are not followed).
	codeServerError = "server_error"
	// codeBadAnswer: the answer is not a flat JSON object of strings, or
	// is maxAnswerBytes or more.
	codeBadAnswer = "bad_answer"
	// codeUnsafeAnswer: a key or value holds characters Amazon Connect
	// rejects.
	codeUnsafeAnswer = "unsafe_answer"
)

// maxAnswerBytes is Amazon Connect's limit on a Lambda's answer: "less than
// 32 Kb of UTF-8 data", read as 32 KiB. An answer of this many bytes or
// more, as Tollgate sent it, is refused whole, not trimmed: a trimmed
// answer could send the flow down a branch Tollgate did not choose. The
// runtime's encoding of an answer checkAnswer accepts is never longer.
const maxAnswerBytes = 32 << 10

// Bridge forwards Amazon Connect flow events to Tollgate and hands back its
// answer.
type Bridge struct {
	endpoint string
	secret   []byte
	timeout  time.Duration
	client   *http.Client
	log      *slog.Logger
	now      func() time.Time
}

// NewBridge returns a Bridge posting to cfg.Endpoint through client. A nil
// client gets one that does not follow redirects.
func NewBridge(cfg Config, client *http.Client, log *slog.Logger) *Bridge {
	if client == nil {
		client = newHTTPClient()
	}
	return &Bridge{
		endpoint: cfg.Endpoint, secret: cfg.Secret, timeout: cfg.Timeout,
		client: client, log: log, now: time.Now,
	}
}

// newHTTPClient returns the client the Lambda uses: no redirects, since a
// redirected POST would carry the signed body somewhere else.
func newHTTPClient() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Handle is the Lambda handler. It posts the invocation payload, byte for
// byte as Amazon Connect sent it, to Tollgate, signed with flowsig, and
// returns Tollgate's answer: a flat map of strings whose keys and values
// hold only letters, digits, '-' and '_'. On any failure it returns
// {"result": "error", "error_code": <code>} and logs the detail; it never
// returns a Go error, which would make Connect retry past its time limit.
//
// The payload is taken raw rather than as events.ConnectEvent so fields the
// Go type does not know (MediaStreams, SegmentAttributes, ...) reach Tollgate
// too, and the signature covers exactly what Connect sent.
func (b *Bridge) Handle(ctx context.Context, payload json.RawMessage) (events.ConnectResponse, error) {
	start := b.now()
	ev, ignored, err := connectevent.Decode(payload)
	if err != nil {
		b.log.LogAttrs(ctx, slog.LevelError, "invocation payload is not a Connect event",
			slog.String("error_code", codeBadEvent), slog.String("payload", snippet(payload)))
		return errorAnswer(codeBadEvent), nil
	}
	log := b.log.With("contact_id", ev.Details.ContactData.ContactID, "event", ev.Name)
	if ignored != "" {
		log.LogAttrs(ctx, slog.LevelWarn, "event fields of unexpected types ignored", slog.String("first", ignored))
	}

	answer, code, err := b.forward(ctx, payload)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "no answer from Tollgate",
			slog.String("error_code", code), slog.String("error", err.Error()),
			slog.Duration("elapsed", b.now().Sub(start)))
		return errorAnswer(code), nil
	}
	log.LogAttrs(ctx, slog.LevelInfo, "answered", slog.String("result", answer[keyResult]),
		slog.Duration("elapsed", b.now().Sub(start)))
	return answer, nil
}

// forward makes the signed request and checks the answer; on failure it
// returns the error code for Connect and the detail for the log.
func (b *Bridge) forward(ctx context.Context, body []byte) (events.ConnectResponse, string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, codeUnreachable, err
	}
	now := b.now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(flowsig.HeaderTimestamp, flowsig.Timestamp(now))
	req.Header.Set(flowsig.HeaderSignature, flowsig.Sign(b.secret, now, body))

	resp, err := b.client.Do(req)
	if err != nil {
		return nil, transportCode(ctx, err), err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return nil, transportCode(ctx, err), fmt.Errorf("reading the answer: %w", err)
	}
	if code := statusCode(resp.StatusCode); code != "" {
		return nil, code, fmt.Errorf("status %d: %s", resp.StatusCode, snippet(raw))
	}
	if len(raw) >= maxAnswerBytes {
		return nil, codeBadAnswer, fmt.Errorf("answer is %d bytes or more, Amazon Connect takes less", maxAnswerBytes)
	}
	var answer events.ConnectResponse
	if err := json.Unmarshal(raw, &answer); err != nil || answer == nil {
		return nil, codeBadAnswer, fmt.Errorf("answer is not a flat JSON object of strings: %v: %s", err, snippet(raw))
	}
	if err := checkAnswer(answer); err != nil {
		return nil, codeUnsafeAnswer, err
	}
	return answer, "", nil
}

// transportCode tells a timeout from other failures to reach Tollgate.
func transportCode(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return codeTimeout
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return codeTimeout
	}
	return codeUnreachable
}

// statusCode returns the error code for a status other than 2xx, or "".
func statusCode(status int) string {
	switch {
	case status >= 200 && status < 300:
		return ""
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return codeUnauthorized
	case status >= 400 && status < 500:
		return codeRejected
	default:
		return codeServerError
	}
}

// checkAnswer reports a key or value Amazon Connect would reject: its
// documented rule is values of only letters, digits, '-' and '_'; keys
// become contact attribute keys, which have the same rule and may not be
// empty. The answer is refused whole rather than cleaned, since a changed
// value could send the flow down a branch Tollgate did not choose.
func checkAnswer(answer events.ConnectResponse) error {
	for k, v := range answer {
		if k == "" || !safe(k) {
			return fmt.Errorf("answer key %q holds characters Amazon Connect rejects", k)
		}
		if !safe(v) {
			return fmt.Errorf("answer value of %q holds characters Amazon Connect rejects: %q", k, v)
		}
	}
	return nil
}

func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func errorAnswer(code string) events.ConnectResponse {
	return events.ConnectResponse{keyResult: resultError, keyErrorCode: code}
}

// snippet returns the start of a payload or an answer body for the log,
// with the phone numbers in it masked.
func snippet(b []byte) string {
	const max = 200
	if len(b) > 4*max {
		b = b[:4*max]
	}
	s := mask.In(string(bytes.ToValidUTF8(b, nil)))
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
