//go:build unix

package imageio_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/imageio"
)

// TestNotRegular: Open, Create and Repair refuse a FIFO at once with
// ErrNotRegular (a directory too); before, the FIFO's open waited for its
// other end for ever (serve and publish of such a path ignored Ctrl-C).
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "camera.omv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := imageio.Open(fifo, nil)
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		_, err = imageio.Repair(fifo)
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		_, err = imageio.Open(dir, nil)
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		_, err = imageio.Repair(dir) // opened for writing: EISDIR
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		assert.ErrorContains(t, err, "is a directory")
		_, err = imageio.DryRepair(fifo)
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		_, err = imageio.Create(fifo, nil)
		assert.ErrorIs(t, err, imageio.ErrNotRegular)
		assert.ErrorContains(t, err, "a FIFO")
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a timing
		// Let the opens that wait go, so that the test binary ends.
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
		t.Fatal("a FIFO's open waited for its other end")
	}

	// A regular file is created, truncated and opened as before.
	p := filepath.Join(dir, "a.omv")
	require.NoError(t, os.WriteFile(p, []byte("not a recording, longer than the magic"), 0o644))
	s, err := imageio.Create(p, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.EqualValues(t, 16, fi.Size(), "Create truncates")
	s, err = imageio.Open(p, nil)
	require.NoError(t, err)
	require.Equal(t, 0, s.Count())
	require.NoError(t, s.Close())
}
