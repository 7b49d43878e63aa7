package imageio_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// TestRingGrow: a ring stream grown keeps its frames, and a clip that
// follows it goes on across the growth with no frame lost or repeated.
func TestRingGrow(t *testing.T) {
	ring, err := imageio.NewRing(circular.FrameConfig{Size: 1000}, nil)
	require.NoError(t, err)
	frame := func(i int) *imageio.Image {
		return &imageio.Image{Width: 10, Height: 10, Format: container.Grayscale, Data: bytes.Repeat([]byte{byte(i)}, 100)}
	}
	start := time.Now()
	for i := range 5 {
		require.NoError(t, ring.WriteAt(frame(i), start.Add(time.Duration(i)*time.Second)))
	}
	var file bytes.Buffer
	clip, err := ring.ClipFrom(&file, 0)
	require.NoError(t, err)
	_, err = clip.FlushTo(2)
	require.NoError(t, err)
	require.NoError(t, ring.Grow(10000))
	assert.Equal(t, 10000, ring.BufferSize())
	for i := 5; i < 60; i++ { // 6 KB more: they fit, so nothing is dropped
		require.NoError(t, ring.WriteAt(frame(i), start.Add(time.Duration(i)*time.Second)))
	}
	_, err = clip.Flush()
	require.NoError(t, err)
	assert.Equal(t, 60, clip.Frames())
	assert.Zero(t, clip.Lost())
	zr, err := container.NewReader(&file)
	require.NoError(t, err)
	for i := range 60 {
		_, data, err := zr.ReadFrame(nil)
		require.NoError(t, err)
		assert.Equal(t, byte(i), data[0], "frame %d", i)
	}
	_, _, err = zr.ReadFrame(nil)
	assert.Equal(t, io.EOF, err, "no frame repeated")

	mem, err := imageio.NewMemory(10, 10, container.Grayscale, 2, nil)
	require.NoError(t, err)
	assert.True(t, errors.Is(mem.Grow(1<<20), errors.ErrUnsupported))
}
