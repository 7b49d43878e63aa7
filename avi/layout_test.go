package avi_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
)

// TestLayoutStreams: a Layout's Writer sends to a plain io.Writer the very
// bytes a Writer makes over an io.WriteSeeker, of the size the Layout said,
// in one segment and in many, with dropped, repeated and held frames.
func TestLayoutStreams(t *testing.T) {
	fs := frames(400)
	rng := rand.New(rand.NewPCG(3, 4))
	at := make([]time.Duration, len(fs))
	for i := 1; i < len(at); i++ {
		at[i] = at[i-1] + time.Duration(rng.IntN(120))*time.Millisecond
		if i == 200 {
			at[i] += 3 * time.Minute // frame 199 is held for MaxHold
		}
	}
	for _, c := range []avi.Config{
		{Width: 16, Height: 16, Rate: avi.Rate{Num: 25, Den: 1}},
		{Width: 16, Height: 16, Rate: avi.Rate{Num: 30000, Den: 1001}, SegmentSize: avi.MinSegmentSize},
	} {
		var want writeSeeker
		w, err := avi.NewWriter(&want, c)
		require.NoError(t, err)
		l, err := avi.NewLayout(c)
		require.NoError(t, err)
		for i, f := range fs {
			require.NoError(t, w.WriteFrame(f, at[i]))
			require.NoError(t, l.Add(len(f), at[i]))
		}
		require.NoError(t, w.Close())
		size, err := l.Size()
		require.NoError(t, err)
		assert.Equal(t, int64(len(want.b)), size)
		assert.Equal(t, w.Frames(), l.Frames())
		assert.Equal(t, w.Dropped(), l.Dropped())
		assert.Positive(t, l.Dropped())
		assert.Equal(t, 1, l.Shortened())
		require.ErrorIs(t, l.Add(10, time.Hour), avi.ErrWriteAfterClose)

		for range 2 { // one Layout, several files
			var got bytes.Buffer
			sw, err := l.NewWriter(&got)
			require.NoError(t, err)
			for i, f := range fs {
				require.NoError(t, sw.WriteFrame(f, at[i]))
			}
			require.NoError(t, sw.Close())
			require.True(t, bytes.Equal(want.b, got.Bytes()), "segment size %d: the streamed file differs", c.SegmentSize)
		}
	}
}

func TestLayoutMismatch(t *testing.T) {
	fs := frames(3)
	c := avi.Config{Width: 16, Height: 16, Rate: avi.Rate{Num: 30, Den: 1}}
	l, err := avi.NewLayout(c)
	require.NoError(t, err)
	for i, f := range fs {
		require.NoError(t, l.Add(len(f), time.Duration(i)*time.Second))
	}
	var out bytes.Buffer
	w, err := l.NewWriter(&out)
	require.NoError(t, err)
	assert.ErrorIs(t, l.Add(10, 0), avi.ErrWriteAfterClose, "NewWriter finishes the layout")
	require.NoError(t, w.WriteFrame(fs[0], 0))
	require.ErrorIs(t, w.WriteFrame(append(fs[1], 1), time.Second), avi.ErrLayoutMismatch)
	require.ErrorIs(t, w.Close(), avi.ErrLayoutMismatch)

	w, err = l.NewWriter(&out)
	require.NoError(t, err)
	require.NoError(t, w.WriteFrame(fs[0], 0))
	require.ErrorIs(t, w.Close(), avi.ErrLayoutMismatch, "too few frames")

	_, err = avi.NewLayout(avi.Config{Width: 0, Height: 16, Rate: c.Rate})
	require.ErrorIs(t, err, avi.ErrInvalidConfig)
}
