package player_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/player"
)

// writeRecording writes a recording of n grey frames (the first elapsed
// 0, the others 40 ms apart) at path.
func writeRecording(t *testing.T, path string, n int) {
	t.Helper()
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	at := time.Now()
	for i := range n {
		img := &imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32)}
		img.Data[0] = byte(i)
		require.NoError(t, s.WriteAt(img, at.Add(time.Duration(i)*40*time.Millisecond)))
	}
	require.NoError(t, s.Close())
}

// virtualClock is an imageio.Clock whose Sleep returns at once, moving
// its time on: it adds up the waits a stream asks for.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// TestStreamOneFrame streams a one-frame recording from frame 0: each
// frame after the first waits at least imageio.MinFramePeriod on the
// player's clock (issue 17, item 1: ?from=0 waited nothing and sent
// 10 000 frames a second).
func TestStreamOneFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.omv")
	writeRecording(t, path, 1)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &virtualClock{now: start}
	p, err := player.NewFile(path, player.Options{Clock: clock})
	require.NoError(t, err)
	ts := serve(t, p)
	resp, err := http.Get(ts.URL + "/stream.mjpg?from=0&speed=4")
	require.NoError(t, err)
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	const frames = 50
	for range frames {
		part, err := mr.NextPart()
		require.NoError(t, err)
		io.Copy(io.Discard, part)
	}
	// The stream may be one frame ahead of the reader.
	assert.GreaterOrEqual(t, clock.Now().Sub(start), (frames-1)*imageio.MinFramePeriod)
}
