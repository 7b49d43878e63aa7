package export_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// TestEncoderAfterClose: a Put after Close drops its frame, and a second
// Close returns what the first did; neither panics (they sent on, and
// closed, a closed channel).
func TestEncoderAfterClose(t *testing.T) {
	var emitted []int64
	e := export.NewEncoder(2, func(m *imageio.Image) ([]byte, error) { return m.Data, nil },
		func(b []byte, seq int64) error { emitted = append(emitted, seq); return nil })
	m := &imageio.Image{Width: 1, Height: 1, Format: container.Grayscale, Data: []byte{1}}
	e.Put(m, 0)
	assert.NoError(t, e.Close())
	assert.NotPanics(t, func() { e.Put(m, 1) })
	assert.NotPanics(t, func() { assert.NoError(t, e.Close()) })
	assert.Equal(t, []int64{0}, emitted)
}

// TestEncoderWorkersCapped: a number of workers past MaxWorkers is
// MaxWorkers, not a channel and goroutines of that size (a panic, or the
// memory, for --workers 1000000000).
func TestEncoderWorkersCapped(t *testing.T) {
	assert.NotPanics(t, func() {
		e := export.NewEncoder(math.MaxInt, func(m *imageio.Image) ([]byte, error) { return m.Data, nil },
			func(b []byte, seq int64) error { return nil })
		e.Put(&imageio.Image{Width: 1, Height: 1, Format: container.Grayscale, Data: []byte{1}}, 0)
		assert.NoError(t, e.Close())
	})
}
