package export

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidRange is returned by ParseFrames and ParseTimes for a range
// they cannot read.
var ErrInvalidRange = errors.New("export: invalid range")

// A Range picks frames of a recording: by index, or by time since the
// recording's first frame (whose own elapsed time does not count). The
// zero Range picks every frame.
type Range struct {
	byTime   bool
	from, to int64 // indexes, or nanoseconds
	bounded  bool  // to is set: the range ends before it
}

// Frames returns the Range of frames from index from to index to, to
// excluded; a negative to is the recording's end.
func Frames(from, to int) Range {
	return Range{from: int64(max(from, 0)), to: int64(to), bounded: to >= 0}
}

// Times returns the Range of frames whose time since the first frame is
// from or more and before to; a negative to is the recording's end.
func Times(from, to time.Duration) Range {
	return Range{byTime: true, from: int64(max(from, 0)), to: int64(to), bounded: to >= 0}
}

// ParseFrames parses a range of frame indexes, FROM:TO (TO excluded);
// either may be left out: "10:", ":50", ":".
func ParseFrames(s string) (Range, error) {
	a, b, ok := strings.Cut(s, ":")
	from, err1 := atoiOr(a, 0)
	to, err2 := atoiOr(b, -1)
	if !ok || err1 != nil || err2 != nil || from < 0 || (b != "" && to < from) {
		return Range{}, fmt.Errorf("%w: %q: want FROM:TO, frame indexes from 0, either may be left out", ErrInvalidRange, s)
	}
	return Frames(from, to), nil
}

// ParseTimes parses a range of times since the first frame, FROM:TO (TO
// excluded), each a duration such as 2s or 1m30s, or seconds; either may
// be left out.
func ParseTimes(s string) (Range, error) {
	a, b, ok := strings.Cut(s, ":")
	from, err1 := durationOr(a, 0)
	to, err2 := durationOr(b, -1)
	if !ok || err1 != nil || err2 != nil || from < 0 || (b != "" && to < from) {
		return Range{}, fmt.Errorf("%w: %q: want FROM:TO, times from the first frame such as 2s or 1m30s, either may be left out", ErrInvalidRange, s)
	}
	return Times(from, to), nil
}

func atoiOr(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		ns := f * float64(time.Second)
		if !(math.Abs(ns) < math.MaxInt64) { // NaN, Inf, or past a Duration
			return 0, ErrInvalidRange
		}
		return time.Duration(ns), nil
	}
	return time.ParseDuration(s)
}

// Wants reports whether frame i, at time at since the first frame, is in
// the range, and whether any later frame can be.
func (r Range) Wants(i int, at time.Duration) (want, more bool) {
	if r.byTime {
		before := !r.bounded || int64(at) < r.to
		return int64(at) >= r.from && before, before
	}
	return int64(i) >= r.from && (!r.bounded || int64(i) < r.to), !r.bounded || int64(i) < r.to-1
}

// String returns the range as ParseFrames or ParseTimes reads it, "" for
// every frame.
func (r Range) String() string {
	if r == (Range{}) {
		return ""
	}
	if r.byTime {
		s := time.Duration(r.from).String() + ":"
		if r.bounded {
			s += time.Duration(r.to).String()
		}
		return s
	}
	s := strconv.FormatInt(r.from, 10) + ":"
	if r.bounded {
		s += strconv.FormatInt(r.to, 10)
	}
	return s
}
