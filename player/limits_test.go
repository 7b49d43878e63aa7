package player_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
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

// writeBurst writes a recording of n grey frames all recorded at the same
// time (every elapsed 0) at path.
func writeBurst(t *testing.T, path string, n int) {
	t.Helper()
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	at := time.Now()
	for i := range n {
		img := &imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32)}
		img.Data[0] = byte(i)
		require.NoError(t, s.WriteAt(img, at))
	}
	require.NoError(t, s.Close())
}

// TestStreamOneFrame streams a one-frame recording, and one of five frames
// recorded at once, from frame 0, round and round: each round of the loop
// takes at least imageio.MinLoopPeriod on the player's clock, so a viewer
// gets at most 1s/MinLoopPeriod rounds a virtual second (issue 17, item 1:
// ?from=0 waited nothing and sent 10 000 frames a second; then, with only
// imageio.MinFramePeriod, 1000).
func TestStreamOneFrame(t *testing.T) {
	for _, n := range []int{1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "one.omv")
			writeBurst(t, path, n)
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
			// Frame k starts round k/n, no sooner than k/n rounds after the
			// first; the stream may be a frame ahead of the reader.
			rounds := (frames - 1) / n
			assert.GreaterOrEqual(t, clock.Now().Sub(start), time.Duration(rounds)*imageio.MinLoopPeriod)
		})
	}
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

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd to count open files in")
	}
	return len(fds)
}

// TestDirOpenOnDemand: a folder's player keeps no recording open until a
// request needs it, and then at most MaxOpenRecordings, however many it
// lists (issue 17, item 10: one file open per recording, so past the fd
// limit serve DIR accepted no connection).
func TestDirOpenOnDemand(t *testing.T) {
	dir := t.TempDir()
	n := 3*player.MaxOpenRecordings + 2
	for i := range n {
		writeRecording(t, filepath.Join(dir, fmt.Sprintf("clip%02d.omv", i)), 3)
	}
	before := openFDs(t)
	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	assert.LessOrEqual(t, openFDs(t), before+1, "the folder alone is open")
	ts := serve(t, p)
	resp, _ := get(t, ts.URL+"/api/recordings")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	serving := openFDs(t) // the listener and the kept-alive connection too
	for i := range n {
		resp, body := get(t, fmt.Sprintf("%s/r/%d/frame/2.png", ts.URL, i))
		require.Equal(t, http.StatusOK, resp.StatusCode, "%d: %s", i, body)
		assert.LessOrEqual(t, openFDs(t), serving+player.MaxOpenRecordings, "after recording %d", i)
	}
	require.NoError(t, p.Close())
	ts.Close()
	http.DefaultClient.CloseIdleConnections()
	assert.LessOrEqual(t, openFDs(t), before, "Close closes them all")
}

// TestDirThroughLink: a folder reached through a link is listed (issue
// 17, item 20: nothing was), and the links inside it are still not
// followed.
func TestDirThroughLink(t *testing.T) {
	real := t.TempDir()
	writeRecording(t, filepath.Join(real, "a.omv"), 2)
	outside := filepath.Join(t.TempDir(), "secret.omv")
	writeRecording(t, outside, 2)
	require.NoError(t, os.Symlink(outside, filepath.Join(real, "link.omv")))
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(real, "linkdir")))
	link := filepath.Join(t.TempDir(), "sdcard")
	require.NoError(t, os.Symlink(real, link))

	p, err := player.NewDir(link, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	_, body := get(t, ts.URL+"/api/recordings")
	var list []struct{ Name string }
	require.NoError(t, json.Unmarshal(body, &list))
	assert.Equal(t, []struct{ Name string }{{"a.omv"}}, list)
	resp, _ := get(t, ts.URL+"/r/0/frame/1.jpg")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
