package imageio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/bufferio"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// countingFile counts the calls that make data durable. SIGKILL keeps the
// page cache, so a crash test cannot tell fsync from no fsync: these tests
// can.
type countingFile struct {
	*os.File
	syncs, truncates int
}

func (f *countingFile) Sync() error { f.syncs++; return f.File.Sync() }

func (f *countingFile) Truncate(n int64) error { f.truncates++; return f.File.Truncate(n) }

func TestSyncReachesTheBackend(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "s.omv"))
	require.NoError(t, err)
	defer f.Close()
	cf := &countingFile{File: f}
	s, err := New(cf, nil)
	require.NoError(t, err)
	img := &Image{Width: 2, Height: 2, Format: container.Grayscale, Data: []byte{1, 2, 3, 4}}
	require.NoError(t, s.Write(img))
	assert.Zero(t, cf.syncs, "a write alone does not sync")
	require.NoError(t, s.Sync())
	assert.Equal(t, 1, cf.syncs, "Sync is fsync")
	require.NoError(t, s.Write(img))
	require.NoError(t, s.Sync())
	assert.Equal(t, 2, cf.syncs)

	// A backend without Sync (a buffer in memory) has nothing to sync.
	m, err := New(bufferio.New(make([]byte, 1024)), nil)
	require.NoError(t, err)
	require.NoError(t, m.Write(img))
	require.NoError(t, m.Sync())
}

func TestRepairSyncs(t *testing.T) {
	data, err := os.ReadFile(testkit.GoldenPath("truncated_payload.omv"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cut.omv")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	cf := &countingFile{File: f}
	r, err := repair(cf)
	require.NoError(t, err)
	assert.Positive(t, r.Dropped)
	assert.Equal(t, 1, cf.truncates)
	assert.Equal(t, 1, cf.syncs, "the cut is synced before Repair returns")

	// A whole file is left alone: no cut, no sync.
	cf.syncs, cf.truncates = 0, 0
	_, err = f.Seek(0, 0)
	require.NoError(t, err)
	r, err = repair(cf)
	require.NoError(t, err)
	assert.Zero(t, r.Dropped)
	assert.Zero(t, cf.truncates+cf.syncs)
}
