package player_test

import (
	"context"
	"image/color"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
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

// TestHostCheck: without credentials, a player (a recording's, a
// folder's, a live one with a trigger) answers only loopback Hosts, so a
// page that rebinds its name to 127.0.0.1 reads nothing and triggers
// nothing; with credentials, or a name in Options.Hosts, the Host is free
// (issue 17, item 11: every Host was served).
func TestHostCheck(t *testing.T) {
	var srv mjpeg.Server
	defer srv.Close()
	require.NoError(t, srv.Publish(testkit.SolidJPEG(8, 8, color.Black)))
	var triggers atomic.Int32
	live := httptest.NewServer(player.NewLive(&srv, "camera", player.Options{Trigger: func() { triggers.Add(1) }}))
	defer live.Close()
	file, err := player.NewFile(sample, player.Options{})
	require.NoError(t, err)
	dir, err := player.NewDir(filepath.Dir(sample), player.Options{})
	require.NoError(t, err)
	named, err := player.NewFile(sample, player.Options{Hosts: []string{"Camera.LAN"}})
	require.NoError(t, err)
	withToken, err := player.NewFile(sample, player.Options{Token: "s3cret"})
	require.NoError(t, err)
	do := func(method, url, host string) int {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, ts := range []*httptest.Server{serve(t, file), serve(t, dir), live} {
		for _, host := range []string{"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example", "10.0.0.1:80", "[::2]:80"} {
			assert.Equal(t, http.StatusForbidden, do("GET", ts.URL+"/api/info", host), host)
			assert.Equal(t, http.StatusForbidden, do("GET", ts.URL+"/", host), host)
		}
		for _, host := range []string{"localhost", "LocalHost.:8080", "127.0.0.1", "127.1.2.3:99", "[::1]:8080", "[::ffff:127.0.0.1]", ts.Listener.Addr().String()} {
			assert.Equal(t, http.StatusOK, do("GET", ts.URL+"/", host), host)
		}
	}
	assert.Equal(t, http.StatusForbidden, do("GET", live.URL+"/stream.mjpg", "evil.example"))
	assert.Equal(t, http.StatusForbidden, do("POST", live.URL+"/trigger", "evil.example"))
	assert.Zero(t, triggers.Load(), "no trigger through a rebound name")
	assert.Equal(t, http.StatusNoContent, do("POST", live.URL+"/trigger", "localhost"))

	ts := serve(t, named)
	assert.Equal(t, http.StatusOK, do("GET", ts.URL+"/api/info", "camera.lan:8080"))
	assert.Equal(t, http.StatusForbidden, do("GET", ts.URL+"/api/info", "evil.example"))
	ts = serve(t, withToken)
	assert.Equal(t, http.StatusOK, do("GET", ts.URL+"/api/info?token=s3cret", "evil.example"), "credentials guard it")
	assert.Equal(t, http.StatusUnauthorized, do("GET", ts.URL+"/api/info", "evil.example"))
}
