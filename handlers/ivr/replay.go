package ivr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/contactflows/flowsig"
	"github.com/tollgate/tollgate/handlers/respond"
)

// How long a signed request's answer is kept to answer its replays.
const (
	// connectReplayTTL covers every time a Connect request's timestamp is
	// accepted: DefaultMaxSkew either way of the clock.
	connectReplayTTL = 2 * flowsig.DefaultMaxSkew
	// twilioReplayTTL covers a Twilio call of the default longest
	// duration, four hours. Twilio's signature carries no time, so a
	// request replayed later is answered afresh.
	twilioReplayTTL = 4 * time.Hour
)

// requestDigest is the hex SHA-256 of parts, each ended by a NUL byte, so
// no two lists of parts spell the same digest input.
func requestDigest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// answerRecorder passes a response on and keeps a copy of its body.
type answerRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *answerRecorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// answerOnce answers the signed request whose digest is digest with
// answer the first time, and every replay of it within ttl with what the
// first got, so a replay has no effect of its own: no second screening,
// code or failed attempt. A replay that arrives while the first is still
// being answered is refused as unavailable. An answer other than 200 is
// not kept, so the request is answered afresh when it comes again. When
// the store fails, every request is answered afresh, as without the guard.
func (s *Handlers) answerOnce(c echo.Context, digest string, ttl time.Duration, answer func() error) error {
	ctx := c.Request().Context()
	bctx, cancel := s.Budget.Bound(ctx)
	first, kept, err := s.Challenges.Claim(bctx, digest, ttl)
	cancel()
	switch {
	case err != nil:
		s.log.LogAttrs(ctx, slog.LevelWarn, "signed request not checked for a replay", slog.Any("err", err))
		return answer()
	case !first && kept == nil:
		return &respond.Error{Code: respond.CodeUnavailable, Message: "The same request is being answered.", Err: errors.New("replay while the first request is being answered")}
	case !first:
		contentType, body, _ := bytes.Cut(kept, []byte{'\n'})
		s.log.LogAttrs(ctx, slog.LevelInfo, "replayed signed request answered as before", slog.String("path", c.Path()))
		return c.Blob(http.StatusOK, string(contentType), body)
	}
	rec := &answerRecorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	err = answer()
	c.Response().Writer = rec.ResponseWriter
	// The claim is settled on its own budget: the request's may be spent.
	sctx, cancel := s.Budget.Bound(context.WithoutCancel(ctx))
	defer cancel()
	if err == nil && c.Response().Status == http.StatusOK && rec.body.Len() > 0 {
		kept := append([]byte(c.Response().Header().Get(echo.HeaderContentType)+"\n"), rec.body.Bytes()...)
		if kerr := s.Challenges.Keep(sctx, digest, kept); kerr != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "answer not kept for replays", slog.Any("err", kerr))
		}
		return nil
	}
	if rerr := s.Challenges.Release(sctx, digest); rerr != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "request claim not released", slog.Any("err", rerr))
	}
	return err
}

// TwilioOnce answers a signed Twilio webhook once, by answerOnce. The
// digest is the public URL (with the query that names the challenge and
// the step) and the signature itself, which stands for everything Twilio
// signed: its form parameters run together, name then value, so
// "Digits=0000" and "Digits0=000" carry the same signature and must count
// as one request, not two. It runs after RequireTwilioSignature.
func (s *Handlers) TwilioOnce(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Challenges == nil {
			return next(c)
		}
		r := c.Request()
		digest := requestDigest("twilio", s.PublicURL+r.URL.RequestURI(), r.Header.Get("X-Twilio-Signature"))
		return s.answerOnce(c, digest, twilioReplayTTL, func() error { return next(c) })
	}
}
