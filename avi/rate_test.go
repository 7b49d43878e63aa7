package avi_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/avi"
)

// dropsAt writes frames recorded at times at to an AVI at rate r and
// returns how many the Writer dropped.
func dropsAt(t *testing.T, at []time.Duration, r avi.Rate) int {
	t.Helper()
	fs := frames(1)
	var buf writeSeeker
	w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: r})
	require.NoError(t, err)
	for _, a := range at {
		require.NoError(t, w.WriteFrame(fs[0], a))
	}
	require.NoError(t, w.Close())
	return w.Dropped()
}

// camera returns the times of n frames from a camera at about 15 fps whose
// intervals wander by up to ±40%, in whole milliseconds (as V2.0 stores
// them): the 40 s recording of issue 17 that lost 13% of its frames at its
// mean rate.
func camera(n int) []time.Duration {
	rng := rand.New(rand.NewPCG(17, 21))
	at := make([]time.Duration, n)
	for i := 1; i < n; i++ {
		at[i] = at[i-1] + time.Duration(40+rng.IntN(54))*time.Millisecond
	}
	return at
}

func TestRateForKeepsEveryFrame(t *testing.T) {
	at := camera(600)
	mean := avi.MeanRate(len(at), at[len(at)-1])
	require.Positive(t, dropsAt(t, at, mean), "the mean rate drops frames: the test's premise")
	r := avi.RateFor(at)
	assert.Zero(t, dropsAt(t, at, r), "at %v", r)
	assert.LessOrEqual(t, r.Float(), float64(avi.MaxRateFor))
	assert.Equal(t, r, avi.RateFor(append([]time.Duration(nil), at...)), "a function of the times only")

	// A shifted origin (a range from the middle of a recording) gives the
	// same rate as the same intervals from 0.
	shifted := make([]time.Duration, len(at))
	for i := range at {
		shifted[i] = at[i] + 7*time.Hour
	}
	assert.Equal(t, r, avi.RateFor(shifted))
}

func TestRateFor(t *testing.T) {
	steady := func(n int, ms ...int) []time.Duration {
		at := make([]time.Duration, n)
		for i := 1; i < n; i++ {
			at[i] = at[i-1] + time.Duration(ms[i%len(ms)])*time.Millisecond
		}
		return at
	}
	for _, c := range []struct {
		name string
		at   []time.Duration
		want avi.Rate // the zero Rate: any that drops no frame
	}{
		{"15 fps in whole ms", steady(100, 66, 67, 67), avi.Rate{Num: 15, Den: 1}},
		{"30 fps with one pause", append(steady(90, 33, 33, 34), 10*time.Second), avi.Rate{Num: 30, Den: 1}},
		{"12.5 fps", steady(50, 80), avi.Rate{Num: 25, Den: 2}},
		{"a time-lapse: 1 fps at least", steady(10, 10_000), avi.Rate{Num: 1, Den: 1}},
		{"one frame", []time.Duration{0}, avi.Rate{Num: 30, Den: 1}},
		{"no time between frames", []time.Duration{0, 0, 0}, avi.Rate{Num: 30, Den: 1}},
		{"none", nil, avi.Rate{Num: 30, Den: 1}},
		// 30 ms after 100 ms: at 10 fps the two would share a slot.
		{"uneven pairs", steady(40, 100, 30), avi.Rate{}},
		{"faster than 240 fps", steady(20, 1), avi.Rate{Num: 240, Den: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := avi.RateFor(c.at)
			if c.want == (avi.Rate{}) {
				assert.Zero(t, dropsAt(t, c.at, got), "at %v", got)
				return
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// TestMaxHold: a frame is shown for at most MaxHold; the gap is shortened
// and counted, and every later frame moves earlier by as much.
func TestMaxHold(t *testing.T) {
	fs := frames(3)
	rate := avi.Rate{Num: 30, Den: 1}
	var buf writeSeeker
	w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate})
	require.NoError(t, err)
	require.NoError(t, w.WriteFrame(fs[0], 0))
	require.NoError(t, w.WriteFrame(fs[1], 10*time.Minute))
	require.NoError(t, w.WriteFrame(fs[2], 10*time.Minute+time.Second))
	require.NoError(t, w.Close())
	assert.Equal(t, 1, w.Shortened())
	hold := int(rate.Slot(avi.DefaultMaxHold))
	assert.Equal(t, int64(hold+30+1), w.Frames(), "a minute of the first frame, a second of the next, then the last")
	got := walk(t, buf.b).slotFrames(t)
	require.Len(t, got, hold+31)
	assert.Equal(t, fs[0], got[hold-1])
	assert.Equal(t, fs[1], got[hold])
	assert.Equal(t, fs[2], got[hold+30])

	// Config.MaxHold sets it.
	buf = writeSeeker{}
	w, err = avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate, MaxHold: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, w.WriteFrame(fs[0], 0))
	require.NoError(t, w.WriteFrame(fs[1], 3*time.Second))
	require.NoError(t, w.Close())
	assert.Equal(t, int64(61), w.Frames())
	assert.Equal(t, 1, w.Shortened())
	_, err = avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate, MaxHold: -1})
	assert.ErrorIs(t, err, avi.ErrInvalidConfig)
}

// TestLongGapIsSmall: two frames 49.7 days apart (the largest V2.0 gap)
// made a 3 GB index; now the file stays small, and so does the memory.
func TestLongGapIsSmall(t *testing.T) {
	fs := frames(2)
	at := []time.Duration{0, (1<<32 - 1) * time.Millisecond}
	rate := avi.RateFor(at)
	var buf writeSeeker
	w, err := avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: rate})
	require.NoError(t, err)
	require.NoError(t, w.WriteFrame(fs[0], at[0]))
	require.NoError(t, w.WriteFrame(fs[1], at[1]))
	require.NoError(t, w.Close())
	assert.Equal(t, 1, w.Shortened())
	assert.Less(t, len(buf.b), 64<<10)

	// At the highest rate, MaxHoldSlots bounds the hold.
	buf = writeSeeker{}
	w, err = avi.NewWriter(&buf, avi.Config{Width: 16, Height: 16, Rate: avi.Rate{Num: 1 << 30, Den: 1}})
	require.NoError(t, err)
	require.NoError(t, w.WriteFrame(fs[0], at[0]))
	require.NoError(t, w.WriteFrame(fs[1], at[1]))
	require.NoError(t, w.Close())
	assert.Equal(t, int64(avi.MaxHoldSlots+1), w.Frames())
}
