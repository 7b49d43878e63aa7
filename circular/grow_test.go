package circular_test

import (
	"bytes"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
)

// TestGrow: a ring grown keeps every frame, byte, index and the position,
// even wrapped around its end with a frame half written, and then holds
// as much as its new size before it drops anything.
func TestGrow(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 40})
	for i := range 16 { // 48 bytes of 3-byte frames: the ring wraps
		require.NoError(t, b.WriteFrame(bytes.Repeat([]byte{byte('a' + i)}, 3), circular.Key, time.Duration(i)*time.Second))
	}
	_, err := b.Write([]byte("n")) // a frame half written
	require.NoError(t, err)
	_, err = b.Seek(5, io.SeekStart)
	require.NoError(t, err)
	frames, held := slices.Collect(b.All()), b.Bytes()
	first, end := b.Span()
	require.Positive(t, first, "the ring has dropped frames: it wraps")

	require.NoError(t, b.Grow(400))
	assert.Equal(t, 400, b.Size())
	assert.Equal(t, frames, slices.Collect(b.All()), "every frame, as it was")
	assert.Equal(t, held, b.Bytes(), "every byte")
	f2, e2 := b.Span()
	assert.Equal(t, first, f2)
	assert.Equal(t, end, e2)
	pos, err := b.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	assert.EqualValues(t, 5, pos, "the position")

	require.NoError(t, b.WriteFrame([]byte("nn"), circular.Key, 16*time.Second))
	_, data, err := b.ReadFrame(end, nil)
	require.NoError(t, err)
	assert.Equal(t, "nnn", string(data), "the frame half written before the growth, ended after it")
	for i := range 100 { // 300 more bytes: nothing dropped
		require.NoError(t, b.WriteFrame([]byte("xyz"), circular.Key, time.Duration(17+i)*time.Second))
	}
	f3, _ := b.Span()
	assert.Equal(t, first, f3, "nothing dropped while it fits")

	require.NoError(t, b.Grow(100), "smaller: nothing done")
	assert.Equal(t, 400, b.Size())
	require.ErrorIs(t, b.Grow(0), circular.ErrInvalidSize)
}

// TestGrowCounts: the frame records and write boundaries grow with the
// size when the config left them to it, and stay as given otherwise.
func TestGrowCounts(t *testing.T) {
	for _, c := range []struct {
		config circular.FrameConfig
		held   int
	}{
		{circular.FrameConfig{Size: 100}, 500},               // 100 records and boundaries at 100 bytes; 1024 at 5000
		{circular.FrameConfig{Size: 100, MaxFrames: 10}, 10}, // as given
	} {
		b := newFrames(t, c.config)
		require.NoError(t, b.Grow(5000))
		for i := range 500 {
			require.NoError(t, b.WriteFrame([]byte{byte(i)}, circular.Key, time.Duration(i)))
		}
		assert.Equal(t, c.held, b.Frames(), "%+v", c.config)
	}
}

// TestGrowConcurrent: Grow while frames are written, copied and read; run
// with -race.
func TestGrowConcurrent(t *testing.T) {
	b := newFrames(t, circular.FrameConfig{Size: 1 << 10})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		frame := bytes.Repeat([]byte{7}, 100)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := b.WriteFrame(frame, circular.Key, time.Duration(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() {
		var next int64
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, err := b.CopyRange(io.Discard, next, next+15)
			if err != nil && r.Lost == 0 {
				t.Error(err)
				return
			}
			next = r.Next
			b.Fits(next, 100, 1)
		}
	})
	for size := 2 << 10; size <= 1<<20; size *= 2 {
		require.NoError(t, b.Grow(size))
		assert.Equal(t, size, b.Size())
	}
	close(stop)
	wg.Wait()
	for f := range b.All() {
		assert.Equal(t, 100, f.Size)
	}
}
