package record_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/record"
)

// lockedBuffer is a log's output, read while the recorder may write it.
type lockedBuffer struct {
	mu sync.Mutex // guards b
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDiskFull: the disk is full from 3 s to 6 s of a continuous
// recording. That is no fault of the camera: it is dialled once. The
// fault is logged once, the disk is tried again after a backoff (not at
// every frame), the recording goes on in a new clip once it can, every
// frame lost is counted in Status.Dropped, and the clip cut short is told
// of by its name, not by the hidden partial's.
func TestDiskFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		failed := diskFullBetween(t, 3*time.Second, 6*time.Second)
		cam := &camera{Interval: 100 * time.Millisecond}
		var ev events
		var logged lockedBuffer
		rec, err := record.New(record.Config{
			Source:  pipeCamera(t, cam),
			Pattern: filepath.Join(dir, "%H%M%S.omv"),
			Frames:  100,
			Notify:  ev.add,
			Log:     log.New(&logged, "", 0),
		})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		t.Log(logged.String())

		assert.Equal(t, 1, cam.Conns(), "the camera is not dialled again for the disk's fault")
		assert.Equal(t, 1, strings.Count(logged.String(), "no space left on device"), "logged once")
		assert.Contains(t, logged.String(), "writing again")
		assert.LessOrEqual(t, int(failed.Load()), 3, "the disk is tried again after a backoff, not at every frame")

		paths := clips(t, dir)
		require.Len(t, paths, 2, "the clip cut short, and the one after the disk came back")
		var stored []uint64
		for _, p := range paths {
			fs := readClip(t, p)
			require.NotEmpty(t, fs, p)
			stored = append(stored, seqs(fs)...)
		}
		for i := 1; i < len(stored); i++ {
			require.Less(t, stored[i-1], stored[i], "in order, none repeated")
		}
		st := rec.Status()
		assert.Equal(t, uint64(100), st.FramesIn)
		assert.Positive(t, st.Dropped)
		assert.Equal(t, st.FramesIn, uint64(len(stored))+st.Dropped, "every frame not in a clip is counted as dropped")

		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 2)
		assert.Equal(t, paths[0], closed[0].Path)
		assert.Contains(t, closed[0].Err, paths[0], "the error names the clip")
		assert.Empty(t, closed[1].Err)
		for _, e := range ev.all {
			assert.NotContains(t, e.Path+e.Err, ".partial", "%s", e)
		}
		assert.NotContains(t, logged.String(), ".partial")
		assert.Contains(t, st.LastError, "no space left on device")
		partials, _ := filepath.Glob(filepath.Join(dir, ".*"))
		assert.Empty(t, partials)
	})
}

// omvStream returns an OMV stream of n 8x8 grey frames, each holding its
// number.
func omvStream(t *testing.T, n int) []byte {
	var b bytes.Buffer
	zw := container.NewWriter(&b)
	for i := range n {
		require.NoError(t, zw.WriteFrame(&container.Header{Width: 8, Height: 8, Format: container.Grayscale, Size: 64, Elapsed: 33 * time.Millisecond},
			bytes.Repeat([]byte{byte(i)}, 64)))
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// TestDiskFullOneShot: a pipe's frames lost to a full disk cannot come
// again: Run says so with an error matching ErrWrite and the disk's, and
// counts them.
func TestDiskFullOneShot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		writes := 0
		record.FileFault(t, func(op, name string) error {
			if op == "write" {
				if writes++; writes > 4 {
					return syscall.ENOSPC
				}
			}
			return nil
		})
		// The pipe at a camera's pace: the writer, which writes the frames
		// it finds in the ring in one write, writes them a batch
		// (writeBatch, about 3 frames) at a time.
		omv := record.OMV(bytes.NewReader(omvStream(t, 30)))
		src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
			return omv.Run(ctx, func(f *record.Frame) error {
				time.Sleep(33 * time.Millisecond)
				return emit(f)
			})
		})
		rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(dir, "rec.omv")})
		require.NoError(t, err)
		err = rec.Run(t.Context())
		require.ErrorIs(t, err, record.ErrWrite)
		require.ErrorIs(t, err, syscall.ENOSPC)
		st := rec.Status()
		kept := len(readClip(t, filepath.Join(dir, "rec.omv")))
		assert.Positive(t, kept)
		assert.Equal(t, uint64(30), st.FramesIn)
		assert.Equal(t, uint64(30-kept), st.Dropped)
		assert.Contains(t, err.Error(), "frames lost")
	})
}

// TestNotifyCallsBack: Notify may call Status and Trigger; it is told
// once the Recorder holds no lock, and sees the state the event tells of.
func TestNotifyCallsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec *record.Recorder
		dir := t.TempDir()
		var ev events
		recording := 0
		rec, err := record.New(record.Config{
			Source: scene{seconds: 4, hooks: map[int]func(){30: func() { rec.Trigger("") }}},
			Mode:   record.Events, Post: time.Second, Sync: 200 * time.Millisecond, Pattern: filepath.Join(dir, "%H%M%S.omv"),
			Notify: func(e record.Event) {
				st := rec.Status()
				if e.Kind == record.Synced && st.Recording && st.Clip == e.Path {
					recording++
				}
				if e.Kind == record.Synced { // a clip is open: this extends its event
					rec.Trigger("notify")
				}
				ev.add(e)
			},
		})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		require.NotEmpty(t, ev.of(record.Synced))
		assert.Equal(t, len(ev.of(record.Synced)), recording, "Status in Notify sees the clip synced")
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 1, "the triggers from Notify extend the event")
		assert.Equal(t, "manual", closed[0].Trigger)
	})
}

// TestSlowDisk: while the disk holds the writer in a write (here, the
// clip a trigger starts), Trigger and Status answer at once.
func TestSlowDisk(t *testing.T) {
	held := holdOp(t, "write")
	frames := make(chan struct{}, 16)
	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		f := &record.Frame{Image: imageio.Image{Width: 8, Height: 8, Format: container.Grayscale, Data: make([]byte, 64)}}
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case _, ok := <-frames:
				if !ok {
					return io.EOF
				}
				if err := emit(f); err != nil {
					return err
				}
			}
		}
	})
	dir := t.TempDir()
	rec, err := record.New(record.Config{Source: src, Mode: record.Events, Pre: time.Second, Post: time.Hour, Stall: time.Hour,
		Pattern: filepath.Join(dir, "rec.omv")})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- rec.Run(context.Background()) }()
	for range 3 {
		frames <- struct{}{}
	}
	require.Eventually(t, func() bool { return rec.Status().FramesIn == 3 }, 10*time.Second, time.Millisecond)
	held.armed.Store(true)
	triggered := make(chan struct{})
	go func() { rec.Trigger("test"); close(triggered) }()
	select {
	case <-held.entered: // Trigger writes the clip itself
	case <-triggered:
		frames <- struct{}{} // the next frame starts the clip
		<-held.entered
	}
	answered := make(chan record.Status, 1)
	go func() { rec.Trigger("again"); answered <- rec.Status() }()
	select {
	case st := <-answered:
		assert.Equal(t, uint64(4), st.FramesIn)
	case <-time.After(10 * time.Second):
		t.Error("Status and Trigger waited for the disk")
	}
	close(held.release)
	close(frames)
	require.NoError(t, <-done)
	got := readClip(t, filepath.Join(dir, "rec.omv"))
	assert.Len(t, got, 4)
}

// TestSplitNamesFirstFrame: at a split, the next clip takes its name only
// with its first frame: at no moment is there a clip of only a header,
// which is what a kill at that moment would leave.
func TestSplitNamesFirstFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		var empty []string
		record.FileFault(t, func(op, name string) error {
			if op != "write" {
				return nil
			}
			paths, _ := filepath.Glob(filepath.Join(dir, "*.omv"))
			for _, p := range paths {
				if fi, err := os.Stat(p); err == nil && fi.Size() <= container.MagicSize {
					empty = append(empty, p)
				}
			}
			return nil
		})
		cam := &camera{Interval: 100 * time.Millisecond}
		rec, err := record.New(record.Config{Source: pipeCamera(t, cam), Pattern: filepath.Join(dir, "%H%M%S.omv"),
			Frames: 50, SplitEvery: time.Second})
		require.NoError(t, err)
		require.NoError(t, rec.Run(t.Context()))
		assert.Empty(t, empty, "clips named before their first frame")
		paths := clips(t, dir)
		require.Len(t, paths, 5)
		n := 0
		for _, p := range paths {
			n += len(readClip(t, p))
		}
		assert.Equal(t, 50, n)
	})
}

// TestDiskFullEvent: the disk is full from 3 s to 5 s of an event; the
// event goes on in a new clip once the disk takes it (tried at 4 s, then
// at 6 s), and the frames of the event in neither clip are the ones
// counted as dropped.
func TestDiskFullEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		diskFullBetween(t, 3*time.Second, 5*time.Second)
		var rec *record.Recorder
		var ev events
		rec, err := record.New(record.Config{Source: scene{seconds: 8, hooks: map[int]func(){sceneFPS: func() { rec.Trigger("") }}},
			Mode: record.Events, Pre: 500 * time.Millisecond, Post: time.Minute, Pattern: filepath.Join(dir, "%H%M%S.omv"), Notify: ev.add})
		require.NoError(t, err)
		require.ErrorIs(t, rec.Run(t.Context()), record.ErrWrite, "the scene ends, as a file does: its lost frames are an error")
		paths := clips(t, dir)
		require.Len(t, paths, 2)
		f1, l1, n1 := frameRange(t, paths[0])
		f2, l2, n2 := frameRange(t, paths[1])
		assert.InDelta(t, sceneFPS/2, f1, 1, "from Pre before the trigger")
		// The frames waiting for their batch when the disk fails are lost.
		batch := int(record.WriteBatch * sceneFPS / time.Second) // frames
		assert.True(t, l1 >= 3*sceneFPS-batch-1 && l1 <= 3*sceneFPS+1, "to the disk's failure: frame %d, want %d less at most a batch (%d)", l1, 3*sceneFPS, batch)
		assert.InDelta(t, 6*sceneFPS, f2, 3, "again after the backoff: 1 s (full still), then 2 s")
		assert.Equal(t, 8*sceneFPS-1, l2, "to the end")
		st := rec.Status()
		assert.Equal(t, uint64(l2-f1+1-n1-n2), st.Dropped, "the event's frames in no clip")
		closed := ev.of(record.ClipClosed)
		require.Len(t, closed, 2)
		assert.Contains(t, closed[0].Err, "no space left on device")
		assert.Equal(t, "manual", closed[1].Trigger)
	})
}

// numbered is a 64x64 grey frame holding its number in its first byte.
func numbered(i int) *record.Frame {
	return &record.Frame{Image: imageio.Image{Width: 64, Height: 64, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, 64*64)}}
}

// stepSource sends a numbered frame each time frames gives it one, and
// tells handled once the Recorder has taken it (emit returned); it ends
// when frames is closed.
func stepSource(frames <-chan struct{}, handled chan<- struct{}) record.Source {
	return record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case _, ok := <-frames:
				if !ok {
					return io.EOF
				}
				if err := emit(numbered(i)); err != nil {
					return err
				}
				if handled != nil {
					handled <- struct{}{}
				}
			}
		}
	})
}

// TestDiskBlocked: a write or an fsync that blocks (an SD card's) holds
// up no frame: while the writer is stuck in it, each frame the source
// sends goes into the ring at once and Status.FramesIn counts it; once the
// disk answers, the clip holds every frame, in order.
func TestDiskBlocked(t *testing.T) {
	for _, op := range []string{"write", "sync"} {
		t.Run(op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				held := holdOp(t, op)
				frames, handled := make(chan struct{}), make(chan struct{})
				dir := t.TempDir()
				rec, err := record.New(record.Config{Source: stepSource(frames, handled), Pattern: filepath.Join(dir, "rec.omv"),
					Sync: time.Millisecond, Stall: time.Hour})
				require.NoError(t, err)
				done := make(chan error, 1)
				go func() { done <- rec.Run(context.Background()) }()
				send := func() {
					time.Sleep(time.Millisecond) // a sync is due at each frame
					frames <- struct{}{}
				}
				for range 3 {
					send()
					<-handled
				}
				synctest.Wait() // the writer has written them
				held.armed.Store(true)
				for i := 3; i < 54; i++ {
					send()
					if i == 3 {
						<-held.entered // the writer is stuck in the disk with frame 3
					}
					synctest.Wait()
					select {
					case <-handled:
					default:
						t.Fatalf("frame %d waited for the disk", i)
					}
					require.Equal(t, uint64(i+1), rec.Status().FramesIn)
				}
				close(held.release)
				close(frames)
				require.NoError(t, <-done)
				got := readClip(t, filepath.Join(dir, "rec.omv"))
				require.Len(t, got, 54)
				for i, f := range got {
					require.Equal(t, byte(i), f.data[0], "frame %d", i)
				}
				assert.Zero(t, rec.Status().Dropped)
			})
		})
	}
}

// TestWriterOverrun: a writer stuck so long that the ring overwrites the
// frames it has not written: those frames are counted in Status.Dropped
// and logged once, the clip holds the rest in order, and the source,
// which ends, makes Run say that frames were lost.
func TestWriterOverrun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		held := holdOp(t, "write")
		held.armed.Store(true)
		frames := make(chan struct{})
		dir := t.TempDir()
		var logged lockedBuffer
		// 15 frames of 4 KiB fit in the ring.
		rec, err := record.New(record.Config{Source: stepSource(frames, nil), Mode: record.Events, Pre: time.Second, Post: time.Hour,
			PreSize: 64 << 10, Stall: time.Hour, Pattern: filepath.Join(dir, "rec.omv"), Log: log.New(&logged, "", 0)})
		require.NoError(t, err)
		rec.Trigger("test") // the event starts with the first frame
		done := make(chan error, 1)
		go func() { done <- rec.Run(context.Background()) }()
		for range 100 {
			frames <- struct{}{}
		}
		synctest.Wait()
		assert.Equal(t, uint64(100), rec.Status().FramesIn, "the frames went on while the writer was stuck")
		close(held.release)
		close(frames)
		err = <-done
		require.ErrorIs(t, err, record.ErrWrite)
		require.ErrorIs(t, err, circular.ErrOverrun)
		got := readClip(t, filepath.Join(dir, "rec.omv"))
		require.NotEmpty(t, got)
		assert.Less(t, len(got), 20, "what the ring held")
		for i, f := range got {
			require.Equal(t, byte(100-len(got)+i), f.data[0], "the newest frames, in order")
		}
		st := rec.Status()
		assert.Equal(t, uint64(100-len(got)), st.Dropped, "every frame not in the clip is counted")
		assert.Equal(t, 1, strings.Count(logged.String(), "fell behind"), logged.String())
	})
}

// A heldOp makes the Recorder's next file operation of one kind, once
// armed, wait until release is closed: a disk that hangs. entered gets a
// value when the operation is held.
type heldOp struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

// holdOp installs a heldOp on op ("write", "sync"...) for t's Recorders.
func holdOp(t *testing.T, op string) *heldOp {
	h := &heldOp{entered: make(chan struct{}, 1), release: make(chan struct{})}
	record.FileFault(t, func(o, name string) error {
		if o == op && h.armed.CompareAndSwap(true, false) {
			h.entered <- struct{}{}
			<-h.release
		}
		return nil
	})
	return h
}

// diskFullBetween makes every write of a clip fail with ENOSPC (half its
// bytes written, as a full disk does) from from to to after now, on the
// test's clock, and returns the count of writes it failed.
func diskFullBetween(t *testing.T, from, to time.Duration) *atomic.Int32 {
	start := time.Now()
	var failed atomic.Int32
	record.FileFault(t, func(op, name string) error {
		if el := time.Since(start); op == "write" && el >= from && el < to {
			failed.Add(1)
			return syscall.ENOSPC
		}
		return nil
	})
	return &failed
}
