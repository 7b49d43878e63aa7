package imageio

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJPEGToRGBAMatchesRef converts every test picture, and crops of the
// 4:2:0 and 4:2:2 ones at odd sizes and offsets, with the fast converter
// and the one it replaced, and finds no channel of any pixel more than
// maxDiff apart.
func TestJPEGToRGBAMatchesRef(t *testing.T) {
	const maxDiff = 0
	for _, name := range []string{"640x480-420", "1280x720-420", "640x480-422", "640x480-444", "640x480-grey"} {
		data, err := os.ReadFile("testdata/" + name + ".jpg")
		require.NoError(t, err)
		m, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		imgs := []image.Image{m}
		if ycc, ok := m.(*image.YCbCr); ok {
			for _, r := range []image.Rectangle{image.Rect(0, 0, 1, 1), image.Rect(0, 0, 3, 5), image.Rect(1, 1, 8, 8), image.Rect(17, 33, 94, 71), image.Rect(0, 0, 639, 479)} {
				imgs = append(imgs, ycc.SubImage(r))
			}
		}
		for _, in := range imgs {
			got, want := jpegToRGBA(in, nil), jpegToRGBARef(in)
			require.Equal(t, want.Bounds().Size(), got.Bounds().Size(), "%s %v", name, in.Bounds())
			wr, ok := want.(*image.RGBA)
			if !ok {
				assert.Same(t, in, got, "%s: not subsampled, returned as it is", name)
				continue
			}
			gr := got.(*image.RGBA)
			worst := 0
			for i := range wr.Pix {
				worst = max(worst, abs(int(wr.Pix[i])-int(gr.Pix[i])))
			}
			assert.LessOrEqual(t, worst, maxDiff, "%s %v: largest channel difference", name, in.Bounds())
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
