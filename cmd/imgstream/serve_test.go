package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
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

// TestPlayOneFrame plays a one-frame recording round and round, as serve's
// stream and publish --loop do, on the fake time of a synctest bubble: in
// one second it passes on at most 1/MinFramePeriod frames, and it returns
// when its context ends (issue 17, item 1: it spun at a full core and
// never saw SIGTERM or Ctrl-C).
func TestPlayOneFrame(t *testing.T) {
	path := oneFrame(t)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		limit := int(time.Second/imageio.MinFramePeriod) + 1
		n := 0
		err := play(ctx, path, true, func(*imageio.Image) error {
			if n++; n > limit {
				return errTooMany
			}
			return nil
		})
		require.ErrorIs(t, err, context.DeadlineExceeded, "%d frames, and the deadline not seen", n)
		assert.Greater(t, n, limit/2, "it plays until the deadline")

		// Once its context is done, play returns at once, frame or not.
		n = 0
		require.ErrorIs(t, play(ctx, path, true, func(*imageio.Image) error { n++; return nil }), context.DeadlineExceeded)
		assert.Zero(t, n)
	})
}

var errTooMany = errors.New("too many frames")
