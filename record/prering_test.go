package record_test

import (
	"context"
	"encoding/binary"
	"io"
	"log"
	"path/filepath"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/record"
)

// preCamera is a camera of frames of size bytes (grey, width x height)
// at fps, for n frames; each frame's first 8 bytes hold its number. At
// frame triggerAt it measures the heap (held) and calls trigger.
type preCamera struct {
	width, height, fps, n, triggerAt int
	trigger                          func()
	heap                             uint64 // bytes in use on the heap before the trigger
}

func (c *preCamera) Run(ctx context.Context, emit func(*record.Frame) error) error {
	f := &record.Frame{Image: imageio.Image{Width: c.width, Height: c.height, Format: container.Grayscale, Data: make([]byte, c.width*c.height)}}
	tick := time.Now()
	for i := range c.n {
		tick = tick.Add(time.Second / time.Duration(c.fps))
		time.Sleep(time.Until(tick))
		if i == c.triggerAt {
			c.heap = heapInUse()
			c.trigger()
		}
		binary.BigEndian.PutUint64(f.Data, uint64(i))
		if err := emit(f); err != nil {
			return err
		}
	}
	return io.EOF
}

// heapInUse is the heap's live bytes after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// preResult is what preRun saw.
type preResult struct {
	heap        uint64 // bytes the recorder holds on the heap just before the trigger
	ring        int    // the ring's size then
	first, last int    // the frame numbers of the clip the trigger made
	dropped     uint64
	log         string
}

// preRun records cam in the Events mode with Pre pre (Post 2 s) and a
// PreSize of preSize.
func preRun(t *testing.T, cam *preCamera, pre time.Duration, preSize int) preResult {
	t.Helper()
	dir := t.TempDir()
	var (
		rec    *record.Recorder
		res    preResult
		logged lockedBuffer
	)
	cam.trigger = func() {
		res.ring = record.RingSize(rec)
		rec.Trigger("test")
	}
	base := heapInUse()
	rec, err := record.New(record.Config{Source: cam, Mode: record.Events, Pre: pre, PreSize: preSize, Post: 2 * time.Second,
		Pattern: filepath.Join(dir, "%H%M%S.omv"), Log: log.New(&logged, "", 0)})
	require.NoError(t, err)
	require.NoError(t, rec.Run(t.Context()))
	paths := clips(t, dir)
	require.Len(t, paths, 1)
	res.first, res.last, _ = frameRange(t, paths[0])
	res.heap = cam.heap - min(base, cam.heap)
	res.dropped = rec.Status().Dropped
	res.log = logged.String()
	return res
}

// TestPreRingSized: the pre-trigger ring of 10 s of 40 KB frames at
// 30 fps holds them in about 12 MB, not the 64 MiB of PreSize's
// default, and a trigger still saves all 10 s. The heap the recorder
// holds is logged (go test -run TestPreRingSized -v ./record): 71 MB
// with the fixed ring of 64 MiB.
func TestPreRingSized(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam := &preCamera{width: 200, height: 200, fps: 30, n: 12 * 30, triggerAt: 11 * 30}
		res := preRun(t, cam, 10*time.Second, 0)
		t.Logf("10 s of 40 KB frames at 30 fps: a ring of %.1f MB, %.1f MB of heap held by the recorder", float64(res.ring)/1e6, float64(res.heap)/1e6)
		assert.GreaterOrEqual(t, res.ring, 300*40_000, "10 s of them")
		assert.LessOrEqual(t, res.ring, 300*40_000*5/4, "about 12 MB, not 64 MiB")
		assert.Less(t, res.heap, uint64(20e6))
		assert.InDelta(t, cam.triggerAt-10*cam.fps, res.first, 1, "all 10 s before the trigger")
		assert.Equal(t, cam.n-1, res.last)
		assert.Zero(t, res.dropped)
		assert.Empty(t, res.log)
	})
}

// TestPreRingGrows: frames larger than the ring it starts with are kept,
// and the ring grows to hold Pre of them, but never past PreSize.
func TestPreRingGrows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 1.5 MB frames at 2 fps: the first is larger than InitialPreSize.
		cam := &preCamera{width: 1000, height: 1500, fps: 2, n: 16, triggerAt: 14}
		res := preRun(t, cam, 5*time.Second, 0)
		assert.GreaterOrEqual(t, res.ring, 10*1_500_000, "5 s of them")
		assert.LessOrEqual(t, res.ring, 10*1_500_000*5/4)
		assert.Equal(t, cam.triggerAt-5*cam.fps, res.first, "all 5 s before the trigger")
		assert.Equal(t, cam.n-1, res.last)
		assert.Zero(t, res.dropped, "no frame too large for the ring")
	})
	synctest.Test(t, func(t *testing.T) {
		cam := &preCamera{width: 200, height: 200, fps: 30, n: 12 * 30, triggerAt: 11 * 30}
		res := preRun(t, cam, 10*time.Second, 4<<20)
		assert.Equal(t, 4<<20, res.ring, "PreSize bounds it")
		assert.Greater(t, res.first, cam.triggerAt-10*cam.fps+1, "what PreSize holds, less than Pre")
		assert.Contains(t, res.log, "raise PreSize")
	})
}

// TestPreRingGrowsForStuckWriter: while the writer is stuck in the disk
// during an event, or in a continuous recording, the ring grows (up to
// PreSize or ContinuousRingSize) to hold the frames it has not written,
// rather than make them wait or overwrite them.
func TestPreRingGrowsForStuckWriter(t *testing.T) {
	for name, mode := range map[string]record.Mode{"events": record.Events, "continuous": record.Continuous} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				held := holdOp(t, "write")
				held.armed.Store(true)
				frames := make(chan struct{})
				dir := t.TempDir()
				// No Pre: only the writer's need makes the ring grow.
				c := record.Config{Source: stepSource(frames, nil), Mode: mode, Stall: time.Hour, Pattern: filepath.Join(dir, "rec.omv")}
				if mode == record.Events {
					c.Post = time.Hour
				}
				rec, err := record.New(c)
				require.NoError(t, err)
				rec.Trigger("test")
				done := make(chan error, 1)
				go func() { done <- rec.Run(context.Background()) }()
				start := time.Now()
				const n = 600 // 2.4 MB of 4 KiB frames: more than InitialPreSize
				for range n {
					frames <- struct{}{}
				}
				synctest.Wait()
				assert.Equal(t, uint64(n), rec.Status().FramesIn)
				assert.Zero(t, time.Since(start), "no frame waited for the disk")
				assert.Greater(t, record.RingSize(rec), n*4096, "the ring grew to hold them")
				close(held.release)
				close(frames)
				require.NoError(t, <-done)
				got := readClip(t, filepath.Join(dir, "rec.omv"))
				require.Len(t, got, n)
				for i, f := range got {
					require.Equal(t, byte(i), f.data[0], "frame %d", i)
				}
				assert.Zero(t, rec.Status().Dropped)
			})
		})
	}
}

// TestContinuousRingSized: a continuous recording whose disk keeps up
// holds a ring of about InitialPreSize, not ContinuousRingSize (32 MiB:
// 49 MB of RSS a camera in bench's TestAgainstMotion before); frames
// larger than that ring are kept whole, the ring growing for them. No
// frame is lost either way.
func TestContinuousRingSized(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		width, height, fps, n int
		atLeast, atMost       int
	}{
		{"40KB-30fps", 200, 200, 30, 12 * 30, 0, 2 * record.InitialPreSize},
		{"1.5MB-2fps", 1000, 1500, 2, 10, 1_500_000, 4 * 1_500_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				var rec *record.Recorder
				ring := 0
				cam := &preCamera{width: tc.width, height: tc.height, fps: tc.fps, n: tc.n, triggerAt: tc.n - 1,
					trigger: func() { ring = record.RingSize(rec) }}
				var err error
				rec, err = record.New(record.Config{Source: cam, Pattern: filepath.Join(dir, "rec.omv")})
				require.NoError(t, err)
				require.NoError(t, rec.Run(t.Context()))
				t.Logf("%d frames of %d bytes at %d fps: a ring of %.1f MB", tc.n, tc.width*tc.height, tc.fps, float64(ring)/1e6)
				assert.GreaterOrEqual(t, ring, tc.atLeast)
				assert.LessOrEqual(t, ring, tc.atMost)
				got := readClip(t, filepath.Join(dir, "rec.omv"))
				require.Len(t, got, tc.n)
				for i, f := range got {
					require.Equal(t, uint64(i), binary.BigEndian.Uint64(f.data), "frame %d", i)
				}
				assert.Zero(t, rec.Status().Dropped)
			})
		})
	}
}
