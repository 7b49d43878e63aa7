package export_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
)

// TestVideoFFmpegFails: an ffmpeg that fails before it reads its input
// is reported with what it said, not as the broken pipe it leaves.
func TestVideoFFmpegFails(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ffmpeg")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho \"Unknown encoder 'libx264'\" >&2\nexit 1\n"), 0o755))
	rec, err := export.Open(bytes.NewReader(recording(1000))) // more than a pipe holds
	require.NoError(t, err)
	_, err = export.Video(t.Context(), filepath.Join(dir, "x.mp4"), rec, export.Options{FFmpeg: fake})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Unknown encoder 'libx264'")
}

// TestVideoOutName: the output is the file named, whatever its name looks
// like to ffmpeg: a name that starts with a dash is no option, and one
// with a colon is no protocol.
func TestVideoOutName(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	rec, err := export.Open(bytes.NewReader(recording(3)))
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	for _, name := range []string{"-x.mp4", "pipe:1.mp4"} {
		_, err = export.Video(t.Context(), name, rec, export.Options{})
		require.NoError(t, err, name)
		fi, err := os.Stat(name)
		require.NoError(t, err, name)
		assert.Positive(t, fi.Size(), name)
	}
}

// TestVideoStderrBounded: what ffmpeg says is kept to its last lines, so
// an ffmpeg that complains of every frame of a long recording does not
// fill the memory; the error keeps the last line.
func TestVideoStderrBounded(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ffmpeg")
	script := "#!/bin/sh\ncat >/dev/null\ni=0\nwhile [ $i -lt 20000 ]; do echo \"[mjpeg] error in frame $i: noise noise noise noise noise noise\"; i=$((i+1)); done >&2\necho 'the last word' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(fake, []byte(script), 0o755))
	rec, err := export.Open(bytes.NewReader(recording(3)))
	require.NoError(t, err)
	_, err = export.Video(t.Context(), filepath.Join(dir, "x.mp4"), rec, export.Options{FFmpeg: fake})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the last word")
	assert.Less(t, len(err.Error()), 64<<10, "the error holds all that ffmpeg said")
}
