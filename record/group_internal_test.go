package record

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetainAll: the oldest clips of all the patterns go first, whatever
// camera they are of, until the rest fit, each with its side file; a
// camera's open clip stays, and so does the newest of a camera with none
// open; a name no pattern makes is never touched.
func TestRetainAll(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	put := func(rel string, age time.Duration) string {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, make([]byte, 100), 0o644))
		require.NoError(t, os.WriteFile(p+SideSuffix, []byte("{}"), 0o644))
		require.NoError(t, os.Chtimes(p, now.Add(-age), now.Add(-age)))
		return p
	}
	a1 := put("a/20261202-1100.omv", 60*time.Minute)
	b1 := put("b/20261202-1110.omv", 50*time.Minute)
	a2 := put("a/20261202-1120.omv", 40*time.Minute)
	b2 := put("b/20261202-1130.omv", 30*time.Minute)
	a3 := put("a/20261202-1140.omv", 20*time.Minute) // a's newest, none open
	b3 := put("b/20261202-1150.omv", 10*time.Minute) // b's open clip
	foreign := put("a/holiday.omv", 90*time.Minute)
	var told []string
	sets := []clipSet{
		{pattern: filepath.Join(dir, "a/%Y%m%d-%H%M.omv"), notify: func(e Event) { told = append(told, e.Path) }},
		{pattern: filepath.Join(dir, "b/%Y%m%d-%H%M.omv"), open: b3},
	}
	removed, err := retainAll(sets, Keep{Size: 300}, now)
	require.NoError(t, err)
	var paths []string
	for _, r := range removed {
		paths = append(paths, r.path)
	}
	assert.Equal(t, []string{a1, b1, a2}, paths, "oldest first across both cameras")
	assert.Same(t, &sets[0], removed[0].set)
	assert.Same(t, &sets[1], removed[1].set)
	for _, p := range []string{a3, b2, b3, foreign} {
		assert.FileExists(t, p)
		assert.FileExists(t, p+SideSuffix)
	}
	for _, p := range paths {
		assert.NoFileExists(t, p)
		assert.NoFileExists(t, p+SideSuffix, "a clip's side file goes with it")
	}

	// By age: everything over 15 minutes old but a3, a's newest; b2 goes,
	// b having an open clip.
	removed, err = retainAll(sets, Keep{Age: 15 * time.Minute}, now)
	require.NoError(t, err)
	require.Len(t, removed, 1)
	assert.Equal(t, b2, removed[0].path)
	assert.FileExists(t, a3)
	assert.FileExists(t, foreign)
}
