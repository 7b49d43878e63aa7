package player_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/player"
)

// heldClock is an imageio.Clock whose Sleep waits until the test lets it
// go: each Sleep says on asleep how long it would wait, and returns, with
// the time moved on, once wake gets a value.
type heldClock struct {
	mu     sync.Mutex
	now    time.Time
	asleep chan time.Duration
	wake   chan struct{}
}

func (c *heldClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *heldClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case c.asleep <- d:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.wake:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// TestStreamBoundaryAtOnce reads a recording's own stream (?from=) on
// 127.0.0.1 under a clock that holds each frame until the test lets it
// go: while the player waits for frame k+1, the client reads frame k whole
// and the boundary line after it. Browsers show a part only once the next
// part's headers arrive, so a boundary that came only with the next frame
// kept each frame off screen for a frame's time (issue 18: the player's
// own multipart writing did that).
func TestStreamBoundaryAtOnce(t *testing.T) {
	// Three grey frames 40 ms apart, the first stored with an Elapsed of 5
	// s (the time since the recording was opened), which does not count.
	path := filepath.Join(t.TempDir(), "rec.omv")
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := container.NewWriter(f)
	for i, e := range []time.Duration{5 * time.Second, 40 * time.Millisecond, 40 * time.Millisecond} {
		m := imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32), Elapsed: e}
		m.Data[0] = byte(i * 80)
		h := m.Header()
		require.NoError(t, zw.WriteFrame(&h, m.Data))
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	clock := &heldClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), asleep: make(chan time.Duration), wake: make(chan struct{})}
	p, err := player.NewFile(path, player.Options{Clock: clock})
	require.NoError(t, err)
	ts := serve(t, p)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// Only turns a hang (a boundary that never comes while the clock is
	// held) into a failure.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	fmt.Fprintf(conn, "GET /stream.mjpg?from=1&speed=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "multipart/x-mixed-replace; boundary=frame", resp.Header.Get("Content-Type"))
	body := bufio.NewReader(resp.Body)
	line, err := body.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "--frame\r\n", line)

	s, err := imageio.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Seek(1))
	// Frames 1, 2, 0, 1: 40 ms apart at speed 2, and the loop's round from
	// frame 1 no shorter than imageio.MinLoopPeriod; frame 0's 5 s never
	// counts.
	for k, want := range []time.Duration{20 * time.Millisecond, imageio.MinLoopPeriod - 20*time.Millisecond, 20 * time.Millisecond} {
		// The player has written frame k and waits for the next one.
		assert.Equal(t, want, <-clock.asleep, "the wait after part %d", k)
		var n int
		for {
			line, err := body.ReadString('\n')
			require.NoError(t, err, "part %d", k)
			if line == "\r\n" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				_, err := fmt.Sscan(v, &n)
				require.NoError(t, err)
			}
		}
		require.NotZero(t, n, "part %d has a Content-Length", k)
		got := make([]byte, n+len("\r\n--frame\r\n"))
		_, err = io.ReadFull(body, got)
		require.NoError(t, err, "part %d: the boundary after the JPEG must come before the next frame is due", k)
		assert.Equal(t, "\r\n--frame\r\n", string(got[n:]))
		m, err := s.Read(imageio.ReadOptions{Loop: true})
		require.NoError(t, err)
		jpg, err := m.AppendJPEG(nil)
		require.NoError(t, err)
		assert.Equal(t, jpg, got[:n], "part %d is frame %d", k, (1+k)%3)
		clock.wake <- struct{}{}
	}
}
