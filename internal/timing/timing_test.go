package timing_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/internal/timing"
)

func TestStats(t *testing.T) {
	var s timing.Stats
	mean, lo, hi := s.FPS()
	assert.Zero(t, mean+lo+hi, "empty")
	for i, el := range []time.Duration{500 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond, 0, 250 * time.Millisecond} {
		at, gap := s.Add(&container.Header{Elapsed: el, Width: 2, Height: 2, Format: container.Grayscale, Size: 4})
		if i == 0 {
			assert.Zero(t, at+gap, "the first frame is the origin")
		} else {
			assert.Equal(t, el, gap)
		}
	}
	assert.Equal(t, 5, s.Frames)
	assert.Equal(t, 400*time.Millisecond, s.Duration)
	assert.Equal(t, int64(20), s.Bytes)
	assert.Equal(t, map[string]int{"GRAYSCALE 2x2": 5}, s.Formats)
	mean, lo, hi = s.FPS()
	assert.InDelta(t, 10, mean, 1e-9)
	assert.InDelta(t, 4, lo, 1e-9, "the longest interval, 250 ms")
	assert.InDelta(t, 20, hi, 1e-9, "the shortest above zero, 50 ms")
}
