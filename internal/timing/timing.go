// Package timing sums up a recording's frames as they are read: each
// frame's time since the first, the duration, the mean, lowest and highest
// frame rate, the formats and the bytes. The command line's info and the
// player's /api/info both report it.
package timing

import (
	"fmt"
	"time"

	"github.com/imgstream/imgstream/container"
)

// Stats accumulates frames in order. The zero value is empty and ready.
type Stats struct {
	Frames   int
	Duration time.Duration  // from the first frame to the last
	Bytes    int64          // payload bytes
	Formats  map[string]int // frames by "FORMAT WxH"
	minGap   time.Duration
	maxGap   time.Duration
}

// Add counts frame h and returns its time since the first frame and its
// interval from the frame before (0 for the first: its elapsed time counts
// from the stream's opening, not from a frame).
func (s *Stats) Add(h *container.Header) (at, gap time.Duration) {
	if s.Frames > 0 {
		gap = h.Elapsed
		s.Duration += gap
		if gap > 0 {
			if s.minGap == 0 || gap < s.minGap {
				s.minGap = gap
			}
			s.maxGap = max(s.maxGap, gap)
		}
	}
	s.Frames++
	s.Bytes += int64(h.Size)
	if s.Formats == nil {
		s.Formats = map[string]int{}
	}
	s.Formats[fmt.Sprintf("%v %dx%d", h.Format, h.Width, h.Height)]++
	return s.Duration, gap
}

// FPS returns the mean frame rate, and the lowest and highest (those of
// the longest and shortest intervals); zeros when there are not two frames
// with time between them.
func (s *Stats) FPS() (mean, lowest, highest float64) {
	if s.Frames > 1 && s.Duration > 0 {
		mean = float64(s.Frames-1) / s.Duration.Seconds()
	}
	if s.maxGap > 0 {
		lowest, highest = 1/s.maxGap.Seconds(), 1/s.minGap.Seconds()
	}
	return mean, lowest, highest
}
