package spike

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// WebhookOptions configure Webhooks.
type WebhookOptions struct {
	// URLs receive every alert as a JSON POST.
	URLs []string
	// Client sends them; nil is a client with Timeout.
	Client *http.Client
	// Timeout bounds one delivery attempt; 5s.
	Timeout time.Duration
	// Attempts is how many times a delivery is tried; 4.
	Attempts int
	// Backoff is the wait before the first retry, doubled for each later
	// one; 1s.
	Backoff time.Duration
	// Queue is how many alerts may wait for delivery; more are dropped
	// and logged; 100.
	Queue int
	// Logger receives a line per failed delivery; nil discards.
	Logger *slog.Logger
}

// Webhooks posts alerts to URLs from a goroutine of their own, so an
// endpoint that is slow or down never holds up detection, let alone
// decisions.
type Webhooks struct {
	o    WebhookOptions
	log  *slog.Logger
	jobs chan Alert
	wg   sync.WaitGroup
}

// Payload is the JSON body a webhook receives: Slack-compatible through
// its top-level text, and the alert's fields for machines.
type Payload struct {
	// Text is the alert in one line.
	Text string `json:"text"`
	// Alert is the alert.
	Alert Alert `json:"alert"`
}

// NewWebhooks returns Webhooks for o; Start runs its sender.
func NewWebhooks(o WebhookOptions) *Webhooks {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Queue <= 0 {
		o.Queue = 100
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	client := *o.Client
	client.CheckRedirect = refuseRedirect
	o.Client = &client
	w := &Webhooks{o: o, log: o.Logger, jobs: make(chan Alert, o.Queue)}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w
}

// Notify queues a for delivery to every URL; with the queue full, a is
// dropped and logged.
func (w *Webhooks) Notify(a Alert) {
	if len(w.o.URLs) == 0 {
		return
	}
	select {
	case w.jobs <- a:
	default:
		w.log.Error("alert webhook queue full; alert not sent", slog.String("alert", a.ID))
	}
}

// Run delivers queued alerts until ctx ends, then returns once the
// deliveries in progress ended.
func (w *Webhooks) Run(ctx context.Context) {
	defer w.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-w.jobs:
			for _, u := range w.o.URLs {
				w.wg.Add(1)
				go func() {
					defer w.wg.Done()
					w.send(ctx, u, a)
				}()
			}
		}
	}
}

// send delivers a to target and logs a failure, naming the URL by its
// scheme and host only.
func (w *Webhooks) send(ctx context.Context, target string, a Alert) {
	if err := w.Deliver(ctx, target, a); err != nil {
		w.log.Error("alert webhook failed", slog.String("alert", a.ID), slog.String("url", redact(target)), slog.Any("err", err))
	}
}

// Deliver posts a to target, retrying a network error, a 429 or a 5xx with
// backoff, up to Attempts tries.
func (w *Webhooks) Deliver(ctx context.Context, target string, a Alert) error {
	body, err := json.Marshal(Payload{Text: a.Text(), Alert: a})
	if err != nil {
		return err
	}
	wait := w.o.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, target, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= w.o.Attempts {
			return fmt.Errorf("after %d attempts: %w", attempt, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// post makes one attempt; retry says whether another may succeed.
func (w *Webhooks) post(ctx context.Context, target string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, withoutURL(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tollgate-Alerts/1")
	resp, err := w.o.Client.Do(req)
	if err != nil {
		return true, withoutURL(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode < 400:
		return false, fmt.Errorf("answered %s; redirects are not followed", resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("answered %s", resp.Status)
	}
	return false, fmt.Errorf("answered %s", resp.Status)
}

// refuseRedirect keeps a webhook where it was configured: a redirect is
// answered to the sender as is, never followed, so an https URL cannot
// bounce an alert to http or to another host.
func refuseRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// withoutURL drops the URL go's *url.Error carries, keeping the operation
// and the cause: a webhook's URL often holds its secret.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// redact keeps a URL's scheme and host: webhook paths often hold secrets.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unreadable URL)"
	}
	return p.Scheme + "://" + p.Host + "/…"
}
