package export_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// at is 2026-12-02 at h:m:s and ms milliseconds, local time.
func at(h, m, s, ms int) time.Time {
	return time.Date(2026, 12, 2, h, m, s, ms*int(time.Millisecond), time.Local)
}

// clipsFolder writes the folder of TestFolder: camera "door" in a
// folder of its own (side files), camera "yard" by name prefix (no side
// file: the name's time), and a clip with no time in its name.
func clipsFolder(t *testing.T) string {
	dir := t.TempDir()
	// door: 10 frames at 100 ms from 10:00:00.250, then 10 from 10:00:05.250
	testkit.WriteClip(t, filepath.Join(dir, "door", "20261202-100003.omv"), 10, 100*time.Millisecond, 0, at(10, 0, 0, 250), "motion")
	testkit.WriteClip(t, filepath.Join(dir, "door", "20261202-100008.omv"), 10, 100*time.Millisecond, 10, at(10, 0, 5, 250), "motion")
	// yard: 5 frames at 200 ms from 10:00:01 (its name)
	testkit.WriteClip(t, filepath.Join(dir, "yard-20261202-100001.omv"), 5, 200*time.Millisecond, 100, time.Time{}, "")
	// not a clip: no magic
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644))
	return dir
}

// TestFolder: each clip's camera (its folder, or its name's prefix), its
// start (the side file's wall time over its name's, else the name's),
// its end (start plus its duration), in order of start.
func TestFolder(t *testing.T) {
	f, err := export.OpenFolder(clipsFolder(t))
	require.NoError(t, err)
	defer f.Close()
	type row struct {
		cam, path  string
		start, end time.Time
		frames     int
		clock      export.ClockSource
		trigger    string
	}
	var got []row
	for _, c := range f.Clips() {
		got = append(got, row{c.Camera, c.Path, c.Start, c.End, c.Frames, c.Clock, c.Trigger})
	}
	want := []row{
		{"door", "door/20261202-100003.omv", at(10, 0, 0, 250), at(10, 0, 1, 150), 10, export.ClockSide, "motion"},
		{"yard", "yard-20261202-100001.omv", at(10, 0, 1, 0), at(10, 0, 1, 800), 5, export.ClockName, ""},
		{"door", "door/20261202-100008.omv", at(10, 0, 5, 250), at(10, 0, 6, 150), 10, export.ClockSide, "motion"},
	}
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].cam, got[i].cam, i)
		assert.Equal(t, want[i].path, got[i].path, i)
		assert.True(t, want[i].start.Equal(got[i].start), "%d: start %v, want %v", i, got[i].start, want[i].start)
		assert.True(t, want[i].end.Equal(got[i].end), "%d: end %v, want %v", i, got[i].end, want[i].end)
		assert.Equal(t, want[i].frames, got[i].frames, i)
		assert.Equal(t, want[i].clock, got[i].clock, i)
		assert.Equal(t, want[i].trigger, got[i].trigger, i)
	}
	assert.Equal(t, []string{"door", "yard"}, f.Cameras())
	assert.Len(t, f.Between(at(10, 0, 1, 500), at(10, 0, 5, 0)), 1, "only yard has a frame then")
}

// TestFolderNoTime: a clip whose name has no date, and no side file, is
// placed by its modification time less its duration; a side file that
// is not JSON falls back to the name.
func TestFolderNoTime(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "holiday.omv")
	testkit.WriteClip(t, p, 3, time.Second, 0, time.Time{}, "")
	mod := at(12, 0, 0, 0)
	require.NoError(t, os.Chtimes(p, mod, mod))
	q := filepath.Join(dir, "cam-2026-12-02_11-30-00.omv")
	testkit.WriteClip(t, q, 2, time.Second, 0, time.Time{}, "")
	require.NoError(t, os.WriteFile(q+".json", []byte("{half"), 0o644))
	f, err := export.OpenFolder(dir)
	require.NoError(t, err)
	defer f.Close()
	cs := f.Clips()
	require.Len(t, cs, 2)
	assert.Equal(t, export.ClockName, cs[0].Clock)
	assert.Equal(t, "cam", cs[0].Camera)
	assert.True(t, cs[0].Start.Equal(at(11, 30, 0, 0)), "%v", cs[0].Start)
	assert.Equal(t, export.ClockModified, cs[1].Clock)
	assert.True(t, cs[1].Start.Equal(at(11, 59, 58, 0)), "%v", cs[1].Start)
	assert.True(t, cs[1].End.Equal(mod))
}

// seqs returns the StampJPEG numbers of rec's frames, and their times,
// from an OMV file that Convert makes of it (JPEG frames pass untouched).
func seqs(t *testing.T, rec *export.Recording) ([]uint64, []time.Duration) {
	t.Helper()
	var omv bytes.Buffer
	_, err := export.Convert(context.Background(), &omv, rec, export.ConvertOptions{})
	require.NoError(t, err)
	r := bytes.NewReader(omv.Bytes())
	again, err := export.Open(r)
	require.NoError(t, err)
	x := again.Index()
	var got []uint64
	for i := range x.Entries {
		data, err := x.ReadPayload(r, i, nil)
		require.NoError(t, err)
		s, ok := testkit.SeqOf(data)
		require.True(t, ok, "frame %d is stamped", i)
		got = append(got, s)
	}
	assert.Equal(t, rec.Times(export.Range{}), again.Times(export.Range{}), "the OMV file's times are the range's")
	return got, rec.Times(export.Range{})
}

// TestFolderRecording: a range across two clips of a camera takes their
// frames in order, from the range's start to its end (excluded), with
// the gap between the clips kept as time; every export takes it.
func TestFolderRecording(t *testing.T) {
	f, err := export.OpenFolder(clipsFolder(t))
	require.NoError(t, err)
	defer f.Close()
	// door's frames 5..9 (10:00:00.750 to .1150) and 10..14 (10:00:05.250 to .650)
	rec, picked, err := f.Span("door", at(10, 0, 0, 700), at(10, 0, 5, 700))
	require.NoError(t, err)
	defer rec.Close()
	assert.Equal(t, "door", picked.Camera)
	assert.True(t, picked.First.Equal(at(10, 0, 0, 750)), "%v", picked.First)
	assert.True(t, picked.Last.Equal(at(10, 0, 5, 650)), "%v", picked.Last)
	assert.Equal(t, 10, picked.Frames)
	assert.Equal(t, 2, picked.Clips)
	got, times := seqs(t, rec)
	assert.Equal(t, []uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, got, "in order, across the clips")
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms, 4500 * ms, 4600 * ms, 4700 * ms, 4800 * ms, 4900 * ms}, times, "the gap kept as time")

	// The AVI holds them all, the gap held by the frame before it.
	var out seeker
	res, err := export.AVI(context.Background(), &out, rec, export.Options{})
	require.NoError(t, err)
	assert.Equal(t, 10, res.Frames)
	assert.Zero(t, res.Dropped)
	assert.Equal(t, int64(50), int64(res.Rate.Slot(4900*ms))+1-int64(res.Rate.Slot(0)), "50 slots of 100 ms: 4.9 s and the last frame")
	assert.True(t, bytes.HasPrefix(out.b, []byte("RIFF")))

	// yard alone, when no camera is named: it is the only one then.
	rec2, picked, err := f.Span("", at(10, 0, 1, 160), at(10, 0, 1, 500))
	require.NoError(t, err)
	rec2.Close()
	assert.Equal(t, "yard", picked.Camera)
	assert.Equal(t, 2, picked.Frames, "10:00:01.200 and .400")
}

// TestFolderOverlap: a clip that overlaps the one before gives only its
// frames after the last one taken: times never go back.
func TestFolderOverlap(t *testing.T) {
	dir := t.TempDir()
	testkit.WriteClip(t, filepath.Join(dir, "a", "20261202-100000.omv"), 10, 100*time.Millisecond, 0, at(10, 0, 0, 0), "")
	testkit.WriteClip(t, filepath.Join(dir, "a", "20261202-100000-1.omv"), 10, 100*time.Millisecond, 100, at(10, 0, 0, 450), "")
	f, err := export.OpenFolder(dir)
	require.NoError(t, err)
	defer f.Close()
	rec, err := f.Recording("a", at(10, 0, 0, 0), at(10, 0, 2, 0))
	require.NoError(t, err)
	defer rec.Close()
	got, times := seqs(t, rec)
	assert.Equal(t, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 105, 106, 107, 108, 109}, got)
	for i := 1; i < len(times); i++ {
		assert.Greater(t, times[i], times[i-1])
	}
}

// TestFolderBadRanges: each bad request is its own error, which says
// what was wrong.
func TestFolderBadRanges(t *testing.T) {
	f, err := export.OpenFolder(clipsFolder(t))
	require.NoError(t, err)
	defer f.Close()
	for _, c := range []struct {
		name     string
		cam      string
		from, to time.Time
		err      error
		says     string
	}{
		{"backwards", "door", at(10, 0, 5, 0), at(10, 0, 1, 0), export.ErrInvalidTime, "before it starts"},
		{"empty", "door", at(10, 0, 1, 0), at(10, 0, 1, 0), export.ErrInvalidTime, "before it starts"},
		{"no start", "door", time.Time{}, at(10, 0, 1, 0), export.ErrInvalidTime, "a start and an end"},
		{"gap", "door", at(10, 0, 2, 0), at(10, 0, 5, 0), export.ErrNoClips, `camera "door" has no frame`},
		{"unknown camera", "garage", at(10, 0, 0, 0), at(10, 0, 9, 0), export.ErrCamera, `"garage": the folder has clips of "door", "yard"`},
		{"two cameras", "", at(10, 0, 0, 0), at(10, 0, 9, 0), export.ErrCamera, `clips of "door", "yard": name one`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := f.Recording(c.cam, c.from, c.to)
			require.ErrorIs(t, err, c.err)
			assert.Nil(t, rec)
			assert.Contains(t, err.Error(), c.says)
		})
	}
}

// TestParseClock: RFC 3339 with a zone, without one (local), a time of
// day on the start's date (in the start's zone), and clear errors.
func TestParseClock(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	for _, c := range []struct {
		from, to         string
		wantFrom, wantTo time.Time
		err              error
		says             string
	}{
		{from: "2026-12-02T10:02:00", to: "10:05:00", wantFrom: time.Date(2026, 12, 2, 10, 2, 0, 0, loc), wantTo: time.Date(2026, 12, 2, 10, 5, 0, 0, loc)},
		{from: "2026-12-02T10:02:00Z", to: "10:05", wantFrom: time.Date(2026, 12, 2, 10, 2, 0, 0, time.UTC), wantTo: time.Date(2026, 12, 2, 10, 5, 0, 0, time.UTC)},
		{from: "2026-12-02 10:02:00.5+02:00", to: "2026-12-02T09:00:00Z", wantFrom: time.Date(2026, 12, 2, 8, 2, 0, 5e8, time.UTC), wantTo: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)},
		{from: "10:02", to: "10:05", err: export.ErrInvalidTime, says: "no date"},
		{from: "2026-12-02T10:02:00", to: "10:01", err: export.ErrInvalidTime, says: "before it starts"},
		{from: "yesterday", to: "10:01", err: export.ErrInvalidTime, says: `"yesterday": want RFC 3339`},
		{from: "2026-12-02T10:02:00", to: "25:00", err: export.ErrInvalidTime, says: `to: export: invalid time: "25:00"`},
		{from: "2026-13-02T10:02:00", to: "10:05", err: export.ErrInvalidTime, says: "from:"},
	} {
		a, b, err := export.ParseClockRange(c.from, c.to, loc)
		if c.err != nil {
			require.ErrorIs(t, err, c.err, "%s %s", c.from, c.to)
			assert.Contains(t, err.Error(), c.says)
			continue
		}
		require.NoError(t, err, "%s %s", c.from, c.to)
		assert.True(t, a.Equal(c.wantFrom), "%s: %v, want %v", c.from, a, c.wantFrom)
		assert.True(t, b.Equal(c.wantTo), "%s: %v, want %v", c.to, b, c.wantTo)
	}
}

// TestFolderNearest: the frame nearest a time, in a clip or in a gap
// (the nearer clip's nearest end), and none for an unknown camera.
func TestFolderNearest(t *testing.T) {
	f, err := export.OpenFolder(clipsFolder(t))
	require.NoError(t, err)
	defer f.Close()
	for _, c := range []struct {
		at   time.Time
		seq  uint64
		when time.Time
	}{
		{at(10, 0, 0, 640), 4, at(10, 0, 0, 650)},
		{at(10, 0, 0, 0), 0, at(10, 0, 0, 250)},
		{at(10, 0, 2, 0), 9, at(10, 0, 1, 150)},
		{at(10, 0, 4, 900), 10, at(10, 0, 5, 250)},
		{at(11, 0, 0, 0), 19, at(10, 0, 6, 150)},
	} {
		var m imageio.Image
		clip, when, err := f.Nearest("door", c.at, &m)
		require.NoError(t, err)
		seq, ok := testkit.SeqOf(m.Data)
		require.True(t, ok)
		assert.Equal(t, c.seq, seq, "at %v", c.at)
		assert.True(t, when.Equal(c.when), "at %v: %v, want %v", c.at, when, c.when)
		assert.Equal(t, "door", clip.Camera)
	}
	var m imageio.Image
	_, _, err = f.Nearest("garage", at(10, 0, 0, 0), &m)
	assert.ErrorIs(t, err, export.ErrCamera)
	_, _, err = f.Nearest("door", time.Time{}, &m)
	assert.True(t, errors.Is(err, export.ErrInvalidTime))
}

// TestFolderHostileSideFiles: a side file that is too large, names no
// start, is a folder, or is a link out of the folder is not read: the
// clip is placed by its name.
func TestFolderHostileSideFiles(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "x.json")
	require.NoError(t, os.WriteFile(outside, []byte(`{"start":"2030-01-01T00:00:00Z"}`), 0o644))
	for i, side := range []func(p string){
		func(p string) {
			os.WriteFile(p, append([]byte(`{"start":"2030-01-01T00:00:00Z","x":"`), make([]byte, export.MaxSideFile)...), 0o644)
		},
		func(p string) { os.WriteFile(p, []byte(`{"trigger":"motion"}`), 0o644) },
		func(p string) { os.Mkdir(p, 0o755) },
		func(p string) { os.Symlink(outside, p) },
	} {
		p := filepath.Join(dir, fmt.Sprintf("cam%d-20261202-10000%d.omv", i, i))
		testkit.WriteClip(t, p, 2, 100*time.Millisecond, 0, time.Time{}, "")
		side(p + export.SideSuffix)
	}
	f, err := export.OpenFolder(dir)
	require.NoError(t, err)
	defer f.Close()
	require.Len(t, f.Clips(), 4)
	for i, c := range f.Clips() {
		assert.Equal(t, export.ClockName, c.Clock, c.Path)
		assert.True(t, c.Start.Equal(at(10, 0, i, 0)), "%s: %v", c.Path, c.Start)
	}
}

// FuzzParseClock: any text gives a time or ErrInvalidTime, never a
// panic; a time read back from its RFC 3339 form is the same instant.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"2026-12-02T10:02:00", "10:05:00", "2026-12-02T10:02:00.5+01:00", "2026-12-02", "25:61", ""} {
		f.Add(s)
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := export.ParseClock(s, day, time.UTC)
		if err != nil {
			require.ErrorIs(t, err, export.ErrInvalidTime)
			return
		}
		if v.Year() < 0 || v.Year() > 9999 {
			return // RFC 3339 has four digits of year
		}
		again, err := export.ParseClock(v.Format(time.RFC3339Nano), time.Time{}, time.UTC)
		require.NoError(t, err, "%q gave %v", s, v)
		require.True(t, again.Equal(v), "%q: %v, then %v", s, v, again)
	})
}
