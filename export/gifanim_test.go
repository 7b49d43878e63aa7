package export

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnimation: frames recorded 33 ms apart become delays whose running
// total stays within 5 ms of the recorded times, one palette for all (past
// the palette's sample, too), and the caller may reuse its picture.
func TestAnimation(t *testing.T) {
	for _, perFrame := range []bool{false, true} {
		var b bytes.Buffer
		a := newAnimation(&b, perFrame)
		m := image.NewRGBA(image.Rect(0, 0, 8, 6))
		const n = GIFPaletteSample + 10
		for i := range n {
			for p := 0; p < len(m.Pix); p += 4 {
				m.Pix[p], m.Pix[p+1], m.Pix[p+2], m.Pix[p+3] = byte(i*9), 40, 200, 255
			}
			require.NoError(t, a.Add(m, time.Duration(i)*33*time.Millisecond)) // the same picture each time, repainted
		}
		assert.Equal(t, n, a.Frames())
		require.NoError(t, a.Close())
		g, err := gif.DecodeAll(&b)
		require.NoError(t, err)
		require.Len(t, g.Image, n)
		total := 0
		for i, d := range g.Delay[:n-1] {
			total += d
			assert.InDelta(t, float64(i+1)*0.033, float64(total)/100, 0.0051, "frame %d", i+1)
		}
		assert.Equal(t, 3, g.Delay[n-1], "the last frame as long as the gap before it")
		for i, img := range g.Image {
			if !perFrame && i >= GIFPaletteSample {
				break // colours the sample did not hold map to its nearest
			}
			want := color.RGBA{byte(i*9) &^ 7, 40 &^ 7, 200 &^ 7, 255}
			got := color.RGBAModel.Convert(img.At(0, 0)).(color.RGBA)
			assert.InDelta(t, int(want.R), int(got.R), 8, "frame %d kept its own colour", i)
			if !perFrame {
				assert.Equal(t, g.Image[0].Palette, img.Palette, "one palette")
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, newAnimation(&b, false).Close())
	assert.Zero(t, b.Len(), "no frame, no GIF")
}

// TestAnimationLongGap: a gap longer than MaxGIFDelay is shortened to it and
// counted; the delays after it still follow the recorded times.
func TestAnimationLongGap(t *testing.T) {
	var b bytes.Buffer
	a := newAnimation(&b, true)
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for _, at := range []time.Duration{0, 100 * time.Millisecond, 2 * time.Hour, 2*time.Hour + 250*time.Millisecond} {
		require.NoError(t, a.Add(m, at))
	}
	require.NoError(t, a.Close())
	assert.Equal(t, 1, a.Shortened())
	g, err := gif.DecodeAll(&b)
	require.NoError(t, err)
	assert.Equal(t, []int{10, 65535, 25, 25}, g.Delay)
}

// failAfter is an io.Writer that fails once n bytes are written.
type failAfter struct{ n int }

var errWrite = errors.New("write failed")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		f.n = 0
		return 0, errWrite
	}
	f.n -= len(p)
	return len(p), nil
}

// TestAnimationWriteError: a writer that fails part way (a client that
// stopped reading) gives its error back, and never a panic (issue 17,
// item 8's review: after a failed write, the LZW sub-block buffer ran past
// its 256 bytes).
func TestAnimationWriteError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range m.Pix {
		m.Pix[i] = byte(rng.Uint32())
	}
	for _, n := range []int{0, 100, 5000, 70000} {
		a := newAnimation(&failAfter{n: n}, false)
		var err error
		for i := 0; i < 4 && err == nil; i++ {
			err = a.Add(m, time.Duration(i)*40*time.Millisecond)
		}
		if err == nil {
			err = a.Close()
		}
		require.ErrorIs(t, err, errWrite, "after %d bytes", n)
	}
}
