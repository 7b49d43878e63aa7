package rtsp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestClock: timestamps across the 32-bit wrap, and packets out of order
// across it, keep their distance from the first.
func TestClock(t *testing.T) {
	const step = 6000 // 1/15 s at 90 kHz
	start := uint32(1<<32 - 2*step)
	c := clock{rate: 90000}
	// Frame k at start+k*step; frames 3 and 2 swapped, after the wrap.
	for _, k := range []int{0, 1, 3, 2, 4, 5, 100000} {
		ts := start + uint32(k*step)
		assert.Equal(t, ticks(int64(k*step), 90000), c.at(ts), "frame %d (timestamp %d)", k, ts)
	}
}

// TestTicks: no overflow for a stream of years at 90 kHz.
func TestTicks(t *testing.T) {
	assert.Equal(t, 3*365*24*time.Hour+time.Second/3, ticks((3*365*24*3600)*90000+30000, 90000))
	assert.Equal(t, time.Duration(0), ticks(0, 90000))
}

// TestPicker: 30 frames a second limited to 7 give 7 a second, the
// first of each due time; a pause starts the schedule again.
func TestPicker(t *testing.T) {
	var p picker
	p.init(7)
	n := 0
	for k := range 300 { // 10 s
		if p.take(time.Duration(k) * time.Second / 30) {
			n++
		}
	}
	assert.Equal(t, 70, n)
	assert.True(t, p.take(time.Hour))
	assert.False(t, p.take(time.Hour+time.Second/30))
	p.init(0)
	assert.True(t, p.take(0))
	assert.True(t, p.take(0))
}
