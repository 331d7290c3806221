package risk

import (
	"sync"
	"time"
)

// hotSources remembers, in this process, the sources a decision found past
// a critical per-source threshold (requests or distinct numbers from one
// address), for a minute after the last such decision. Their requests are
// refused by their own counts anyway, so they are treated as refused by
// their source before any counting (see beforeCounting): they take no
// number lock, reserve no budget and add nothing to the counters other
// visitors are judged by. Without it, a flood from one clean address past
// its own limits would still hold victims' locks and the day's budget for
// a moment per request. A source's own counters keep counting, so a
// source that stays hot stays remembered. Each instance learns on its
// own, after one decision.
type hotSources struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// maxHotSources bounds the memory: about 100 bytes an entry. When full,
// expired entries are dropped, and if none expired the new one is not
// remembered.
const maxHotSources = 100_000

// hotFor is how long a source stays remembered after its last critical
// decision.
const hotFor = time.Minute

// hotCodes are the per-source reasons that make a source hot.
var hotCodes = []string{CodeVelocityIPCritical, CodeNumbersPerIPCritical}

// mark remembers source until now+hotFor when d, the visitor's own view of
// a decision (Engine.shown), carries a hot code that counts.
func (h *hotSources) mark(source string, d *Decision, now time.Time) {
	hot := false
	for _, r := range d.Reasons {
		for _, c := range hotCodes {
			hot = hot || r.Code == c && !r.Waived && !r.Monitor && !r.Corroborating
		}
	}
	if !hot {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.until == nil {
		h.until = make(map[string]time.Time)
	}
	if _, known := h.until[source]; !known && len(h.until) >= maxHotSources {
		for s, t := range h.until {
			if !now.Before(t) {
				delete(h.until, s)
			}
		}
		if len(h.until) >= maxHotSources {
			return
		}
	}
	h.until[source] = now.Add(hotFor)
}

// hot reports whether source is remembered at now.
func (h *hotSources) hot(source string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.until[source]
	return ok && now.Before(t)
}
