package record_test

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
)

// eventually waits for cond, generously: the machine may be slow.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runWebhook(t *testing.T, w *record.Webhook) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestWebhookRetries: a server that fails three times, then takes the
// events, gets them all, in order, as JSON, each once.
func TestWebhookRetries(t *testing.T) {
	var mu sync.Mutex
	var got []record.Event
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 3 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
			return
		}
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var e record.Event
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&e))
		got = append(got, e)
	}))
	defer srv.Close()
	var logged lockedBuffer
	w := &record.Webhook{URL: srv.URL, Backoff: time.Millisecond, Log: log.New(&logged, "", 0)}
	runWebhook(t, w)
	w.Notify(record.Event{Kind: record.MotionStart, Camera: "door", Area: 0.25, Snapshot: []byte{0xff, 0xd8}})
	w.Notify(record.Event{Kind: record.ClipOpened, Camera: "door", Path: "a.omv"})
	w.Notify(record.Event{Kind: record.MotionEnd, Camera: "door"})
	eventually(t, func() bool { return w.Stats().Sent == 3 }, "three events sent")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 3)
	assert.Equal(t, []record.Kind{record.MotionStart, record.ClipOpened, record.MotionEnd}, kinds(got))
	assert.Equal(t, 0.25, got[0].Area)
	assert.Equal(t, "door", got[0].Camera)
	assert.Nil(t, got[0].Snapshot)
	st := w.Stats()
	assert.EqualValues(t, 3, st.Retries)
	assert.Zero(t, st.Dropped)
	assert.Equal(t, 1, strings.Count(logged.String(), "503"), "the outage is logged once: %s", logged.String())
	assert.Contains(t, logged.String(), "takes events again")
}

// TestWebhookHangs: a server that never answers costs each POST its
// timeout; Notify never waits; past Queue events are dropped at once,
// and those queued after their attempts; all counted.
func TestWebhookHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	w := &record.Webhook{URL: srv.URL, Timeout: 20 * time.Millisecond, Attempts: 2, Backoff: time.Millisecond, Queue: 2}
	for range 5 {
		w.Notify(record.Event{Kind: record.Synced}) // returns at once: nothing runs yet
	}
	assert.EqualValues(t, 3, w.Stats().Dropped, "past Queue, dropped at once")
	runWebhook(t, w)
	eventually(t, func() bool { return w.Stats().Dropped == 5 }, "the queued events dropped after their attempts")
	st := w.Stats()
	assert.Zero(t, st.Sent)
	assert.EqualValues(t, 2, st.Retries, "one retry each")
	assert.Zero(t, st.Queued)
}

// TestWebhookGone: a server that is gone (connection refused) is tried
// Attempts times, then the event is dropped, logged with why, and
// without the password of its URL.
func TestWebhookGone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := strings.Replace(srv.URL, "://", "://hook:s3cret@", 1)
	srv.Close()
	var logged lockedBuffer
	w := &record.Webhook{URL: url, Attempts: 3, Backoff: time.Millisecond, Log: log.New(&logged, "", 0)}
	runWebhook(t, w)
	w.Notify(record.Event{Kind: record.CameraDown})
	eventually(t, func() bool { return w.Stats().Dropped == 1 }, "the event dropped")
	assert.EqualValues(t, 2, w.Stats().Retries)
	assert.Contains(t, logged.String(), "connection refused")
	assert.Contains(t, logged.String(), "camera_down event dropped after 3 attempts")
	assert.NotContains(t, logged.String(), "s3cret")
	assert.Contains(t, logged.String(), "hook:xxxxx@")
}
