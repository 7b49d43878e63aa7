package record_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/record"
)

// TestSideFile: beside each clip, the recorder writes CLIP.omv.json with
// the wall time of the clip's first frame, which is Pre before the
// trigger that names the clip; export.Folder places the clip by it
// rather than by its name (issue 21).
func TestSideFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		t0 := time.Now()
		src := scene{seconds: 6, hooks: map[int]func(){3 * sceneFPS: func() { rec.Trigger("") }}}
		dir := t.TempDir()
		var ev events
		rec, err := record.New(record.Config{Source: src, Mode: record.Events, Pre: time.Second, Post: time.Second,
			Pattern: filepath.Join(dir, "%Y%m%d-%H%M%S.omv"), Notify: ev.add})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 1)
		first, _, n := frameRange(t, paths[0])

		b, err := os.ReadFile(paths[0] + record.SideSuffix)
		require.NoError(t, err)
		var info record.ClipInfo
		require.NoError(t, json.Unmarshal(b, &info))
		// Frame i arrives at t0 + (i+1)/30 s.
		want := t0.Add(time.Duration(first+1) * time.Second / sceneFPS)
		assert.InDelta(t, want.UnixNano(), info.Start.UnixNano(), float64(time.Millisecond), "the first frame's wall time (the ring keeps the intervals in µs)")
		assert.Equal(t, "manual", info.Trigger)
		assert.InDelta(t, time.Second, info.TriggerAt.Sub(info.Start), float64(time.Second/sceneFPS), "the trigger, Pre after the first frame")
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 1)
		assert.True(t, closed[0].Start.Equal(info.Start), "the clip event's start")

		f, err := export.OpenFolder(dir)
		require.NoError(t, err)
		defer f.Close()
		require.Len(t, f.Clips(), 1)
		c := f.Clips()[0]
		assert.Equal(t, export.ClockSide, c.Clock)
		assert.Equal(t, info.Start.UnixNano(), c.Start.UnixNano())
		assert.Equal(t, n, c.Frames)
		assert.InDelta(t, float64(closed[0].End.Sub(closed[0].Start)), float64(c.End.Sub(c.Start)), float64(time.Millisecond), "its end: the frames' times (ms in V2.0)")
		assert.Equal(t, "manual", c.Trigger)
	})
}
