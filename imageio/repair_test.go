package imageio_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// checkDryRepair writes data to a file, dry-runs a repair of it, checks
// that the file is byte for byte as it was, then repairs it and checks
// that the repair did what the dry run said: the same report or the same
// error, and a file cut to the size reported that reads whole.
func checkDryRepair(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	dry, dryErr := imageio.DryRepair(path)
	after := readFile(t, path)
	require.True(t, bytes.Equal(data, after), "%s: a dry run changed the file", name)

	rep, err := imageio.Repair(path)
	if dryErr != nil {
		require.Error(t, err, "%s: the dry run failed with %v", name, dryErr)
		assert.Equal(t, dryErr.Error(), err.Error(), name)
		assert.Equal(t, data, readFile(t, path), "%s: a failed repair changes nothing", name)
		return
	}
	require.NoError(t, err, name)
	assert.Equal(t, dry.Frames, rep.Frames, "%s: frames", name)
	assert.Equal(t, dry.Size, rep.Size, "%s: size", name)
	assert.Equal(t, dry.Dropped, rep.Dropped, "%s: dropped", name)
	if dry.Cause == nil {
		assert.NoError(t, rep.Cause, name)
	} else {
		assert.EqualError(t, rep.Cause, dry.Cause.Error(), name)
	}
	after = readFile(t, path)
	require.Len(t, after, int(dry.Size), "%s: the repair cut the file where the dry run said", name)
	assert.Equal(t, int64(len(data))-dry.Size, dry.Dropped, name)
	assert.Equal(t, data[:dry.Size], after, name)
	if dry.Dropped > 0 {
		var fe *container.FrameError
		require.ErrorAs(t, dry.Cause, &fe, name)
		assert.Equal(t, dry.Frames, fe.Index, "%s: the damage is at the first frame dropped", name)
		assert.Equal(t, dry.Size, fe.Offset, "%s: and where the cut is", name)
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	x, err := container.ReadIndex(f)
	require.NoError(t, err, "%s: the repaired file reads whole", name)
	assert.Len(t, x.Entries, dry.Frames, name)
}

// TestDryRepairGolden: on every golden file, whole, cut off, damaged or
// no recording at all, the dry run says what Repair then does, and
// changes nothing.
func TestDryRepairGolden(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			data := readFile(t, testkit.GoldenPath(g.Name))
			if g.ErrorFrame != nil && !g.StrictOnly {
				dry, err := imageio.DryRepair(testkit.GoldenPath(g.Name))
				require.NoError(t, err)
				assert.Equal(t, len(g.Frames), dry.Frames)
				assert.Equal(t, g.ErrorOffset, dry.Size)
				assert.Equal(t, int64(len(data))-g.ErrorOffset, dry.Dropped)
				var fe *container.FrameError
				require.ErrorAs(t, dry.Cause, &fe)
				assert.Equal(t, *g.ErrorFrame, fe.Index)
				assert.Equal(t, g.ErrorOffset, fe.Offset)
			}
			checkDryRepair(t, g.Name, data)
		})
	}
	_, err := imageio.DryRepair(testkit.GoldenPath("bad_magic.omv"))
	require.ErrorIs(t, err, container.ErrBadMagic)
	_, err = imageio.DryRepair(t.TempDir())
	require.ErrorIs(t, err, imageio.ErrNotRegular)
}

// TestDryRepairGenerated: a recording of frames of several sizes, cut off
// at every byte, and with every byte in turn set to 0xFF (a header made
// invalid, or a payload changed, which is no damage): the dry run says
// what Repair then does, and changes nothing.
func TestDryRepairGenerated(t *testing.T) {
	for _, v := range []container.Version{container.V1_0, container.V2_0, container.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "whole.omv")
			s, err := imageio.Create(path, &imageio.Options{Version: v})
			require.NoError(t, err)
			for i := range 4 {
				img := &imageio.Image{Width: 2 + i, Height: 3, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, (2+i)*3)}
				require.NoError(t, s.Write(img))
			}
			require.NoError(t, s.Close())
			whole := readFile(t, path)
			for n := range len(whole) + 1 {
				checkDryRepair(t, fmt.Sprintf("cut%d.omv", n), whole[:n])
			}
			for i := range whole {
				bad := bytes.Clone(whole)
				bad[i] = 0xFF
				checkDryRepair(t, fmt.Sprintf("bad%d.omv", i), bad)
			}
		})
	}
}
