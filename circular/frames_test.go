package circular_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
)

func newFrames(t *testing.T, c circular.FrameConfig) *circular.FrameBuffer {
	t.Helper()
	b, err := circular.NewFrameBuffer(c)
	require.NoError(t, err)
	return b
}

var frameTypes = map[rune]circular.FrameType{
	'f': circular.Delta, 'k': circular.Key, 'h': circular.Header, 'm': circular.Motion,
}

// writeFrames writes picamera's test frames, one a character, a second
// apart: 'k' frames are two bytes in two writes, the others one byte.
// It returns the frames as they are expected while none is dropped.
func writeFrames(t *testing.T, b *circular.FrameBuffer, s string, index int64, pos int64) []circular.Frame {
	t.Helper()
	var want []circular.Frame
	for _, c := range s {
		size := 1
		if c == 'k' {
			write(t, b, "k")
			size = 2
		}
		ts := time.Duration(index) * time.Second
		require.NoError(t, b.WriteFrame([]byte(string(c)), frameTypes[c], ts))
		want = append(want, circular.Frame{Index: index, Type: frameTypes[c], Size: size, Timestamp: ts, Position: pos})
		index++
		pos += int64(size)
	}
	return want
}

func checkFrames(t *testing.T, b *circular.FrameBuffer, want []circular.Frame) {
	t.Helper()
	assert.Equal(t, want, slices.Collect(b.All()), "oldest first")
	rev := slices.Clone(want)
	slices.Reverse(rev)
	assert.Equal(t, rev, slices.Collect(b.Backward()), "newest first")
	assert.Equal(t, len(want), b.Frames())
}

func TestFrameBufferConfig(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Duration: time.Second, Bitrate: 1024})
	assert.Equal(t, 1024/8, b.Size(), "picamera: seconds × bitrate / 8")
	b = newFrames(t, circular.FrameConfig{Duration: 2 * time.Second})
	assert.Equal(t, 2*circular.DefaultBitrate/8, b.Size())
	for _, bad := range []circular.FrameConfig{{}, {Size: -1}, {Size: 10, MaxAge: -1}, {Duration: time.Second, Bitrate: -5}} {
		_, err := circular.NewFrameBuffer(bad)
		assert.ErrorIs(t, err, circular.ErrInvalidSize, "%+v", bad)
	}
}

func TestFrames(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	want := writeFrames(t, b, "hkffkff", 0, 0)
	assert.Equal(t, "hkkffkkff", string(b.Bytes()))
	checkFrames(t, b, want)
}

func TestFramesTruncRight(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	want := writeFrames(t, b, "hkffkff", 0, 0)
	require.NoError(t, b.Truncate(7))
	assert.Equal(t, "hkkffkk", string(b.Bytes()))
	checkFrames(t, b, want[:5])
	// Cutting inside a frame forgets it.
	require.NoError(t, b.Truncate(6))
	checkFrames(t, b, want[:4])
	require.ErrorIs(t, b.Truncate(7), circular.ErrTooLarge)
	// Writing goes on after the cut, from a new frame.
	require.NoError(t, b.WriteFrame([]byte("f"), circular.Delta, 10*time.Second))
	assert.Equal(t, "hkkffkf", string(b.Bytes()))
	last := slices.Collect(b.Backward())[0]
	assert.Equal(t, circular.Frame{Index: 4, Type: circular.Delta, Size: 1, Timestamp: 10 * time.Second, Position: 6}, last)
}

func TestFramesTruncLeft(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	want := writeFrames(t, b, "hkffkffhkff", 0, 0)
	assert.Equal(t, "fkkffhkkff", string(b.Bytes()))
	// The first three frames (hkkf: 4 bytes) are gone; positions move back.
	want = want[3:]
	for i := range want {
		want[i].Position -= 4
	}
	checkFrames(t, b, want)
}

func TestFramesPartlyDropped(t *testing.T) {
	// A frame whose first write is dropped disappears, though its last
	// write is still held.
	b := newFrames(t, circular.FrameConfig{Size: 6})
	write(t, b, "aaa")
	require.NoError(t, b.WriteFrame([]byte("AA"), circular.Key, 0))
	require.NoError(t, b.WriteFrame([]byte("bb"), circular.Delta, time.Second))
	assert.Equal(t, "AAbb", string(b.Bytes()))
	checkFrames(t, b, []circular.Frame{{Index: 1, Type: circular.Delta, Size: 2, Timestamp: time.Second, Position: 2}})
}

func TestFramesClear(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkffkff", 0, 0)
	b.Reset()
	assert.Empty(t, b.Bytes())
	checkFrames(t, b, nil)
	// Indexes go on counting.
	want := writeFrames(t, b, "hf", 7, 0)
	checkFrames(t, b, want)
}

func copyTo(t *testing.T, b *circular.FrameBuffer, limit circular.Limit, first circular.FrameType) (string, error) {
	t.Helper()
	var out bytes.Buffer
	_, _, err := b.CopyTo(&out, limit, first)
	return out.String(), err
}

func TestCopyAll(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkffkff", 0, 0)
	got, err := copyTo(t, b, circular.Limit{}, circular.Header)
	require.NoError(t, err)
	assert.Equal(t, "hkkffkkff", got)
	writeFrames(t, b, "hkffkff", 7, 9)
	assert.Equal(t, "fhkkffkkff", string(b.Bytes()))
	got, err = copyTo(t, b, circular.Limit{}, circular.Header)
	require.NoError(t, err)
	assert.Equal(t, "hkkffkkff", got)
	got, err = copyTo(t, b, circular.Limit{}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, "fhkkffkkff", got)
}

func TestCopySize(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkffkff", 0, 0)
	got, err := copyTo(t, b, circular.Limit{Bytes: 5}, circular.Header)
	require.ErrorIs(t, err, circular.ErrNoFrame, "picamera copies nothing silently")
	assert.Empty(t, got)
	got, err = copyTo(t, b, circular.Limit{Bytes: 10}, circular.Header)
	require.NoError(t, err)
	assert.Equal(t, "hkkffkkff", got)
	// From a key frame within 5 bytes: kkff (4 bytes), never more.
	got, err = copyTo(t, b, circular.Limit{Bytes: 5}, circular.Key)
	require.NoError(t, err)
	assert.Equal(t, "kkff", got)
	got, err = copyTo(t, b, circular.Limit{Bytes: 5}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, "fkkff", got)
	got, err = copyTo(t, b, circular.Limit{Bytes: 1}, circular.Key)
	require.ErrorIs(t, err, circular.ErrNoFrame)
	assert.Empty(t, got)
}

// TestCopyNeverExceeds: picamera's size search takes one frame more than
// fits; CopyTo never copies more than the limit, for every limit.
func TestCopyNeverExceeds(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 100})
	for i := range 20 {
		require.NoError(t, b.WriteFrame(bytes.Repeat([]byte{byte('a' + i)}, 3), circular.Delta, time.Duration(i)*time.Second))
	}
	for limit := 1; limit <= 70; limit++ {
		got, err := copyTo(t, b, circular.Limit{Bytes: limit}, circular.AnyFrame)
		if limit < 3 {
			require.ErrorIs(t, err, circular.ErrNoFrame)
			continue
		}
		require.NoError(t, err)
		assert.Len(t, got, min(limit/3*3, 60), "limit %d", limit)
	}
}

func TestCopySeconds(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkffkff", 0, 0)
	got, err := copyTo(t, b, circular.Limit{Duration: time.Second}, circular.Header)
	require.ErrorIs(t, err, circular.ErrNoFrame)
	assert.Empty(t, got)
	got, err = copyTo(t, b, circular.Limit{Duration: 10 * time.Second}, circular.Header)
	require.NoError(t, err)
	assert.Equal(t, "hkkffkkff", got)
	// The frames within 3 s of the newest (at 6 s): 4 s, 5 s, 6 s.
	got, err = copyTo(t, b, circular.Limit{Duration: 3 * time.Second}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, "kkff", got)
}

func TestCopyFrames(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkffkff", 0, 0)
	var out bytes.Buffer
	first, last, err := b.CopyTo(&out, circular.Limit{Frames: 4}, circular.Key)
	require.NoError(t, err)
	assert.Equal(t, "kkff", out.String(), "the newest 4 frames are f k f f; the copy starts at the key frame")
	assert.Equal(t, int64(4), first.Index)
	assert.Equal(t, int64(6), last.Index)
	_, _, err = b.CopyTo(&out, circular.Limit{Frames: 2, Bytes: 3}, circular.AnyFrame)
	require.ErrorIs(t, err, circular.ErrInvalidLimit)
	_, _, err = b.CopyTo(&out, circular.Limit{Frames: -1}, circular.AnyFrame)
	require.ErrorIs(t, err, circular.ErrInvalidLimit)
}

func TestCopyExcludesOpenFrame(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hf", 0, 0)
	write(t, b, "kk") // a frame still being written
	got, err := copyTo(t, b, circular.Limit{}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, "hf", got)
	empty := newFrames(t, circular.FrameConfig{Size: 10})
	_, err = copyTo(t, empty, circular.Limit{}, circular.AnyFrame)
	require.ErrorIs(t, err, circular.ErrNoFrame)
}

func TestCopyKeepsPosition(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	writeFrames(t, b, "hkff", 0, 0)
	seek(t, b, 2, io.SeekStart)
	_, err := copyTo(t, b, circular.Limit{}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, int64(2), tell(t, b))
	assert.Equal(t, "kff", read(t, b, 10))
}

// TestPreAndPostTrigger: CopyTo then CopySince in a loop give every frame
// from the trigger on exactly once, in order.
func TestPreAndPostTrigger(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 1000})
	frame := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 1+i%5) }
	for i := range 50 {
		require.NoError(t, b.WriteFrame(frame(i), circular.Delta, time.Duration(i)*time.Millisecond))
	}
	var out bytes.Buffer
	first, last, err := b.CopyTo(&out, circular.Limit{Frames: 10}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, int64(40), first.Index)
	for i := 50; i < 80; i++ {
		require.NoError(t, b.WriteFrame(frame(i), circular.Delta, time.Duration(i)*time.Millisecond))
		if i%7 == 0 {
			last, err = b.CopySince(&out, last)
			require.NoError(t, err)
			assert.Equal(t, int64(i), last.Index)
		}
	}
	last, err = b.CopySince(&out, last)
	require.NoError(t, err)
	assert.Equal(t, int64(79), last.Index)
	again, err := b.CopySince(&out, last)
	require.NoError(t, err)
	assert.Equal(t, last, again, "nothing new: the same frame back")
	var want []byte
	for i := 40; i < 80; i++ {
		want = append(want, frame(i)...)
	}
	assert.Equal(t, want, out.Bytes())
}

func TestCopySinceOverrun(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	require.NoError(t, b.WriteFrame([]byte("aaaa"), circular.Delta, 0))
	var out bytes.Buffer
	_, last, err := b.CopyTo(&out, circular.Limit{}, circular.AnyFrame)
	require.NoError(t, err)
	for i, s := range []string{"bbbb", "cccc", "dddd"} {
		require.NoError(t, b.WriteFrame([]byte(s), circular.Delta, time.Duration(i+1)))
	}
	last, err = b.CopySince(&out, last)
	require.ErrorIs(t, err, circular.ErrOverrun)
	assert.Contains(t, err.Error(), "1 frames")
	assert.Equal(t, "aaaaccccdddd", out.String())
	assert.Equal(t, int64(3), last.Index)
}

func TestMaxAge(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 1000, MaxAge: 3 * time.Second})
	for i := range 10 {
		require.NoError(t, b.WriteFrame([]byte{byte('a' + i)}, circular.Delta, time.Duration(i)*time.Second))
	}
	assert.Equal(t, "hij", string(b.Bytes()), "frames 3 s or more older than the newest are dropped with their bytes")
	frames := slices.Collect(b.All())
	require.Len(t, frames, 3)
	assert.Equal(t, int64(7), frames[0].Index)
	assert.Zero(t, frames[0].Position)
}

func TestMaxFrames(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 1000, MaxFrames: 2})
	for i := range 5 {
		require.NoError(t, b.WriteFrame([]byte{byte('a' + i)}, circular.Delta, 0))
	}
	assert.Equal(t, "de", string(b.Bytes()))
	assert.Equal(t, 2, b.Frames())
}

func TestWriteFrameErrors(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 4})
	require.ErrorIs(t, b.WriteFrame([]byte("x"), circular.AnyFrame, 0), circular.ErrInvalidFrame)
	require.ErrorIs(t, b.WriteFrame([]byte("x"), 9, 0), circular.ErrInvalidFrame)
	require.ErrorIs(t, b.WriteFrame(nil, circular.Delta, 0), circular.ErrInvalidFrame, "empty frame")
	require.NoError(t, b.WriteFrame([]byte("x"), circular.Delta, time.Second))
	require.ErrorIs(t, b.WriteFrame([]byte("y"), circular.Delta, 0), circular.ErrInvalidFrame, "time goes backwards")
	require.ErrorIs(t, b.WriteFrame([]byte("12345"), circular.Delta, 2*time.Second), circular.ErrTooLarge)
	write(t, b, "123")
	write(t, b, "45")
	require.ErrorIs(t, b.WriteFrame([]byte("6"), circular.Delta, 2*time.Second), circular.ErrFrameLost)
	require.NoError(t, b.WriteFrame([]byte("z"), circular.Delta, 3*time.Second))
	got, err := copyTo(t, b, circular.Limit{}, circular.AnyFrame)
	require.NoError(t, err)
	assert.Equal(t, "z", got, "after a lost frame, recording goes on")
}

func TestWait(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 100})
	require.NoError(t, b.WriteFrame([]byte("a"), circular.Delta, 0))
	first := slices.Collect(b.All())[0]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx, first) }()
	require.NoError(t, b.WriteFrame([]byte("b"), circular.Delta, 1))
	require.NoError(t, <-done)
	// Nothing newer than the newest: Wait blocks until cancelled.
	last := slices.Collect(b.Backward())[0]
	go func() { done <- b.Wait(ctx, last) }()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestFrameBufferIOTest(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 100})
	writeFrames(t, b, "hkffkffmhkkf", 0, 0)
	want := b.Bytes()
	seek(t, b, 0, io.SeekStart)
	require.NoError(t, iotest.TestReader(b, want))
}

// TestFramesConcurrent runs a recorder, copiers, iterators and waiters at
// once under the race detector; every copy is a run of whole frames.
func TestFramesConcurrent(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 4096, MaxAge: 500 * time.Millisecond})
	frame := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 10+i%50) }
	const n = 3000
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	wg.Go(func() {
		defer cancel()
		for i := range n {
			p := frame(i)
			write(t, b, string(p[:5]))
			if err := b.WriteFrame(p[5:], circular.FrameType(1+i%4), time.Duration(i)*time.Millisecond); err != nil {
				t.Error(err)
				return
			}
		}
	})
	checkRun := func(data []byte, first circular.Frame) {
		for i := int(first.Index); len(data) > 0; i++ {
			p := frame(i)
			if !bytes.HasPrefix(data, p) {
				t.Errorf("copy is not whole frames from %d at frame %d", first.Index, i)
				return
			}
			data = data[len(p):]
		}
	}
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				var out bytes.Buffer
				first, last, err := b.CopyTo(&out, circular.Limit{Bytes: 1000}, circular.Key)
				if errors.Is(err, circular.ErrNoFrame) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				checkRun(out.Bytes(), first)
				out.Reset()
				next, err := b.CopySince(&out, last)
				switch {
				case errors.Is(err, circular.ErrOverrun):
					// Frames were lost: the copy starts later.
				case err != nil:
					t.Error(err)
					return
				default:
					// Exactly the frames after last, up to next.
					checkRun(out.Bytes(), circular.Frame{Index: last.Index + 1})
					if next.Index < last.Index {
						t.Errorf("CopySince went back from %d to %d", last.Index, next.Index)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			prev := int64(-1)
			for f := range b.All() {
				if f.Index <= prev {
					t.Errorf("All went back from %d to %d", prev, f.Index)
				}
				prev = f.Index
			}
			for range b.Backward() {
			}
		}
	})
	wg.Go(func() {
		var f circular.Frame
		for ctx.Err() == nil {
			if err := b.Wait(ctx, f); err != nil {
				return
			}
			// Backward stops at a frame dropped while it runs: the newest
			// it saw may be gone already when the recorder runs ahead.
			if newest := slices.Collect(b.Backward()); len(newest) > 0 {
				if newest[0].Index <= f.Index {
					t.Errorf("Wait returned, but the newest frame is %d, not after %d", newest[0].Index, f.Index)
				}
				f = newest[0]
			}
		}
	})
	wg.Wait()
}

func TestReadFrame(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	want := writeFrames(t, b, "hkffkffhkff", 0, 0) // frames 0-2 are dropped
	f, p, err := b.ReadFrame(0, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), f.Index, "a dropped index gives the oldest held")
	assert.Equal(t, "f", string(p))
	f, p, err = b.ReadFrame(4, p)
	require.NoError(t, err)
	assert.Equal(t, want[4].Index, f.Index)
	assert.Equal(t, "kk", string(p))
	_, _, err = b.ReadFrame(int64(len(want)), p)
	require.ErrorIs(t, err, circular.ErrNoFrame)
}

func TestSpan(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 10})
	first, end := b.Span()
	assert.Equal(t, [2]int64{0, 0}, [2]int64{first, end})
	writeFrames(t, b, "hkffkffhkff", 0, 0)
	first, end = b.Span()
	assert.Equal(t, [2]int64{3, 11}, [2]int64{first, end})
}

// TestReadFrameTo splits a frame into its header and its body, with the
// body in the caller's buffer, across the ring's wrap, and refuses a header
// longer than the frame.
func TestReadFrameTo(t *testing.T) {
	b, err := circular.NewFrameBuffer(circular.FrameConfig{Size: 64})
	require.NoError(t, err)
	var want [][]byte
	for i := range 9 { // 9 frames of 20 bytes wrap a 64-byte ring
		f := bytes.Repeat([]byte{byte(i)}, 20)
		f[0], f[1] = 'H', byte(i)
		want = append(want, f)
		require.NoError(t, b.WriteFrame(f, circular.Key, time.Duration(i)))
	}
	first, end := b.Span()
	buf := make([]byte, 0, 64)
	for i := first; i < end; i++ {
		var head [2]byte
		f, body, err := b.ReadFrameTo(i, head[:], buf)
		require.NoError(t, err)
		assert.Equal(t, i, f.Index)
		assert.Equal(t, want[i][:2], head[:])
		assert.Equal(t, want[i][2:], body)
		assert.Equal(t, &buf[:1][0], &body[:1][0], "the body is read into the caller's buffer")
	}
	_, _, err = b.ReadFrameTo(first, make([]byte, 21), buf)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, _, err = b.ReadFrameTo(end, nil, buf)
	assert.ErrorIs(t, err, circular.ErrNoFrame)
}

// TestCopyRange: a copy bounded by a frame stops at it, whatever was
// recorded after; the next call follows on from Range.Next; frames the
// ring dropped before their copy are counted in Range.Lost.
func TestCopyRange(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 12})
	for i, s := range []string{"aaaa", "bbbb", "cccc"} {
		require.NoError(t, b.WriteFrame([]byte(s), circular.Delta, time.Duration(i)))
	}
	var out bytes.Buffer
	r, err := b.CopyRange(&out, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, "aaaabbbb", out.String(), "up to frame 1, not the newest")
	assert.Equal(t, circular.Range{First: r.First, Last: r.Last, Frames: 2, Next: 2}, r)
	assert.Equal(t, int64(1), r.Last.Index)

	r, err = b.CopyRange(&out, r.Next, 10)
	require.NoError(t, err)
	assert.Equal(t, "aaaabbbbcccc", out.String())
	assert.Equal(t, int64(3), r.Next, "frames not recorded yet are left for later")
	r, err = b.CopyRange(&out, r.Next, 10)
	require.NoError(t, err)
	assert.Zero(t, r.Frames)
	assert.Equal(t, int64(3), r.Next)

	for i, s := range []string{"dddd", "eeee", "ffff", "gggg"} {
		require.NoError(t, b.WriteFrame([]byte(s), circular.Delta, time.Duration(i+3)))
	}
	out.Reset()
	r, err = b.CopyRange(&out, 3, 5)
	require.ErrorIs(t, err, circular.ErrOverrun)
	assert.Equal(t, "eeeeffff", out.String(), "what is still held")
	assert.Equal(t, int64(1), r.Lost, "frame 3 was dropped")
	assert.Equal(t, 2, r.Frames)
	assert.Equal(t, int64(6), r.Next)

	out.Reset()
	r, err = b.CopyRange(&out, 0, 2)
	require.ErrorIs(t, err, circular.ErrOverrun)
	assert.Zero(t, out.Len())
	assert.Equal(t, circular.Range{Lost: 3, Next: 3}, r, "all of it dropped")
}

// TestFits: a frame fits while it would drop nothing from keep on.
func TestFits(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 12, MaxFrames: 4})
	for i, s := range []string{"aaaa", "bbbb"} {
		require.NoError(t, b.WriteFrame([]byte(s), circular.Delta, time.Duration(i)))
	}
	assert.True(t, b.Fits(0, 4, 1), "room for one more")
	assert.False(t, b.Fits(0, 5, 1), "frame 0 would go")
	assert.True(t, b.Fits(1, 8, 1), "frame 0 may go")
	assert.False(t, b.Fits(1, 9, 1))
	assert.True(t, b.Fits(2, 12, 1), "nothing to keep but the frame to come")
	require.NoError(t, b.WriteFrame([]byte("cccc"), circular.Delta, 2))
	assert.False(t, b.Fits(0, 1, 1))
	assert.True(t, b.Fits(-1, 1, 1), "a frame already gone is no bound")
	for i, s := range []string{"d", "e"} {
		require.NoError(t, b.WriteFrame([]byte(s), circular.Delta, time.Duration(3+i)))
	}
	assert.False(t, b.Fits(1, 1, 1), "MaxFrames: frames 1 to 4 leave no room for frame 5")
	assert.True(t, b.Fits(2, 1, 1))

	w := newFrames(t, circular.FrameConfig{Size: 100, MaxWrites: 4})
	require.NoError(t, w.WriteFrame([]byte("aa"), circular.Delta, 0))
	require.NoError(t, w.WriteFrame([]byte("bb"), circular.Delta, 1))
	assert.True(t, w.Fits(0, 2, 2))
	assert.False(t, w.Fits(0, 3, 3), "MaxWrites: the write boundaries would run out")
}
