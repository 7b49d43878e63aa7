package player

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// cameraPicture is imageio's 640x480 4:2:0 test picture, decoded as
// /frame/N.png decodes a JPEG frame.
func cameraPicture(tb testing.TB) image.Image {
	tb.Helper()
	data, err := os.ReadFile("../imageio/testdata/640x480-420.jpg")
	require.NoError(tb, err)
	m := imageio.Image{Width: 640, Height: 480, Format: container.JPEG, Data: data}
	img, err := m.Decode()
	require.NoError(tb, err)
	return img
}

// TestFramePNGLossless encodes a camera picture with framePNG from several
// goroutines at once (sharing its buffer pool) and decodes each result to
// the same pixels.
func TestFramePNGLossless(t *testing.T) {
	img := cameraPicture(t)
	want := image.NewRGBA(img.Bounds())
	draw.Draw(want, want.Rect, img, image.Point{}, draw.Src)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2 {
				var b bytes.Buffer
				if !assertNoErr(t, framePNG.Encode(&b, img)) {
					return
				}
				got, err := png.Decode(&b)
				if !assertNoErr(t, err) {
					return
				}
				rgba := image.NewRGBA(got.Bounds())
				draw.Draw(rgba, rgba.Rect, got, image.Point{}, draw.Src)
				if !bytes.Equal(want.Pix, rgba.Pix) {
					t.Error("the PNG does not decode to the picture")
				}
			}
		})
	}
	wg.Wait()
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
	}
	return err == nil
}

// BenchmarkFramePNG encodes the 640x480 RGBA picture /frame/N.png makes
// from a camera's JPEG frame: with png.Encode at the default level
// ("default", the limit) and with framePNG (png.BestSpeed, pooled
// buffers). bytes/frame is the size of the PNG.
func BenchmarkFramePNG(b *testing.B) {
	img := cameraPicture(b)
	for _, c := range []struct {
		name string
		enc  *png.Encoder
	}{{"default", &png.Encoder{}}, {"bestspeed", &framePNG}} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.SetBytes(640 * 480 * 4)
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := c.enc.Encode(&buf, img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/frame")
		})
	}
}
