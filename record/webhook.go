package record

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Defaults of a Webhook, with their reasons.
const (
	// DefaultWebhookQueue is how many events wait for a Webhook's server
	// at most: minutes of a busy camera's events while the server is
	// away, a few hundred kilobytes.
	DefaultWebhookQueue = 256
	// DefaultWebhookAttempts is how many times an event is posted before
	// it is dropped: with the backoff, about a minute of a server away.
	DefaultWebhookAttempts = 6
	// DefaultWebhookTimeout bounds one POST, its answer included: a
	// server that hangs costs that, then a retry.
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultWebhookBackoff is the wait before the first retry, doubling
	// after each, up to DefaultWebhookMaxBackoff.
	DefaultWebhookBackoff    = time.Second
	DefaultWebhookMaxBackoff = 30 * time.Second
)

// ErrWebhook matches the error of a POST that failed: the server could
// not be reached, did not answer in time, or answered with a status that
// is not 2xx.
var ErrWebhook = errors.New("record: webhook")

// A Webhook posts Events as JSON to a URL: give its Notify to
// Config.Notify (or a Group's), and run Run. Notify never waits: it queues
// the event, up to Queue, and drops the newest beyond, counted in Stats
// and logged once per overflow. Run posts them in order, one at a time,
// each up to Attempts times with a backoff from Backoff doubling up to
// MaxBackoff; an event that fails them all is dropped, counted and
// logged. So a server that is slow, hangs or is gone never holds up a
// recording. Set the fields before Run; its methods are safe for
// concurrent use.
type Webhook struct {
	// URL is where the events are posted, as application/json, one
	// Event a request.
	URL string
	// Client posts them: an http.Client with Timeout when nil.
	Client *http.Client
	// Queue bounds the events waiting: DefaultWebhookQueue when 0.
	Queue int
	// Attempts is how many times an event is posted before it is
	// dropped: DefaultWebhookAttempts when 0.
	Attempts int
	// Timeout bounds a POST when Client is nil: DefaultWebhookTimeout
	// when 0.
	Timeout time.Duration
	// Backoff and MaxBackoff bound the waits between attempts:
	// DefaultWebhookBackoff and DefaultWebhookMaxBackoff when 0.
	Backoff, MaxBackoff time.Duration
	// Log, if not nil, logs the drops and the failures of the server,
	// once per outage.
	Log *log.Logger

	mu      sync.Mutex // guards the fields below
	queue   []Event
	stats   WebhookStats
	full    bool // the queue overflowed, logged; until it has room again
	failing bool // a failure was logged; until a POST succeeds
	wake    chan struct{}
}

// WebhookStats counts what a Webhook did.
type WebhookStats struct {
	Sent    uint64 // events the server took (a 2xx answer)
	Retries uint64 // POSTs that failed and were tried again
	Dropped uint64 // events dropped: the queue was full, or every attempt failed
	Queued  int    // events waiting now
}

// Notify queues e for Run; it never waits.
func (w *Webhook) Notify(e Event) {
	w.mu.Lock()
	w.init()
	logIt := false
	if len(w.queue) >= cmp.Or(w.Queue, DefaultWebhookQueue) {
		w.stats.Dropped++
		logIt, w.full = !w.full, true
	} else {
		e.Snapshot = nil // not in the JSON: not held either
		w.queue = append(w.queue, e)
		w.full = false
	}
	w.mu.Unlock()
	if logIt {
		w.logf("%d events wait for the server: the newest are dropped (counted; logged once until there is room)", cmp.Or(w.Queue, DefaultWebhookQueue))
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// init makes the wake channel; w.mu is held.
func (w *Webhook) init() {
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
	}
}

// Stats returns what w did so far.
func (w *Webhook) Stats() WebhookStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Queued = len(w.queue)
	return s
}

// logf logs with the URL, its password (if any) left out: logs are read
// by more people than the command line.
func (w *Webhook) logf(format string, args ...any) {
	if w.Log != nil {
		u := w.URL
		if p, err := url.Parse(u); err == nil {
			u = p.Redacted()
		}
		w.Log.Printf("webhook %s: "+format, append([]any{u}, args...)...)
	}
}

// Run posts the queued events until ctx is done, and returns ctx.Err().
// Events still queued then are not posted.
func (w *Webhook) Run(ctx context.Context) error {
	w.mu.Lock()
	w.init()
	wake := w.wake
	w.mu.Unlock()
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: cmp.Or(w.Timeout, DefaultWebhookTimeout)}
	}
	for {
		w.mu.Lock()
		var e Event
		n := len(w.queue)
		if n > 0 {
			e = w.queue[0]
		}
		w.mu.Unlock()
		if n == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wake:
				continue
			}
		}
		err := w.deliver(ctx, client, e)
		w.mu.Lock()
		w.queue = w.queue[1:]
		if err == nil {
			w.stats.Sent++
		} else if ctx.Err() == nil {
			w.stats.Dropped++
		}
		w.mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			w.logf("a %s event dropped after %d attempts: %v", e.Kind, cmp.Or(w.Attempts, DefaultWebhookAttempts), err)
		}
	}
}

// deliver posts e, trying again after a backoff, until it is taken,
// Attempts fail or ctx is done.
func (w *Webhook) deliver(ctx context.Context, client *http.Client, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	wait := cmp.Or(w.Backoff, DefaultWebhookBackoff)
	for attempt := 1; ; attempt++ {
		err = w.post(ctx, client, body)
		w.mu.Lock()
		recovered := err == nil && w.failing
		logIt := err != nil && !w.failing
		w.failing = err != nil
		if err != nil && attempt < cmp.Or(w.Attempts, DefaultWebhookAttempts) {
			w.stats.Retries++
		}
		w.mu.Unlock()
		switch {
		case recovered:
			w.logf("the server takes events again")
		case logIt && ctx.Err() == nil:
			w.logf("%v; trying again (logged once until it works)", err)
		}
		if err == nil || attempt >= cmp.Or(w.Attempts, DefaultWebhookAttempts) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, cmp.Or(w.MaxBackoff, DefaultWebhookMaxBackoff))
	}
}

// post posts body once.
func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWebhook, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: POST %s: %s", ErrWebhook, w.URL, resp.Status)
	}
	return nil
}
