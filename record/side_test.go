package record_test

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
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

// TestFrameAt: while recording, FrameAt gives the frame of the ring
// nearest a time, with its wall time; the newest for a time after it;
// and ErrNotInRing for a time before the ring's oldest frame.
func TestFrameAt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		t0 := time.Now()
		wall := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Second / sceneFPS) } // frame i's arrival
		type answer struct {
			frame int
			when  time.Time
			err   error
		}
		var got []answer
		ask := func(at time.Time) {
			var m imageio.Image
			when, err := rec.FrameAt(at, &m)
			a := answer{when: when, err: err}
			if err == nil {
				a.frame = int(binary.BigEndian.Uint64(m.Data))
			}
			got = append(got, a)
		}
		hooks := map[int]func(){80: func() {
			ask(wall(70).Add(5 * time.Millisecond))  // nearer 70 than 71
			ask(wall(70).Add(30 * time.Millisecond)) // nearer 71
			ask(wall(60))
			ask(t0.Add(time.Hour))  // the future: the newest, 79
			ask(t0.Add(-time.Hour)) // before the ring
		}}
		rec, err := record.New(record.Config{Source: scene{seconds: 3, hooks: hooks}, Mode: record.Events, Pre: 3 * time.Second,
			Pattern: filepath.Join(t.TempDir(), "%H%M%S.omv")})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		require.Len(t, got, 5)
		for i, want := range []answer{{frame: 70, when: wall(70)}, {frame: 71, when: wall(71)}, {frame: 60, when: wall(60)}, {frame: 79, when: wall(79)}} {
			require.NoError(t, got[i].err, i)
			assert.Equal(t, want.frame, got[i].frame, i)
			assert.InDelta(t, want.when.UnixNano(), got[i].when.UnixNano(), float64(time.Millisecond), i)
		}
		assert.ErrorIs(t, got[4].err, record.ErrNotInRing)
	})
}
