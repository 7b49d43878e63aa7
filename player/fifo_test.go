//go:build unix

package player_test

import (
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/player"
)

// TestFIFOInPlace: a FIFO where a recording was (put there by anyone who
// can write to the folder, after it was listed) or given to NewFile is
// refused at once. Before, the open waited for a writer that never came:
// the request hung, holding its place, and NewFile never returned.
func TestFIFOInPlace(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "a.omv")
	writeRecording(t, rec, 2)
	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	ts := serve(t, p)
	require.NoError(t, os.Remove(rec))
	require.NoError(t, syscall.Mkfifo(rec, 0o600))

	c := &http.Client{Timeout: time.Minute} // a guard against a hang, not a timing
	resp, err := c.Get(ts.URL + "/r/0/frame/1.jpg")
	require.NoError(t, err, "the request must not wait for a writer")
	resp.Body.Close()
	assert.NotEqual(t, http.StatusOK, resp.StatusCode)

	done := make(chan error, 1)
	go func() {
		_, err := player.NewFile(rec, player.Options{})
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorContains(t, err, "not a regular file")
	case <-time.After(time.Minute):
		t.Fatal("NewFile waited for a writer of the FIFO")
	}
}
