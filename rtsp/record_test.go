package rtsp_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// TestRecord: a Recorder records an RTSP camera for 60 frames; the
// server dies after 20 and comes back: the recording goes on, with a
// Gap event, every frame decodes, and the recorded intervals are the
// camera's, 1/15 s (66 or 67 ms as the file stores them), but at the
// gap.
func TestRecord(t *testing.T) {
	cs := startServer(t, "")
	cs.publish(0, mjpegArgs...)
	cs.waitAnnounced()
	addr := cs.addr

	killed := make(chan struct{})
	n := 0
	src := &rtsp.Source{URL: cs.url(""), Timeout: 3 * time.Second}
	dying := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		return src.Run(ctx, func(f *record.Frame) error {
			if n++; n == 20 {
				cs.close() // the camera dies after this frame
				close(killed)
			}
			return emit(f)
		})
	})
	var (
		mu     sync.Mutex
		events []record.Event
	)
	path := filepath.Join(t.TempDir(), "cam.omv")
	rec, err := record.New(record.Config{
		Source: dying, Pattern: path, Frames: 60, MaxBackoff: 100 * time.Millisecond,
		Notify: func(e record.Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()

	<-killed
	cs = startServer(t, addr)
	cs.publish(0, mjpegArgs...)
	require.NoError(t, <-done)

	mu.Lock()
	var gaps int
	for _, e := range events {
		if e.Kind == record.Gap {
			gaps++
		}
	}
	mu.Unlock()
	assert.Equal(t, 1, gaps, "events: %v", events)

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err)
	var (
		frames int
		odd    []time.Duration
		buf    []byte
	)
	for {
		h, data, err := zr.ReadFrame(buf)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		buf = data[:0]
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err, "frame %d", frames)
		assert.Equal(t, 320, img.Bounds().Dx())
		if frames > 0 && h.Elapsed != 66*time.Millisecond && h.Elapsed != 67*time.Millisecond {
			odd = append(odd, h.Elapsed)
		}
		frames++
	}
	assert.Equal(t, 60, frames)
	assert.Len(t, odd, 1, "intervals other than 1/15 s: %v (one is the gap)", odd)
}
