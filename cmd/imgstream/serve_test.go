package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// oneFrame writes a recording of one frame (elapsed 0) and returns its path.
func oneFrame(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.omv")
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	require.NoError(t, s.Write(&imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32)}))
	require.NoError(t, s.Close())
	return path
}

// TestPlayOneFrame plays a one-frame recording round and round, as
// publish --loop does (serve's stream is export.Replay's, tested there), on
// the fake time of a synctest bubble: in one second it passes on at most
// 1s/MinLoopPeriod+1 frames (one round each), and it returns when its context ends (issue 17, item 1: it spun
// at a full core and never saw SIGTERM or Ctrl-C; then, with only
// MinFramePeriod, it sent 1000 frames a second).
func TestPlayOneFrame(t *testing.T) {
	path := oneFrame(t)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		limit := int(time.Second/imageio.MinLoopPeriod) + 1
		n := 0
		err := play(ctx, path, true, func(*imageio.Image) error {
			if n++; n > limit {
				return errTooMany
			}
			return nil
		})
		require.ErrorIs(t, err, context.DeadlineExceeded, "%d frames, and the deadline not seen", n)
		assert.GreaterOrEqual(t, n, limit-1, "it plays until the deadline")

		// Once its context is done, play returns at once, frame or not.
		n = 0
		require.ErrorIs(t, play(ctx, path, true, func(*imageio.Image) error { n++; return nil }), context.DeadlineExceeded)
		assert.Zero(t, n)
	})
}

var errTooMany = errors.New("too many frames")

// TestServeOneFrameStops serves a one-frame recording on 127.0.0.1,
// watches its stream, leaves, and stops the command as Ctrl-C does: it
// returns (issue 17, item 1: its replay spun for ever and the command
// never stopped). The deadline only turns a hang into a failure.
func TestServeOneFrameStops(t *testing.T) {
	path := oneFrame(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		root := newRoot()
		root.SetOut(pw)
		root.SetErr(io.Discard)
		root.SetArgs([]string{"serve", "--listen", "127.0.0.1:0", path})
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(err)
		done <- err
	}()
	addr := testkit.Addr(t, pr)
	go io.Copy(io.Discard, pr)
	r, err := mjpeg.Dial(ctx, "http://"+addr+"/stream.mjpg")
	require.NoError(t, err)
	for range 3 {
		_, err := r.NextFrame()
		require.NoError(t, err)
	}
	r.Close()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve one.omv did not stop when its context ended")
	}
}
