package imageio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/bufferio"
	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// fakeClock is a Clock whose time moves only when told or slept on.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

// goldenFrames reads the frames of a golden file with their headers.
func goldenFrames(t *testing.T, name string) ([]container.Header, []*imageio.Image) {
	t.Helper()
	f, err := os.Open(testkit.GoldenPath(name))
	require.NoError(t, err)
	defer f.Close()
	zr, err := container.NewReader(f)
	require.NoError(t, err)
	var hs []container.Header
	var ms []*imageio.Image
	for {
		h, p, err := zr.ReadFrame(nil)
		if err == io.EOF {
			return hs, ms
		}
		require.NoError(t, err)
		hs = append(hs, *h)
		m := imageio.ImageOf(h, p)
		m.Time = zr.Time()
		ms = append(ms, &m)
	}
}

// pixels returns m without its timing, for comparing what was written
// with what is read back when the times are not the point.
func pixels(m *imageio.Image) imageio.Image {
	c := *m
	c.Elapsed, c.Time = 0, 0
	return c
}

// TestOpenMVUnitTest is OpenMV's ImageIO unit test in Go: three 40x40
// RGB565 images and two 30x30 grayscale images written to a file stream and
// read back identical. Written at the golden files' times, the files come
// out byte for byte as the golden ones.
func TestOpenMVUnitTest(t *testing.T) {
	for _, name := range []string{"v20_rgb565_unittest.omv", "v20_gray_unittest.omv"} {
		t.Run(name, func(t *testing.T) {
			hs, ms := goldenFrames(t, name)
			clock := newFakeClock()
			path := filepath.Join(t.TempDir(), "stream.bin")
			s, err := imageio.Create(path, &imageio.Options{Clock: clock})
			require.NoError(t, err)
			at := clock.now
			for i, m := range ms {
				at = at.Add(hs[i].Elapsed)
				require.NoError(t, s.WriteAt(m, at))
			}
			assert.Equal(t, len(ms), s.Count())
			require.NoError(t, s.Close())
			assert.Equal(t, readFile(t, testkit.GoldenPath(name)), readFile(t, path))

			s, err = imageio.Open(path, nil)
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, container.V2_0, s.Version())
			assert.Equal(t, imageio.FileStream, s.Type())
			for i, want := range ms {
				got, err := s.Read(imageio.ReadOptions{})
				require.NoError(t, err)
				assert.Equal(t, want, got, "frame %d", i)
			}
			_, err = s.Read(imageio.ReadOptions{})
			assert.Equal(t, io.EOF, err)
			// Seek back, as the unit test does, and read again.
			require.NoError(t, s.Seek(1))
			got, err := s.Read(imageio.ReadOptions{})
			require.NoError(t, err)
			assert.Equal(t, ms[1], got)
			assert.ErrorIs(t, s.Write(ms[0]), imageio.ErrReadOnly)
		})
	}
}

// The same images through a memory stream with seek.
func TestMemoryStream(t *testing.T) {
	_, ms := goldenFrames(t, "v20_rgb565_unittest.omv")
	s, err := imageio.NewMemory(40, 40, container.RGB565, 3, nil)
	require.NoError(t, err)
	assert.Equal(t, imageio.MemoryStream, s.Type())
	assert.Equal(t, 40*40*2, s.BufferSize())
	assert.Equal(t, int64(3*(32+3200)), s.Size())
	assert.Zero(t, s.Version())
	for _, m := range ms {
		require.NoError(t, s.Write(m))
	}
	assert.Equal(t, 3, s.Count())
	err = s.Write(ms[0])
	require.ErrorIs(t, err, imageio.ErrEndOfStream)
	for _, i := range []int{2, 0, 1} {
		require.NoError(t, s.Seek(i))
		got, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, pixels(ms[i]), pixels(got))
		assert.Equal(t, i+1, s.Offset())
	}
	require.ErrorIs(t, s.Seek(4), imageio.ErrInvalidOffset)
	require.ErrorIs(t, s.Seek(-1), imageio.ErrInvalidOffset)

	// A slot holds any frame whose pixels fit, and no larger.
	require.NoError(t, s.Seek(0))
	small := &imageio.Image{Width: 30, Height: 30, Format: container.Grayscale, Data: make([]byte, 900)}
	require.NoError(t, s.Write(small))
	big := &imageio.Image{Width: 41, Height: 40, Format: container.RGB565, Data: make([]byte, 41*40*2)}
	require.NoError(t, s.Seek(1))
	require.ErrorIs(t, s.Write(big), imageio.ErrFrameTooLarge)
	require.NoError(t, s.Seek(0))
	got, err := s.Read(imageio.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, pixels(small), pixels(got))

	// JPEG slots get two bits per pixel, as in OpenMV.
	j, err := imageio.NewMemory(320, 240, container.JPEG, 2, nil)
	require.NoError(t, err)
	assert.Equal(t, 320*240/4, j.BufferSize())

	// Over a caller's buffer.
	buf := make([]byte, 2*(32+3200)+100)
	b, err := imageio.NewMemoryBuffer(buf, 40, 40, container.RGB565, nil)
	require.NoError(t, err)
	require.NoError(t, b.Write(ms[2]))
	assert.Equal(t, ms[2].Data, buf[32:32+3200], "pixels land in the caller's buffer")
	_, err = imageio.NewMemoryBuffer(make([]byte, 100), 40, 40, container.RGB565, nil)
	require.ErrorIs(t, err, imageio.ErrFrameTooLarge)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func grayFrame(i int) *imageio.Image {
	return &imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, 32)}
}

// recordFile writes frames at the given intervals with a fake clock.
func recordFile(t *testing.T, intervals []time.Duration) string {
	t.Helper()
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "rec.omv")
	s, err := imageio.Create(path, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	for i, d := range intervals {
		clock.now = clock.now.Add(d)
		require.NoError(t, s.Write(grayFrame(i)))
	}
	require.NoError(t, s.Close())
	return path
}

// TestPacedPlayback replays a recording on the system clock inside a
// synctest bubble, where time is fake: frames come out at the recorded
// intervals, without the test sleeping.
func TestPacedPlayback(t *testing.T) {
	intervals := []time.Duration{40 * time.Millisecond, 33 * time.Millisecond, 100 * time.Millisecond, 0, 2 * time.Second}
	path := recordFile(t, intervals)
	synctest.Test(t, func(t *testing.T) {
		s, err := imageio.Open(path, nil)
		require.NoError(t, err)
		defer s.Close()
		start := time.Now()
		var got []time.Duration
		m := new(imageio.Image)
		for {
			err := s.ReadInto(m, imageio.ReadOptions{Pause: true})
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			got = append(got, time.Since(start))
		}
		var want []time.Duration
		var sum time.Duration
		for i, d := range intervals {
			sum += d
			at := sum
			if i > 0 {
				at = max(at, want[i-1]+imageio.MinFramePeriod) // the floor
			}
			want = append(want, at)
		}
		assert.Equal(t, want, got, "each frame at the recorded time since the stream was opened, at least MinFramePeriod apart")

		// Looping goes round again, keeping the pace from the last frame.
		require.NoError(t, s.Seek(3))
		mark := time.Now()
		for i := range 3 {
			require.NoError(t, s.ReadInto(m, imageio.ReadOptions{Pause: true, Loop: true}))
			assert.Equal(t, byte([]int{3, 4, 0}[i]), m.Data[0])
		}
		assert.Equal(t, intervals[3]+intervals[4]+intervals[0], time.Since(mark))

		// Without pause, as fast as asked.
		require.NoError(t, s.Seek(0))
		mark = time.Now()
		for range intervals {
			require.NoError(t, s.ReadInto(m, imageio.ReadOptions{}))
		}
		assert.Zero(t, time.Since(mark))
		assert.Equal(t, io.EOF, s.ReadInto(m, imageio.ReadOptions{}))
	})
}

func TestPausedReadCancels(t *testing.T) {
	path := recordFile(t, []time.Duration{time.Hour})
	synctest.Test(t, func(t *testing.T) {
		s, err := imageio.Open(path, nil)
		require.NoError(t, err)
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m := new(imageio.Image)
		err = s.ReadContext(ctx, m, imageio.ReadOptions{Pause: true})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, s.Offset(), "a cancelled read leaves the offset")
	})
}

// TestNoDrift records 10 000 frames at 30 fps (33.333... ms apart): each
// interval is stored whole in milliseconds, and their sum stays within half
// a millisecond of the true duration.
func TestNoDrift(t *testing.T) {
	clock := newFakeClock()
	start := clock.now
	bb := bufferio.New(make([]byte, 10000*(32+32)+16))
	s, err := imageio.New(bb, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	const n = 10000
	for i := 1; i <= n; i++ {
		require.NoError(t, s.WriteAt(grayFrame(i), start.Add(time.Duration(i)*time.Second/30)))
	}
	var sum time.Duration
	// Sum the recorded intervals through the container index.
	_, err = bb.Seek(0, io.SeekStart)
	require.NoError(t, err)
	x, err := container.ReadIndex(bb)
	require.NoError(t, err, "the buffer holds exactly the stream")
	require.Len(t, x.Entries, n)
	for _, e := range x.Entries {
		sum += e.Elapsed
	}
	assert.InDelta(t, float64(n*time.Second/30), float64(sum), float64(time.Millisecond/2))
	require.ErrorIs(t, s.WriteAt(grayFrame(0), start), imageio.ErrTimeBackwards)
}

func TestWriteAfterSeekTruncates(t *testing.T) {
	path := recordFile(t, []time.Duration{1, 2, 3, 4, 5})
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	s, err := imageio.New(f, nil)
	require.NoError(t, err)
	assert.Equal(t, 5, s.Count())
	require.NoError(t, s.Seek(2))
	require.NoError(t, s.Write(grayFrame(9)))
	assert.Equal(t, 3, s.Count())
	assert.Equal(t, 3, s.Offset())
	fi, err := f.Stat()
	require.NoError(t, err)
	assert.Equal(t, s.Size(), fi.Size(), "the file is cut after the new frame")
	assert.Equal(t, int64(16+3*(32+32)), fi.Size())
	// Appending goes on from there.
	require.NoError(t, s.Write(grayFrame(10)))
	require.NoError(t, s.Close())
	r, err := imageio.Open(path, nil)
	require.NoError(t, err)
	defer r.Close()
	var got []byte
	for m, err := range r.All() {
		require.NoError(t, err)
		got = append(got, m.Data[0])
	}
	assert.Equal(t, []byte{0, 1, 9, 10}, got)
}

// TestGoldenOpen opens every golden file: valid ones read whole; damaged
// ones give their complete frames, then the damage; bad magic fails.
func TestGoldenOpen(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		t.Run(g.Name, func(t *testing.T) {
			s, err := imageio.Open(testkit.GoldenPath(g.Name), nil)
			if g.ErrorFrame == nil && !g.Valid {
				require.ErrorIs(t, err, categoryErr[g.Error])
				return
			}
			require.NoError(t, err)
			defer s.Close()
			frames := g.Frames
			if g.StrictOnly {
				frames = g.Lenient.Frames
			}
			want := len(frames)
			assert.Equal(t, want, s.Count())
			if g.Valid || g.StrictOnly {
				assert.NoError(t, s.Damage())
			} else {
				// The damage is known at once, before any frame is read.
				var fe *container.FrameError
				require.ErrorAs(t, s.Damage(), &fe)
				assert.Equal(t, *g.ErrorFrame, fe.Index)
				assert.Equal(t, g.ErrorOffset, fe.Offset)
			}
			n := 0
			for m, err := range s.All() {
				if err != nil {
					require.False(t, g.Valid || g.StrictOnly, "unexpected %v", err)
					var fe *container.FrameError
					require.ErrorAs(t, err, &fe)
					assert.Equal(t, *g.ErrorFrame, fe.Index)
					assert.Equal(t, g.ErrorOffset, fe.Offset)
					break
				}
				assert.Equal(t, frames[n].W, m.Width)
				assert.Equal(t, frames[n].Size, len(m.Data))
				n++
			}
			assert.Equal(t, want, n)
		})
	}
}

// TestRepair repairs a copy of every damaged golden file: the result reads
// whole, with the frames before the damage.
func TestRepair(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if g.Valid || g.ErrorFrame == nil {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), g.Name)
			orig := readFile(t, testkit.GoldenPath(g.Name))
			require.NoError(t, os.WriteFile(path, orig, 0o644))
			rep, err := imageio.Repair(path)
			require.NoError(t, err)
			if g.StrictOnly {
				// Damage only strict readers see: nothing to cut.
				assert.Zero(t, rep.Dropped)
				assert.NoError(t, rep.Cause)
				return
			}
			assert.Equal(t, len(g.Frames), rep.Frames)
			assert.Equal(t, g.ErrorOffset, rep.Size)
			assert.Equal(t, int64(len(orig))-g.ErrorOffset, rep.Dropped)
			var fe *container.FrameError
			require.ErrorAs(t, rep.Cause, &fe)
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			x, err := container.ReadIndex(f)
			require.NoError(t, err, "the repaired file reads whole")
			assert.Len(t, x.Entries, len(g.Frames))
			// Repairing again changes nothing.
			rep, err = imageio.Repair(path)
			require.NoError(t, err)
			assert.Zero(t, rep.Dropped)
		})
	}
	_, err := imageio.Repair(testkit.GoldenPath("bad_magic.omv"))
	require.ErrorIs(t, err, container.ErrBadMagic)
}

// TestRingSaveTo records into a ring that keeps 1 s of frames, saves the
// last 500 ms on a trigger, and goes on recording into the same file.
func TestRingSaveTo(t *testing.T) {
	clock := newFakeClock()
	s, err := imageio.NewRing(circular.FrameConfig{Size: 1 << 20, MaxAge: time.Second}, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	assert.Equal(t, imageio.RingStream, s.Type())
	for i := range 100 { // 10 s at 10 fps
		clock.now = clock.now.Add(100 * time.Millisecond)
		require.NoError(t, s.Write(grayFrame(i)))
	}
	assert.Equal(t, 10, s.Count(), "1 s of frames held")
	var file bytes.Buffer
	clip, err := s.SaveTo(&file, 500*time.Millisecond)
	require.NoError(t, err)
	for i := 100; i < 105; i++ {
		clock.now = clock.now.Add(100 * time.Millisecond)
		require.NoError(t, s.Write(grayFrame(i)))
		n, err := clip.Flush()
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	}
	assert.Equal(t, []byte{95, 96, 97, 98, 99, 100, 101, 102, 103, 104}, firstBytes(t, &file, 100*time.Millisecond))

	// Continue splits the recording: the frames after the split go into a
	// second file, none lost or repeated.
	var second bytes.Buffer
	next, err := clip.Continue(&second)
	require.NoError(t, err)
	for i := 105; i < 108; i++ {
		clock.now = clock.now.Add(100 * time.Millisecond)
		require.NoError(t, s.Write(grayFrame(i)))
	}
	n, err := next.Flush()
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, 10, clip.Frames(), "5 saved and 5 flushed")
	assert.Equal(t, 3, next.Frames())
	assert.Equal(t, 900*time.Millisecond, clip.Span(), "frames 95 to 104")
	assert.Equal(t, 200*time.Millisecond, next.Span(), "frames 105 to 107")
	assert.Zero(t, file.Len(), "nothing went into the first file after the split (its frames were read above)")
	assert.Equal(t, []byte{105, 106, 107}, firstBytes(t, &second, 100*time.Millisecond))

	// Reading a ring: from the oldest frame held, 1 s before the newest.
	require.NoError(t, s.Seek(0))
	m, err := s.Read(imageio.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, byte(98), m.Data[0])
	assert.Equal(t, 1, s.Offset())

	_, err = imageio.NewRing(circular.FrameConfig{Size: 100}, &imageio.Options{Version: container.V1_1})
	require.ErrorIs(t, err, container.ErrUnsupportedVersion)
	plain, err := imageio.NewMemory(8, 4, container.Grayscale, 1, nil)
	require.NoError(t, err)
	_, err = plain.SaveTo(io.Discard, 0)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = imageio.NewMemory(8, 4, container.Grayscale, 0, nil)
	require.ErrorIs(t, err, imageio.ErrInvalidCount)
}

// firstBytes reads the recording r and returns each frame's first byte,
// checking that each frame came interval after the one before.
func firstBytes(t *testing.T, r io.Reader, interval time.Duration) []byte {
	t.Helper()
	zr, err := container.NewReader(r)
	require.NoError(t, err)
	var got []byte
	for {
		h, p, err := zr.ReadFrame(nil)
		if err == io.EOF {
			return got
		}
		require.NoError(t, err)
		assert.Equal(t, interval, h.Elapsed)
		got = append(got, p[0])
	}
}

// lockedBuffer is a bytes.Buffer that a test can read while Follow writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// countFrames counts the complete frames of a recording.
func countFrames(t *testing.T, data []byte) int {
	t.Helper()
	zr, err := container.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	n := 0
	for {
		_, _, err := zr.ReadFrame(nil)
		if err != nil {
			return n
		}
		n++
	}
}

func TestClipFollow(t *testing.T) {
	s, err := imageio.NewRing(circular.FrameConfig{Size: 1 << 16}, nil)
	require.NoError(t, err)
	var file lockedBuffer
	clip, err := s.SaveTo(&file, 0)
	require.NoError(t, err)
	assert.Len(t, file.Bytes(), 16, "an empty ring saves an empty recording")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- clip.Follow(ctx) }()
	for i := range 5 {
		require.NoError(t, s.Write(grayFrame(i)))
	}
	// Follow copies frames as they are recorded, while it runs.
	require.Eventually(t, func() bool { return countFrames(t, file.Bytes()) == 5 }, 10*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	zr, err := container.NewReader(bytes.NewReader(file.Bytes()))
	require.NoError(t, err)
	for i := range 5 {
		_, p, err := zr.ReadFrame(nil)
		require.NoError(t, err)
		assert.Equal(t, byte(i), p[0])
	}
	_, _, err = zr.ReadFrame(nil)
	assert.Equal(t, io.EOF, err)
}

// categoryErr maps the manifest's error categories of files that do not
// open at all to the errors they give.
var categoryErr = map[string]error{
	"bad_magic":           container.ErrBadMagic,
	"unsupported_version": container.ErrUnsupportedVersion,
	"truncated_header":    container.ErrTruncatedHeader,
}

// TestOpenNeverWrites opens an empty file and an all-zero one for reading:
// each is an error that says what it is, and neither file is written. Open
// used to take them for fresh streams and write the magic, which failed
// with "bad file descriptor" on a read-only descriptor.
func TestOpenNeverWrites(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, container.ErrTruncatedHeader},
		{"zeros", make([]byte, 64), container.ErrBadMagic},
		{"zero magic", make([]byte, 16), container.ErrBadMagic},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.omv")
			require.NoError(t, os.WriteFile(path, c.data, 0o644))
			_, err := imageio.Open(path, nil)
			require.ErrorIs(t, err, c.want)
			assert.NotContains(t, err.Error(), "bad file descriptor")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(c.data, got), "the file is unchanged: %q", got)
		})
	}
}

// TestDamagedLoop: a damaged recording read with Loop goes round its good
// frames for ever; without Loop, the damage comes after them.
func TestDamagedLoop(t *testing.T) {
	s, err := imageio.Open(testkit.GoldenPath("truncated_header.omv"), nil)
	require.NoError(t, err)
	defer s.Close()
	n := s.Count()
	require.Positive(t, n)
	var first [][]byte
	for i := range 3 * n {
		m, err := s.Read(imageio.ReadOptions{Loop: true})
		require.NoError(t, err, "read %d", i)
		if i < n {
			first = append(first, m.Data)
		} else {
			assert.Equal(t, first[i%n], m.Data, "read %d is frame %d again", i, i%n)
		}
	}
	require.NoError(t, s.Seek(0))
	for range n {
		_, err := s.Read(imageio.ReadOptions{})
		require.NoError(t, err)
	}
	_, err = s.Read(imageio.ReadOptions{})
	var fe *container.FrameError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, n, fe.Index)
	assert.Equal(t, s.Damage(), err)
}

func TestNewOverBufferio(t *testing.T) {
	mem := make([]byte, 4096)
	s, err := imageio.New(bufferio.New(mem), &imageio.Options{Version: container.V2_1})
	require.NoError(t, err)
	require.NoError(t, s.Write(grayFrame(7)))
	assert.Equal(t, "OMV IMG STR V2.1", string(mem[:16]))
	require.NoError(t, s.Seek(0))
	m, err := s.Read(imageio.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, pixels(grayFrame(7)), pixels(m))
}

func TestClosed(t *testing.T) {
	s, err := imageio.NewMemory(8, 4, container.Grayscale, 2, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	assert.True(t, s.IsClosed())
	assert.ErrorIs(t, s.Write(grayFrame(0)), imageio.ErrClosed)
	_, err = s.Read(imageio.ReadOptions{})
	assert.ErrorIs(t, err, imageio.ErrClosed)
	assert.ErrorIs(t, s.Seek(0), imageio.ErrClosed)
	assert.ErrorIs(t, s.Sync(), imageio.ErrClosed)
}

func TestReadIntoAllocs(t *testing.T) {
	path := recordFile(t, []time.Duration{1, 2, 3})
	s, err := imageio.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	mem, err := imageio.NewMemory(8, 4, container.Grayscale, 3, nil)
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, mem.Write(grayFrame(i)))
	}
	for _, st := range []*imageio.Stream{s, mem} {
		m := &imageio.Image{Data: make([]byte, 0, 32)}
		allocs := testing.AllocsPerRun(20, func() {
			if err := st.ReadInto(m, imageio.ReadOptions{Loop: true}); err != nil {
				panic(err)
			}
		})
		assert.Zero(t, allocs, "%v", st.Type())
	}
}

func TestInvalidImage(t *testing.T) {
	s, err := imageio.NewMemory(8, 4, container.Grayscale, 2, nil)
	require.NoError(t, err)
	err = s.Write(&imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 31)})
	require.ErrorIs(t, err, container.ErrInvalidSize)
	assert.Zero(t, s.Count())
	assert.True(t, errors.Is(s.Write(&imageio.Image{Width: 8, Height: 4, Format: 7, Data: nil}), container.ErrInvalidPixFormat))
}

// TestWriteAllocs: writing a frame allocates nothing, whatever the stream
// keeps frames in.
func TestWriteAllocs(t *testing.T) {
	file, err := imageio.Create(filepath.Join(t.TempDir(), "w.omv"), nil)
	require.NoError(t, err)
	defer file.Close()
	mem, err := imageio.NewMemory(8, 4, container.Grayscale, 1, nil)
	require.NoError(t, err)
	ring, err := imageio.NewRing(circular.FrameConfig{Size: 1 << 16}, nil)
	require.NoError(t, err)
	img := grayFrame(1)
	for _, s := range []*imageio.Stream{file, mem, ring} {
		allocs := testing.AllocsPerRun(50, func() {
			if s.Type() != imageio.RingStream {
				s.Seek(0)
			}
			if err := s.Write(img); err != nil {
				panic(err)
			}
		})
		assert.Zero(t, allocs, "%v", s.Type())
	}
}

// TestPacerFloor: intervals of 0 still wait MinFramePeriod between
// frames, a schedule that is behind catches up no faster, and a done ctx
// stops Wait even when there is nothing to wait for (issue 17, item 1:
// Wait returned nil at interval 0 whatever ctx said).
func TestPacerFloor(t *testing.T) {
	clock := newFakeClock()
	p := imageio.Pacer{Clock: clock}
	require.NoError(t, p.Wait(t.Context(), 0), "the first frame at once")
	for range 3 {
		require.NoError(t, p.Wait(t.Context(), 0))
	}
	assert.Equal(t, []time.Duration{imageio.MinFramePeriod, imageio.MinFramePeriod, imageio.MinFramePeriod}, clock.slept)

	clock.slept = nil
	clock.now = clock.now.Add(time.Second) // far behind the schedule
	require.NoError(t, p.Wait(t.Context(), 0))
	require.NoError(t, p.Wait(t.Context(), 10*time.Microsecond))
	assert.Equal(t, []time.Duration{imageio.MinFramePeriod}, clock.slept, "catching up, frames still MinFramePeriod apart")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, p.Wait(ctx, 0), context.Canceled)
	p.Restart()
	require.ErrorIs(t, p.Wait(ctx, 0), context.Canceled)
}

// TestOneFrameLoop plays a one-frame recording, and one of five frames
// recorded at the same time, round and round, paced, on the fake time of
// a synctest bubble: a round takes at least MinLoopPeriod, so in one
// second the one-frame loop gives at most 1s/MinLoopPeriod+1 frames and
// the five-frame one five times that, and the read stops when its context
// ends (issue 17, item 1: it spun for ever; then, with only
// MinFramePeriod, both gave 1000 frames a second).
func TestOneFrameLoop(t *testing.T) {
	rounds := int(time.Second / imageio.MinLoopPeriod)
	for _, frames := range []int{1, 5} {
		t.Run(fmt.Sprint(frames), func(t *testing.T) {
			path := recordFile(t, make([]time.Duration, frames))
			synctest.Test(t, func(t *testing.T) {
				s, err := imageio.Open(path, nil)
				require.NoError(t, err)
				defer s.Close()
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				limit := (rounds + 1) * frames
				m := new(imageio.Image)
				n := 0
				for ; n <= limit; n++ {
					if err = s.ReadContext(ctx, m, imageio.ReadOptions{Loop: true, Pause: true}); err != nil {
						break
					}
				}
				require.ErrorIs(t, err, context.DeadlineExceeded, "%d frames read, and the deadline not seen", n)
				assert.LessOrEqual(t, n, limit)
				assert.GreaterOrEqual(t, n, rounds*frames, "the loop keeps going until the deadline")
			})
		})
	}
}

// TestPacerLoop: a round after Loop starts MinLoopPeriod after the round
// before started, and its frames are due from then; a round that takes
// longer is not held back.
func TestPacerLoop(t *testing.T) {
	clock := newFakeClock()
	p := imageio.Pacer{Clock: clock}
	ms := time.Millisecond
	require.NoError(t, p.Wait(t.Context(), 0))
	require.NoError(t, p.Wait(t.Context(), 10*ms))
	p.Loop()
	require.NoError(t, p.Wait(t.Context(), 0))
	require.NoError(t, p.Wait(t.Context(), 10*ms))
	assert.Equal(t, []time.Duration{10 * ms, 90 * ms, 10 * ms}, clock.slept)

	clock.slept = nil
	require.NoError(t, p.Wait(t.Context(), 200*ms))
	p.Loop()
	require.NoError(t, p.Wait(t.Context(), 5*ms))
	assert.Equal(t, []time.Duration{200 * ms, 5 * ms}, clock.slept, "a round of 210 ms is not held back")
}

// TestPacer: the first frame is due at once; each wait counts from the
// previous frame's due time, so the caller's work between frames is taken
// out of the next wait, and a late frame does not push the later ones
// back; a cancelled wait leaves the pace; Restart counts from now.
func TestPacer(t *testing.T) {
	clock := newFakeClock()
	p := imageio.Pacer{Clock: clock}
	ms := time.Millisecond
	require.NoError(t, p.Wait(t.Context(), 0))
	require.NoError(t, p.Wait(t.Context(), 100*ms))
	clock.now = clock.now.Add(30 * ms) // the caller's work
	require.NoError(t, p.Wait(t.Context(), 100*ms))
	clock.now = clock.now.Add(150 * ms) // late by 50 ms
	require.NoError(t, p.Wait(t.Context(), 100*ms))
	require.NoError(t, p.Wait(t.Context(), 100*ms))
	assert.Equal(t, []time.Duration{100 * ms, 70 * ms, 50 * ms}, clock.slept)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, p.Wait(ctx, 100*ms), context.Canceled)
	require.NoError(t, p.Wait(t.Context(), 100*ms))
	assert.Equal(t, 100*ms, clock.slept[len(clock.slept)-1], "the cancelled frame left the pace as it was")

	clock.now = clock.now.Add(time.Hour)
	p.Restart()
	require.NoError(t, p.Wait(t.Context(), 40*ms))
	assert.Equal(t, 40*ms, clock.slept[len(clock.slept)-1], "from the Restart, not from an hour ago")
}

// TestClipFrom: a writer that follows a ring from a frame, however late,
// ends its file at an exact frame (FlushTo), goes on in the next file with
// no frame lost or repeated, and counts the frames the ring overwrote
// before it could append them (Lost), which its file does not hold.
func TestClipFrom(t *testing.T) {
	clock := newFakeClock()
	// 64-byte chunks (a 32-byte header and 32 bytes): the ring holds 10.
	s, err := imageio.NewRing(circular.FrameConfig{Size: 640}, &imageio.Options{Clock: clock})
	require.NoError(t, err)
	write := func(from, to int) {
		for i := from; i < to; i++ {
			clock.now = clock.now.Add(100 * time.Millisecond)
			if i-from <= 10 { // after that, frame from is gone: no bound
				require.Equal(t, i-from < 10, s.Fits(from, grayFrame(i)), "frame %d fits while frames %d on are kept", i, from)
			}
			require.NoError(t, s.Write(grayFrame(i)))
		}
	}
	write(0, 6)
	r, err := s.Recent(250 * time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, imageio.Range{First: 3, Last: 5, Span: 200 * time.Millisecond, Bytes: 3 * 64}, r)

	var a, b bytes.Buffer
	clip, err := s.ClipFrom(&a, 3)
	require.NoError(t, err)
	write(6, 9)
	n, err := clip.FlushTo(6)
	require.NoError(t, err)
	assert.Equal(t, 4, n, "frames 3 to 6, not the ones after")
	assert.Equal(t, 7, clip.Next())
	next, err := clip.Continue(&b)
	require.NoError(t, err)
	assert.Equal(t, []byte{3, 4, 5, 6}, firstBytes(t, &a, 100*time.Millisecond))
	assert.Equal(t, 4, clip.Frames())

	write(9, 25) // frames 7 to 14 are overwritten before the writer comes
	n, err = next.FlushTo(20)
	require.ErrorIs(t, err, circular.ErrOverrun)
	assert.Equal(t, 14, n, "frames 7 to 20")
	assert.Equal(t, 8, next.Lost())
	assert.Equal(t, 6, next.Frames(), "frames 15 to 20 in the file; the lost ones are not")
	assert.Equal(t, 500*time.Millisecond, next.Span())
	n, err = next.Flush()
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, 10, next.Frames())
	zr, err := container.NewReader(&b)
	require.NoError(t, err)
	var got []byte
	for {
		_, p, err := zr.ReadFrame(nil)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, p[0])
	}
	assert.Equal(t, []byte{15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, got)
}

// TestWriteRefusesUnreadable: a frame larger than a reader accepts is
// refused by Write, which would otherwise make it damage on the next Open
// and lose it; the frames before it stay.
func TestWriteRefusesUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.omv")
	s, err := imageio.Create(path, nil)
	require.NoError(t, err)
	require.NoError(t, s.Write(grayFrame(1)))
	big := &imageio.Image{Width: 4096, Height: 4096, Format: container.JPEG, Data: make([]byte, container.DefaultMaxFrameSize+1)}
	require.ErrorIs(t, s.Write(big), imageio.ErrFrameTooLarge)
	require.NoError(t, s.Write(grayFrame(2)))
	require.NoError(t, s.Close())
	s, err = imageio.Open(path, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 2, s.Count())
	assert.NoError(t, s.Damage())
}
