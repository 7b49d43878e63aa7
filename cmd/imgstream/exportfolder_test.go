package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/testkit"
)

// clipFolder writes a recorder's folder of two cameras: door, frames
// 0-9 at 100 ms from 10:00:00Z and 10-19 from 10:00:05Z; yard, frames
// 100-104 at 200 ms from 10:00:01Z.
func clipFolder(t *testing.T) string {
	dir := t.TempDir()
	day := func(s, ms int) time.Time { return time.Date(2026, 12, 2, 10, 0, s, ms*1e6, time.UTC) }
	testkit.WriteClip(t, filepath.Join(dir, "door", "20261202-100001.omv"), 10, 100*time.Millisecond, 0, day(0, 0), "motion")
	testkit.WriteClip(t, filepath.Join(dir, "door", "20261202-100006.omv"), 10, 100*time.Millisecond, 10, day(5, 0), "motion")
	testkit.WriteClip(t, filepath.Join(dir, "yard", "20261202-100001.omv"), 5, 200*time.Millisecond, 100, day(1, 0), "")
	return dir
}

// TestExportFolder: export DIR --from --to takes one camera's frames of
// every clip in the range, in order, the gap between clips kept as time;
// --to may be a time of day on --from's date, in its zone.
func TestExportFolder(t *testing.T) {
	dir := clipFolder(t)
	out := filepath.Join(t.TempDir(), "door.omv")
	stdout, stderr, code := cli(t, "export", dir, "--camera", "door", "--from", "2026-12-02T10:00:00.450Z", "--to", "10:00:05.450", "--json", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, `camera "door", 10 frames of 2 clips from 2026-12-02T10:00:00.500Z to 2026-12-02T10:00:05.400Z`)
	var w written
	require.NoError(t, json.Unmarshal([]byte(stdout), &w))
	assert.Equal(t, written{File: out, Format: "omv", Frames: 10}, w)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	x, err := container.ReadIndex(f)
	require.NoError(t, err)
	var seqs []uint64
	var times []time.Duration
	for i := range x.Entries {
		data, err := x.ReadPayload(f, i, nil)
		require.NoError(t, err)
		s, _ := testkit.SeqOf(data)
		seqs = append(seqs, s)
		times = append(times, x.Entries[i].Time)
	}
	assert.Equal(t, []uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, seqs)
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 4500 * ms, 4600 * ms, 4700 * ms, 4800 * ms, 4900 * ms}, times)

	// An AVI of the same: the same 10 frames, the gap held as 40 slots.
	avi := filepath.Join(t.TempDir(), "door.avi")
	stdout, stderr, code = cli(t, "export", dir, "--camera", "door", "--from", "2026-12-02T10:00:00.450Z", "--to", "10:00:05.450", "--json", avi)
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &w))
	assert.Equal(t, written{File: avi, Format: "avi", Frames: 10, Rate: "10/1"}, w)
}

// TestExportFolderErrors: a bad range, an ambiguous camera, a range with
// no frame, and the flags of one recording are usage errors that say so.
func TestExportFolderErrors(t *testing.T) {
	dir := clipFolder(t)
	out := filepath.Join(t.TempDir(), "x.avi")
	file := filepath.Join(dir, "door", "20261202-100001.omv")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"export", dir, out}, "say which with --from and --to"},
		{[]string{"export", dir, "--from", "2026-12-02T10:00:00Z", out}, "say which with --from and --to"},
		{[]string{"export", dir, "--from", "10:00", "--to", "10:05", out}, "is a time of day, with no date"},
		{[]string{"export", dir, "--from", "2026-12-02T10:00:09Z", "--to", "10:00:01", out}, "ends (2026-12-02T10:00:01Z) before it starts"},
		{[]string{"export", dir, "--from", "2026-12-02T10:00:00Z", "--to", "10:00:09", out}, `the range holds clips of "door", "yard": name one`},
		{[]string{"export", dir, "--camera", "door", "--from", "2026-12-02T10:00:02Z", "--to", "10:00:04", out}, `camera "door" has no frame from 2026-12-02T10:00:02Z to 2026-12-02T10:00:04Z`},
		{[]string{"export", dir, "--camera", "garage", "--from", "2026-12-02T10:00:00Z", "--to", "10:00:04", out}, `camera "garage": the folder has clips of "door", "yard"`},
		{[]string{"export", dir, "--time", "1s:2s", "--from", "2026-12-02T10:00:00Z", "--to", "10:00:04", out}, "--frames and --time are for one recording"},
		{[]string{"export", file, "--from", "2026-12-02T10:00:00Z", "--to", "10:00:04", out}, "is no folder"},
	} {
		_, stderr, code := cli(t, c.args...)
		assert.Equal(t, 2, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.says, "%v", c.args)
	}
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written")
}

// TestExportOMV: export to .omv copies the frames picked, as they are,
// with their timing (export.Convert), from one recording too.
func TestExportOMV(t *testing.T) {
	in, frames := writeRecording(t, jittery(10))
	out := filepath.Join(t.TempDir(), "part.omv")
	_, stderr, code := cli(t, "export", "--frames", "2:5", in, out)
	require.Equal(t, 0, code, stderr)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	x, err := container.ReadIndex(f)
	require.NoError(t, err)
	require.Len(t, x.Entries, 3)
	at := jittery(10)
	for i := range x.Entries {
		data, err := x.ReadPayload(f, i, nil)
		require.NoError(t, err)
		assert.Equal(t, frames[2+i], data, "frame %d as it was", 2+i)
		assert.Equal(t, at[2+i]-at[2], x.Entries[i].Time)
	}
}

// TestExportFolderMP4: a range across clips through ffmpeg lasts the
// range, its gap held.
func TestExportFolderMP4(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("no ffprobe")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	dir := clipFolder(t)
	out := filepath.Join(t.TempDir(), "door.mp4")
	_, stderr, code := cli(t, "export", dir, "--camera", "door", "--from", "2026-12-02T10:00:00.450Z", "--to", "10:00:05.450", out)
	require.Equal(t, 0, code, stderr)
	probe, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,r_frame_rate", "-of", "csv=p=0", out).Output()
	require.NoError(t, err)
	assert.Equal(t, "10/1,50", strings.TrimSpace(string(probe)), "4.9 s of 10 fps and the last frame: the 10 frames, the gap held")
}
