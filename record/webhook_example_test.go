package record_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/imgstream/imgstream/record"
)

// A Webhook posts each event as JSON: here to a server in the example,
// which prints what it gets. Give w.Notify to Config.Notify to post a
// Recorder's events.
func ExampleWebhook() {
	got := make(chan string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer srv.Close()

	w := &record.Webhook{URL: srv.URL}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)

	at := time.Date(2026, 12, 2, 10, 2, 0, 0, time.UTC)
	w.Notify(record.Event{Kind: record.MotionStart, Camera: "door", Time: at, Start: at, Area: 0.125})
	fmt.Println(<-got)
	// Output:
	// {"event":"motion_start","camera":"door","time":"2026-12-02T10:02:00Z","start":"2026-12-02T10:02:00Z","area":0.125}
}

// Every event has a kind, the camera's name and the time; a JSON line of
// it is what `imgstream record --json` prints.
func ExampleEvent() {
	at := time.Date(2026, 12, 2, 10, 2, 0, 0, time.UTC)
	fmt.Println(record.Event{Kind: record.ClipOpened, Camera: "door", Time: at, Path: "clips/20261202-100155.omv", Start: at.Add(-5 * time.Second), Trigger: "motion"})
	// Output:
	// {"event":"clip_opened","camera":"door","time":"2026-12-02T10:02:00Z","path":"clips/20261202-100155.omv","start":"2026-12-02T10:01:55Z","trigger":"motion"}
}
