package record_test

import (
	"context"
	"encoding/binary"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/motion"
	"github.com/imgstream/imgstream/record"
)

const sceneFPS = 30

// scene is a synthetic camera: 320x240 grey frames at 30 fps, a gradient
// with sensor noise under a light that brightens slowly, and, when object
// is set, a bright 40x40 object crossing it from 3 s to 5 s. Each frame's
// first 8 bytes hold its number. When the scene reaches frame n of hook,
// it calls the hook first (for manual triggers).
type scene struct {
	seconds int
	object  bool
	hooks   map[int]func()
}

func (s scene) Run(ctx context.Context, emit func(*record.Frame) error) error {
	rng := rand.New(rand.NewPCG(1, 2))
	const w, h = 320, 240
	f := &record.Frame{Image: imageio.Image{Width: w, Height: h, Format: container.Grayscale, Data: make([]byte, w*h)}}
	tick := time.Now()
	for i := range s.seconds * sceneFPS {
		tick = tick.Add(time.Second / sceneFPS)
		time.Sleep(time.Until(tick))
		if hook := s.hooks[i]; hook != nil {
			hook()
		}
		moving := s.object && i >= 3*sceneFPS && i < 5*sceneFPS
		light := 10 * float64(i) / sceneFPS
		ox, oy := (i*6)%280, 100
		for y := range h {
			for x := range w {
				v := 60 + float64(x)/4 + float64(y)/6 + light + rng.NormFloat64()*4
				if moving && x >= ox && x < ox+40 && y >= oy && y < oy+40 {
					v = 230 + rng.NormFloat64()*4
				}
				f.Data[y*w+x] = byte(max(0, min(255, v)))
			}
		}
		binary.BigEndian.PutUint64(f.Data, uint64(i))
		if err := emit(f); err != nil {
			return err
		}
	}
	return io.EOF
}

// frameRange returns the first and last frame numbers in the clip.
func frameRange(t *testing.T, path string) (first, last int, n int) {
	t.Helper()
	fs := readClip(t, path)
	require.NotEmpty(t, fs)
	for i, f := range fs {
		num := int(binary.BigEndian.Uint64(f.data))
		if i > 0 {
			require.Equal(t, last+1, num, "%s: frames follow each other", path)
		}
		if i == 0 {
			first = num
		}
		last = num
	}
	return first, last, len(fs)
}

func runEvents(t *testing.T, src record.Source, c record.Config) (*record.Recorder, []string, *events) {
	t.Helper()
	dir := t.TempDir()
	var ev events
	c.Source, c.Mode, c.Notify = src, record.Events, ev.add
	c.Pattern = filepath.Join(dir, "%H%M%S.omv")
	rec, err := record.New(c)
	require.NoError(t, err)
	require.NoError(t, rec.Run(t.Context()))
	return rec, clips(t, dir), &ev
}

// TestMotionEvent: the object moving from 3 s to 5 s makes exactly one
// clip, from 3 s − Pre to 5 s + Post, within a frame; the static scene
// with its noise and light ramp makes none.
func TestMotionEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := record.Config{Pre: time.Second, Post: 2 * time.Second, Motion: &motion.Config{}}
		_, paths, ev := runEvents(t, scene{seconds: 10, object: true}, c)
		require.Len(t, paths, 1, "one event")
		first, last, _ := frameRange(t, paths[0])
		assert.InDelta(t, 2*sceneFPS, first, 1, "from 3 s − Pre")
		assert.InDelta(t, 7*sceneFPS, last, 1, "to 5 s + Post")
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 1)
		assert.Equal(t, "motion", closed[0].Trigger)
		assert.Equal(t, last-first+1, closed[0].Frames)
		span := time.Duration(last-first) * time.Second / sceneFPS
		assert.InDelta(t, span.Seconds(), closed[0].End.Sub(closed[0].Start).Seconds(), 0.001, "the event's times are its frames'")
	})
	synctest.Test(t, func(t *testing.T) {
		c := record.Config{Pre: time.Second, Post: 2 * time.Second, Motion: &motion.Config{}}
		_, paths, _ := runEvents(t, scene{seconds: 10}, c)
		assert.Empty(t, paths, "noise and a slow light ramp are no motion")
	})
}

// TestManualTrigger: triggers at 3 s and 5 s, with no motion detection,
// make the same single clip: the pre-trigger seconds are included, and
// the second trigger, inside the first's Post, extends the event.
func TestManualTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		trig := func() { rec.Trigger("") }
		src := scene{seconds: 10, hooks: map[int]func(){3 * sceneFPS: trig, 5 * sceneFPS: trig}}
		dir := t.TempDir()
		var ev events
		rec, err := record.New(record.Config{Source: src, Mode: record.Events, Pre: time.Second, Post: 2 * time.Second,
			Pattern: filepath.Join(dir, "%H%M%S.omv"), Notify: ev.add})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 1)
		first, last, _ := frameRange(t, paths[0])
		assert.InDelta(t, 2*sceneFPS, first, 1, "the second before the first trigger")
		assert.InDelta(t, 7*sceneFPS, last, 1, "two seconds after the last trigger")
		assert.Equal(t, "manual", ev.of(record.ClipClosed)[0].Trigger)
	})
}

// TestEventsApart: triggers within Post merge into one event; one after
// it makes a second clip, whose pre-trigger frames start after the first
// clip's last, never repeating it.
func TestEventsApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		trig := func() { rec.Trigger("test") }
		src := scene{seconds: 10, hooks: map[int]func(){60: trig, 75: trig, 135: trig}}
		dir := t.TempDir()
		rec, err := record.New(record.Config{Source: src, Mode: record.Events, Pre: 3 * time.Second, Post: time.Second,
			Pattern: filepath.Join(dir, "%H%M%S.omv")})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 2)
		f1, l1, _ := frameRange(t, paths[0])
		f2, l2, _ := frameRange(t, paths[1])
		assert.Equal(t, 0, f1, "all that came before, less than Pre")
		assert.InDelta(t, 75+sceneFPS, l1, 1, "a second after the second trigger")
		assert.Equal(t, l1+1, f2, "the second clip's pre-trigger frames start after the first clip")
		assert.InDelta(t, 135+sceneFPS, l2, 1)
	})
}

// TestMaxEvent: an event longer than SplitEvery goes on in a new clip,
// with no frame lost or repeated.
func TestMaxEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		hooks := map[int]func(){}
		for i := 30; i < 300; i += 30 {
			hooks[i] = func() { rec.Trigger("") }
		}
		dir := t.TempDir()
		var ev events
		rec, err := record.New(record.Config{Source: scene{seconds: 10, hooks: hooks}, Mode: record.Events, Post: 2 * time.Second,
			SplitEvery: 3 * time.Second, Pattern: filepath.Join(dir, "%H%M%S.omv"), Notify: ev.add})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 3, "9 s of event in clips of 3 s")
		next := 29 // the newest frame when the first trigger came
		for _, p := range paths {
			first, last, _ := frameRange(t, p)
			assert.Equal(t, next, first, p)
			next = last + 1
		}
		assert.Equal(t, 10*sceneFPS, next, "to the end of the scene")
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 3)
		assert.True(t, closed[0].Split)
		assert.True(t, closed[1].Split)
	})
}

// TestRetention: with a Keep smaller than three clips, the oldest go and
// the recording never stops.
func TestRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		hooks := map[int]func(){}
		for i := 15; i < 600; i += 60 { // an event every 2 s, of about 1 s
			hooks[i] = func() { rec.Trigger("") }
		}
		dir := t.TempDir()
		var ev events
		const clipSize = 31*(320*240+20) + 16 // about 31 frames
		rec, err := record.New(record.Config{Source: scene{seconds: 20, hooks: hooks}, Mode: record.Events, Post: time.Second,
			Pattern: filepath.Join(dir, "%H%M%S.omv"), Keep: record.Keep{Size: 3 * clipSize}, Notify: ev.add})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 10, "every event recorded")
		removed := ev.of(record.Removed)
		paths := clips(t, dir)
		assert.Len(t, removed, 10-len(paths))
		assert.LessOrEqual(t, len(paths), 3)
		var total int64
		for _, p := range paths {
			fi, err := os.Stat(p)
			require.NoError(t, err)
			total += fi.Size()
		}
		assert.LessOrEqual(t, total, int64(3*clipSize))
		// The newest clips are the ones kept.
		for i, p := range paths {
			assert.Equal(t, closed[len(closed)-len(paths)+i].Path, p)
		}
		for i, r := range removed {
			assert.Equal(t, closed[i].Path, r.Path, "the oldest go first")
		}
		// Each clip's side file goes with it.
		sides, err := filepath.Glob(filepath.Join(dir, "*.omv"+record.SideSuffix))
		require.NoError(t, err)
		for i := range sides {
			sides[i] = strings.TrimSuffix(sides[i], record.SideSuffix)
		}
		assert.Equal(t, paths, sides, "a side file for each clip kept, none for those removed")
	})
}

// TestDropDuringEvent: the camera drops in the middle of an event; the
// recorder connects again, the clip holds the frames from both sides of
// the drop, its timing shows the gap, and a Gap event names the clip.
func TestDropDuringEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cam := &camera{Interval: 100 * time.Millisecond, Frames: 100, DropAt: 50}
		var ev events
		rec, err := record.New(record.Config{
			Source: pipeCamera(t, cam), Mode: record.Events, Pre: time.Second, Post: 3 * time.Second,
			Pattern: filepath.Join(dir, "%H%M%S.omv"), Duration: 9 * time.Second, Notify: ev.add,
		})
		require.NoError(t, err)
		go func() {
			time.Sleep(4050 * time.Millisecond) // after frame 39
			rec.Trigger("")
			time.Sleep(2 * time.Second) // after the drop: the event goes on
			rec.Trigger("")
		}()
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 1)
		got := readClip(t, paths[0])
		require.NotEmpty(t, got)
		assert.Equal(t, uint64(30), got[0].seq, "from a second before the trigger")
		for i, f := range got {
			require.Equal(t, got[0].seq+uint64(i), f.seq, "every frame, across the drop")
		}
		assert.Greater(t, got[len(got)-1].seq, uint64(80), "to the end of the recording, after the drop")
		for _, f := range got {
			if f.seq == 50 {
				assert.Greater(t, f.elapsed, 100*time.Millisecond, "the gap shows in the timing")
			}
		}
		gaps := ev.of(record.Gap)
		require.Len(t, gaps, 1)
		assert.Equal(t, paths[0], gaps[0].Path)
		assert.Greater(t, gaps[0].End.Sub(gaps[0].Start), 100*time.Millisecond)
	})
}

// TestPreSize: a ring too small in bytes for Pre keeps what fits, and
// says so once.
func TestPreSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		trig := func() { rec.Trigger("") }
		var logged strings.Builder
		dir := t.TempDir()
		rec, err := record.New(record.Config{Source: scene{seconds: 6, hooks: map[int]func(){60: trig, 150: trig}}, Mode: record.Events,
			Pre: time.Second, PreSize: 1 << 20, Post: 100 * time.Millisecond,
			Pattern: filepath.Join(dir, "%H%M%S.omv"), Log: log.New(&logged, "", 0)})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		paths := clips(t, dir)
		require.Len(t, paths, 2)
		first, _, _ := frameRange(t, paths[0])
		assert.Greater(t, first, 60-sceneFPS, "less than a second: what 1 MiB holds")
		assert.Equal(t, 1, strings.Count(logged.String(), "raise PreSize"), logged.String())
	})
}
