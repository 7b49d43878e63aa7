package avi

import (
	"math"
	"slices"
	"time"
)

// MaxRateFor is the highest rate RateFor chooses, in frames per second:
// frames closer together than 1/240 s may share a slot of its grid.
const MaxRateFor = 240

// RateFor returns the rate to export frames recorded at times at (in
// order, from any origin) when no rate is asked for. The command line's
// export and the player's /export.avi both call it, so the same frames give
// the same file.
//
// It starts from the typical interval between frames, their median (not
// the mean, which pauses and bursts pull away from the camera's pace), as
// a rate rounded to a whole number of frames per second when within 2% of
// one, else to a thousandth, and at least 1/1. If two frames would share a
// slot of that grid, so that a Writer would drop one, it takes the
// smallest multiple of that rate, up to MaxRateFor, on whose grid no two
// do: a frame shown for several slots costs only index entries. Frames
// recorded at the same time always share a slot; if every multiple drops
// frames, it returns the one that drops fewest. It is 30/1 when no two
// frames have time between them.
func RateFor(at []time.Duration) Rate {
	gaps := make([]time.Duration, 0, max(len(at)-1, 0))
	for i := 1; i < len(at); i++ {
		if d := at[i] - at[i-1]; d > 0 {
			gaps = append(gaps, d)
		}
	}
	if len(gaps) == 0 {
		return Rate{Num: 30, Den: 1}
	}
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	if len(gaps)%2 == 0 {
		median = (gaps[len(gaps)/2-1] + median) / 2
	}
	base := typicalRate(float64(time.Second) / float64(median))
	best, fewest := base, math.MaxInt
	for k := 1; k == 1 || base.Float()*float64(k) <= MaxRateFor; k++ {
		r := Rate{Num: base.Num * k, Den: base.Den}
		g := gcd(r.Num, r.Den)
		r = Rate{Num: r.Num / g, Den: r.Den / g}
		if n := shared(at, r, fewest); n < fewest {
			best, fewest = r, n
			if n == 0 {
				break
			}
		}
	}
	return best
}

// typicalRate rounds fps frames per second to a whole number when within
// 2% of one, else to a thousandth, within 1 and MaxRateFor.
func typicalRate(fps float64) Rate {
	fps = min(max(fps, 1), MaxRateFor)
	if whole := math.Round(fps); math.Abs(fps-whole) <= 0.02*fps {
		return Rate{Num: int(whole), Den: 1}
	}
	milli := int(math.Round(fps * 1000))
	g := gcd(milli, 1000)
	return Rate{Num: milli / g, Den: 1000 / g}
}

// shared counts the frames recorded at times at that a Writer at rate r
// would drop, because an earlier frame has their slot; it stops counting
// past limit.
func shared(at []time.Duration, r Rate, limit int) int {
	n, last := 0, int64(-1)
	for _, t := range at {
		s := r.Slot(t - at[0])
		if s <= last {
			if n++; n >= limit {
				return n
			}
			continue
		}
		last = s
	}
	return n
}
