//go:build e2e

package e2e

import (
	"context"
	"image/color"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
	"github.com/imgstream/imgstream/record"
)

// TestE2ERecorderLivePage: the live page of a recorder, in Chromium, shows
// the camera and "not recording"; its "record now" button starts an event,
// and the page says so, with the clip; the recorder's events reach the
// page through /api/events (Server-Sent Events): the last one is shown,
// and the motion badge between motion_start and motion_end.
func TestE2ERecorderLivePage(t *testing.T) {
	ctx := browser(t, 1000, 800)
	camera := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		jpg := testkit.SolidJPEG(64, 48, color.Gray{Y: 200})
		f := &record.Frame{Image: imageio.Image{Width: 64, Height: 48, Format: container.JPEG, Data: jpg}}
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
			}
			if err := emit(f); err != nil {
				return err
			}
		}
	})
	live := &mjpeg.Server{}
	dir := t.TempDir()
	events := &player.EventStream{}
	rec, err := record.New(record.Config{Source: camera, Mode: record.Events, Pre: time.Second, Post: time.Minute,
		Pattern: filepath.Join(dir, "%H%M%S.omv"), Live: live, Name: "camera",
		Notify: func(e record.Event) { events.Send(e.Camera, "", []byte(e.String())) }})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(rctx) }()
	defer func() { cancel(); <-done }()
	ts := httptest.NewServer(player.NewLive(live, "camera", player.Options{
		Trigger: func() { rec.Trigger("http") },
		Status:  func() any { return rec.Status() },
		Events:  events,
	}))
	defer func() {
		live.Close()   // ends the page's stream, which the server waits for
		events.Close() // and its event stream
		ts.Close()
	}()

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")))
	status := func(want string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.includes(`+"`"+want+"`"+`)`, chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err, "the status says %q", want)
	}
	status("not recording")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('view').naturalWidth === 64`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "the camera is on the page")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click("#trigger")))
	status("● recording")
	st := rec.Status()
	assert.True(t, st.Recording)
	assert.Equal(t, dir, filepath.Dir(st.Clip))

	poll := func(js, what string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err, what)
	}
	poll(`document.getElementById('lastevent').textContent.includes('clip_opened')`, "the clip's opening, from /api/events")
	poll(`document.getElementById('motion').hidden`, "no motion badge before motion")
	events.Send("camera", "", []byte(`{"event":"motion_start","camera":"camera","time":"2026-12-03T10:00:00Z","area":0.1}`))
	poll(`!document.getElementById('motion').hidden && document.getElementById('lastevent').textContent.includes('motion_start')`, "the motion badge on motion_start")
	events.Send("camera", "", []byte(`{"event":"motion_end","camera":"camera","time":"2026-12-03T10:00:05Z"}`))
	poll(`document.getElementById('motion').hidden`, "the badge gone on motion_end")
}
