package imageio

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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

// flakyFile fails every read from offset failAt on with EIO, as a card
// with a bad sector does: the bytes there may be good.
type flakyFile struct {
	countingFile
	failAt int64
}

func (f *flakyFile) Read(p []byte) (int, error) {
	pos, err := f.File.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if pos+int64(len(p)) > f.failAt {
		n, _ := f.File.Read(p[:max(0, f.failAt-pos)])
		return n, &fs.PathError{Op: "read", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Read(p)
}

// TestRepairReadError: a read error in the middle of a whole recording is
// not damage: Repair returns it and cuts nothing.
func TestRepairReadError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "whole.omv")
	s, err := Create(path, nil)
	require.NoError(t, err)
	img := &Image{Width: 4, Height: 4, Format: container.Grayscale, Data: make([]byte, 16)}
	for range 10 {
		require.NoError(t, s.Write(img))
	}
	require.NoError(t, s.Close())
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	ff := &flakyFile{countingFile: countingFile{File: f}, failAt: int64(len(before)) / 2}
	_, err = repair(ff)
	require.ErrorIs(t, err, syscall.EIO)
	assert.Zero(t, ff.truncates, "no cut at a read error")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the file is left as it was")
}
