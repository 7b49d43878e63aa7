package record_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"io"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
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

// kinds returns the kinds of evs, those in only (all when empty).
func kinds(evs []record.Event, only ...record.Kind) []record.Kind {
	var out []record.Kind
	for _, e := range evs {
		if len(only) == 0 || slices.Contains(only, e.Kind) {
			out = append(out, e.Kind)
		}
	}
	return out
}

func (e *events) list() []record.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.all)
}

// TestMotionKinds: the object moving from 3 s to 5 s is one MotionStart
// at 3 s, with the area it changed and the frame as a JPEG, and one
// MotionEnd Post after its last motion; its clip is opened and closed
// under one path; the camera is up at the first frame and down at the
// source's end; every event has the camera's name and the time it was
// told at.
func TestMotionKinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := record.Config{Name: "door", Pre: time.Second, Post: 2 * time.Second, Motion: &motion.Config{}}
		rec, paths, ev := runEvents(t, scene{seconds: 10, object: true}, c)
		require.Len(t, paths, 1)
		all := ev.list()
		assert.Equal(t, []record.Kind{record.CameraUp, record.MotionStart, record.ClipOpened, record.MotionEnd, record.ClipClosed, record.CameraDown},
			kinds(all, record.CameraUp, record.MotionStart, record.ClipOpened, record.MotionEnd, record.ClipClosed, record.CameraDown))
		for _, e := range all {
			assert.Equal(t, "door", e.Camera, "%s", e.Kind)
			assert.False(t, e.Time.Before(start), "%s at %v", e.Kind, e.Time)
		}
		ms, me := ev.of(record.MotionStart)[0], ev.of(record.MotionEnd)[0]
		assert.InDelta(t, 3.0, ms.Start.Sub(start).Seconds(), 0.1, "motion starts with the object")
		assert.InDelta(t, 5.0, me.Start.Sub(start).Seconds(), 0.1, "the last frame with motion")
		assert.GreaterOrEqual(t, me.Time.Sub(me.Start), c.Post, "the end is told Post after the last motion")
		assert.Greater(t, ms.Area, 0.0)
		assert.Less(t, ms.Area, 0.2, "a 40x40 object in 320x240 (an area from 0 to 1)")
		assert.GreaterOrEqual(t, me.Area, ms.Area, "the largest area of the motion")
		img, err := jpeg.Decode(bytes.NewReader(ms.Snapshot))
		require.NoError(t, err, "the snapshot is a JPEG")
		assert.Equal(t, 320, img.Bounds().Dx())
		assert.Equal(t, paths[0], ev.of(record.ClipOpened)[0].Path)
		assert.Equal(t, "motion", ev.of(record.ClipOpened)[0].Trigger)
		assert.Equal(t, paths[0], ev.of(record.ClipClosed)[0].Path)
		assert.False(t, rec.Status().Motion, "no motion at the end")

		js, err := json.Marshal(ms)
		require.NoError(t, err)
		assert.NotContains(t, string(js), "Snapshot", "the snapshot is not in the JSON")
		assert.Contains(t, string(js), `"event":"motion_start","camera":"door"`)
	})
}

// TestMotionStatus: Status().Motion is on from the first frame with
// motion to Post after the last.
func TestMotionStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		seen := map[int]bool{}
		at := func(n int) func() { return func() { seen[n] = rec.Status().Motion } }
		src := scene{seconds: 9, object: true, hooks: map[int]func(){80: at(80), 100: at(100), 170: at(170), 240: at(240)}}
		rec, err := record.New(record.Config{Source: src, Mode: record.Events, Post: 2 * time.Second, Motion: &motion.Config{},
			Pattern: filepath.Join(t.TempDir(), "%H%M%S.omv")})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		assert.Equal(t, map[int]bool{80: false, 100: true, 170: true, 240: false}, seen)
	})
}

// tinySource sends n 8x8 grey frames, one every interval.
type tinySource struct {
	n        int
	interval time.Duration
}

func (s tinySource) Run(ctx context.Context, emit func(*record.Frame) error) error {
	f := &record.Frame{Image: imageio.Image{Width: 8, Height: 8, Format: container.Grayscale, Data: make([]byte, 64)}}
	for i := range s.n {
		time.Sleep(s.interval)
		f.Data[0] = byte(i)
		if err := emit(f); err != nil {
			return err
		}
	}
	return io.EOF
}

// TestSlowNotify: a Notify that blocks holds up neither the frames nor
// the files: the recording is written and closed while Notify is stuck
// in its first event; past MaxQueuedEvents, events are dropped and
// counted, and the others are told, in order, once Notify returns.
func TestSlowNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		release := make(chan struct{})
		var told atomic.Int64
		var ev events
		const frames = 1500
		rec, err := record.New(record.Config{
			Source: tinySource{n: frames, interval: 10 * time.Millisecond}, Pattern: filepath.Join(dir, "%H%M%S.omv"),
			Sync: time.Nanosecond, SplitEvery: time.Second,
			Notify: func(e record.Event) {
				if told.Add(1) == 1 {
					<-release
				}
				ev.add(e)
			},
		})
		require.NoError(t, err)
		done := make(chan error)
		go func() { done <- rec.Run(t.Context()) }()
		time.Sleep(time.Duration(frames+10) * 10 * time.Millisecond)
		synctest.Wait()
		st := rec.Status()
		assert.EqualValues(t, frames, st.FramesIn, "every frame came while Notify was stuck")
		assert.GreaterOrEqual(t, st.Clips, 14, "the clips were written and closed while Notify was stuck")
		assert.Zero(t, st.Dropped, "no frame lost")
		assert.Positive(t, st.EventsDropped, "more than MaxQueuedEvents waited")
		assert.EqualValues(t, 1, told.Load(), "Notify is still in its first event")
		close(release)
		require.NoError(t, <-done)
		assert.GreaterOrEqual(t, told.Load(), int64(record.MaxQueuedEvents+1), "the queued events are told")
		assert.Less(t, told.Load(), int64(record.MaxQueuedEvents+10), "the dropped ones are not: only those after the release")
		all := ev.list()
		assert.Equal(t, record.CameraUp, all[0].Kind, "in order")
		for i := 1; i < len(all); i++ {
			assert.False(t, all[i].Time.Before(all[i-1].Time), "in order")
		}
	})
}

// flakySource fails at once, delivers and stalls, fails again (an
// outage already told), and delivers to its end.
func flakySource() record.Source {
	var runs int
	refused := errors.New("connection refused")
	return record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		runs++
		switch runs {
		case 1, 3:
			return refused
		case 2:
			if err := (tinySource{n: 5, interval: 10 * time.Millisecond}).Run(ctx, emit); err != io.EOF {
				return err
			}
			<-ctx.Done() // no frame: stalled
			return ctx.Err()
		}
		return tinySource{n: 5, interval: 10 * time.Millisecond}.Run(ctx, emit)
	})
}

// cameraKinds are the kinds flakySource makes, in order.
var cameraKinds = []record.Kind{record.CameraDown, record.CameraUp, record.CameraStalled, record.CameraUp, record.CameraDown}

// TestCameraKinds: flakySource is down, up, stalled, up and down.
func TestCameraKinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ev events
		rec, err := record.New(record.Config{Name: "yard", Source: flakySource(), Stall: time.Second, Notify: ev.add,
			Pattern: filepath.Join(t.TempDir(), "%H%M%S.omv")})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		all := ev.list()
		cam := []record.Kind{record.CameraUp, record.CameraDown, record.CameraStalled}
		assert.Equal(t, cameraKinds, kinds(all, cam...))
		assert.Contains(t, ev.of(record.CameraDown)[0].Err, "connection refused")
		assert.Contains(t, ev.of(record.CameraStalled)[0].Err, "no frame")
		assert.Contains(t, ev.of(record.CameraDown)[1].Err, "ended")
	})
}

// TestRetryKinds: Retry (and so Live) tells of the same source as a
// Recorder does, with RetryOptions.Name as the camera.
func TestRetryKinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ev events
		src := record.Retry(flakySource(), record.RetryOptions{Name: "yard", Stall: time.Second, Notify: ev.add})
		frames := 0
		require.ErrorIs(t, src.Run(t.Context(), func(*record.Frame) error { frames++; return nil }), io.EOF)
		assert.Equal(t, 10, frames)
		all := ev.list()
		assert.Equal(t, cameraKinds, kinds(all))
		for _, e := range all {
			assert.Equal(t, "yard", e.Camera)
			assert.False(t, e.Time.IsZero())
		}
		assert.Contains(t, ev.of(record.CameraStalled)[0].Err, "no frame")
	})
}

// TestDiskErrorKind: a full disk is one DiskError per outage, naming the
// clip; a clip that cannot be made at all (no permission) is a DiskError
// too, and ends Run.
func TestDiskErrorKind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		diskFullBetween(t, 300*time.Millisecond, 600*time.Millisecond)
		var ev events
		rec, err := record.New(record.Config{Source: tinySource{n: 100, interval: 10 * time.Millisecond}, Notify: ev.add,
			Pattern: filepath.Join(dir, "%H%M%S.omv")})
		require.NoError(t, err)
		require.Error(t, rec.Run(t.Context()), "a source that ended lost frames")
		de := ev.of(record.DiskError)
		require.Len(t, de, 1, "one outage, told once")
		assert.Contains(t, de[0].Err, "no space left on device")
		assert.Contains(t, de[0].Err, dir, "where")
	})
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		record.FileFault(t, func(op, name string) error {
			if op == "open" {
				return syscall.EACCES
			}
			return nil
		})
		var ev events
		rec, err := record.New(record.Config{Source: tinySource{n: 100, interval: 10 * time.Millisecond}, Notify: ev.add,
			Pattern: filepath.Join(dir, "%H%M%S.omv")})
		require.NoError(t, err)
		require.ErrorIs(t, rec.Run(t.Context()), syscall.EACCES)
		de := ev.of(record.DiskError)
		require.Len(t, de, 1)
		assert.Contains(t, de[0].Err, "permission denied")
	})
}
