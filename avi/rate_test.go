package avi_test

import (
	"math/rand/v2"
	"slices"
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
		// 1 ms apart, V2.0's unit: MaxRateFor's 1 ms grid keeps them all.
		{"1000 fps", steady(20, 1), avi.Rate{Num: 1000, Den: 1}},
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

// TestRateForJitter: frames of a steady camera with a pair closer than
// the frame period, placed so that they share a slot of its grid and of
// every multiple up to 240 fps, are all kept: RateFor tries multiples up
// to MaxRateFor (1000 fps), not only up to 240.
func TestRateForJitter(t *testing.T) {
	us := time.Microsecond
	// grid returns n frames period apart, in whole microseconds (V2.1's
	// unit), with extra frames added, in order.
	grid := func(n int, period time.Duration, extra ...time.Duration) []time.Duration {
		at := make([]time.Duration, 0, n+len(extra))
		for i := range n {
			at = append(at, (time.Duration(i) * period).Truncate(us))
		}
		at = append(at, extra...)
		slices.Sort(at)
		return at
	}
	for _, c := range []struct {
		name string
		at   []time.Duration
	}{
		// 100 fps, with two frames 4.5 ms apart between two of its
		// frames: at 100 and 200 fps they share a slot.
		{"100 fps, two frames 4.5 ms apart", grid(100, 10*time.Millisecond, 252600*us, 257100*us)},
		// 130 fps, a frame 3 ms before and one 3 ms after a slot's
		// centre (6 ms apart) in place of the frame there: at 130 fps
		// they share it; 260 fps (twice 130, past 240) separates them.
		{"130 fps, two frames 6 ms apart", func() []time.Duration {
			p := 7692 * us
			at := grid(130, p)
			at[50] -= 3 * time.Millisecond
			return slices.Insert(at, 51, at[50]+6*time.Millisecond)
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := avi.RateFor(c.at)
			assert.Zero(t, dropsAt(t, c.at, r), "at %v", r)
			assert.LessOrEqual(t, r.Float(), float64(avi.MaxRateFor))
		})
	}
}

// TestRateForV20: any two frames of a V2.0 recording (times in whole
// milliseconds, none the same) are kept by the default rate, whatever the
// camera's pace.
func TestRateForV20(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for range 50 {
		at := make([]time.Duration, 200)
		step := 1 + rng.IntN(90)
		for i := 1; i < len(at); i++ {
			at[i] = at[i-1] + time.Duration(max(1, step-rng.IntN(step)))*time.Millisecond
		}
		r := avi.RateFor(at)
		require.Zero(t, dropsAt(t, at, r), "at %v, step %d ms", r, step)
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
