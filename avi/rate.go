package avi

import (
	"math"
	"slices"
	"time"
)

// MaxRateFor is the highest rate RateFor chooses, in frames per second:
// 1000, V2.0's unit of time (1 ms), so that the default rate keeps any two
// frames of a V2.0 recording, whose times differ by whole milliseconds.
// Only frames recorded at the same time, or (in a V2.1 recording, timed in
// microseconds) less than 1 ms apart, may share a slot of its grid.
const MaxRateFor = 1000

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
// do, and else MaxRateFor itself, on whose 1 ms grid frames at least 1 ms
// apart never share a slot. A frame shown for several slots is not stored
// again; it costs only index entries, up to 24 bytes per slot of the
// video's duration (an 8-byte 'ix00' entry, and a 16-byte 'idx1' entry in
// the first segment): 24 kB per second of video at 1000/1, 86 MB an hour,
// in the file, not in memory (the Writer keeps one run per stored frame).
// Frames recorded at the same time always share a slot; if
// every candidate drops frames, it returns the one that drops fewest. It
// is 30/1 when no two frames have time between them.
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
	try := func(r Rate) bool {
		g := gcd(r.Num, r.Den)
		r = Rate{Num: r.Num / g, Den: r.Den / g}
		if n := shared(at, r, fewest); n < fewest {
			best, fewest = r, n
		}
		return fewest == 0
	}
	for k := 1; k == 1 || base.Float()*float64(k) <= MaxRateFor; k++ {
		if try(Rate{Num: base.Num * k, Den: base.Den}) {
			return best
		}
	}
	try(Rate{Num: MaxRateFor, Den: 1})
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
