package jpegdec_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/jpegdec"
)

// lumaTolerance is how far, in grey levels, a mean from the luma decoder
// may be from the mean of the standard library's decoded pixels over the
// same square. The standard library's integer IDCT is within 1 level of
// the exact one in each pixel (IEEE 1180), and rounds each pixel (0.5);
// the luma decoder rounds its mean (0.5). Squares where the standard
// library clamped a pixel to 0 or 255 are not compared: the luma decoder
// averages before clamping.
const lumaTolerance = 2.0

// compareLuma decodes jpg with both decoders and returns the largest
// difference between a mean of the luma decoder and the standard
// library's Y plane averaged over the same square, for squares of n
// pixels.
func compareLuma(t testing.TB, jpg []byte, n int) float64 {
	t.Helper()
	var dec jpegdec.Decoder
	dec.SetScale(n)
	l, err := dec.DecodeLuma(jpg, 0, 0)
	require.NoError(t, err, "the luma decoder reads it")
	require.Equal(t, n, l.Scale)
	plane, stride, w, h := l.Pix, l.Stride, l.Width, l.Height
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, w, h), img.Bounds())
	var y []byte
	var ys int
	switch m := img.(type) {
	case *image.YCbCr:
		y, ys = m.Y, m.YStride
	case *image.Gray:
		y, ys = m.Pix, m.Stride
	default:
		t.Fatalf("decoded as %T", img)
	}
	worst := 0.0
	for py := 0; py*n+n <= h; py++ {
		for px := 0; px*n+n <= w; px++ {
			sum, clamped := 0, false
			for yy := py * n; yy < py*n+n; yy++ {
				for xx := px * n; xx < px*n+n; xx++ {
					v := y[yy*ys+xx]
					sum += int(v)
					clamped = clamped || v == 0 || v == 255
				}
			}
			if clamped {
				continue
			}
			d := math.Abs(float64(sum)/float64(n*n) - float64(plane[py*stride+px]))
			worst = max(worst, d)
		}
	}
	return worst
}

// TestLumaGoJPEGs: the luma decoder's means match the standard library's
// pixels on JPEGs from image/jpeg, grey and 4:2:0, at odd sizes.
func TestLumaGoJPEGs(t *testing.T) {
	for i, c := range []struct{ w, h, q int }{
		{640, 480, 75}, {1, 1, 50}, {17, 9, 90}, {33, 65, 10}, {100, 75, 100}, {321, 239, 60},
	} {
		for _, grey := range []bool{false, true} {
			jpg := testkit.NoisyJPEG(uint64(i), c.w, c.h, c.q, grey)
			for _, n := range []int{8, 4, 2, 1} {
				d := compareLuma(t, jpg, n)
				assert.LessOrEqual(t, d, lumaTolerance, "%dx%d q%d grey %v n %d", c.w, c.h, c.q, grey, n)
			}
		}
	}
}

// TestLumaToolJPEGs: the same on JPEGs from ffmpeg (4:2:0, 4:2:2, 4:4:4,
// grey, odd sizes) and from cjpeg (restart markers every MCU and every 7
// MCUs, 4:1:1, 2x2 grey sampling factors), all of which the luma decoder
// reads itself.
func TestLumaToolJPEGs(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, pf := range []string{"yuvj420p", "yuvj422p", "yuvj444p", "gray"} {
		for _, size := range []string{"320x240", "97x43"} {
			f := filepath.Join(dir, pf+size+".jpg")
			testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=1,noise=alls=8",
				"-frames:v", "1", "-pix_fmt", pf, "-q:v", "3", f)
			files = append(files, f)
		}
	}
	src := filepath.Join(dir, "src.ppm")
	testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=203x117:rate=1,noise=alls=8", "-frames:v", "1", src)
	for i, args := range [][]string{
		{"-restart", "1B"}, {"-restart", "7B", "-sample", "2x1"}, {"-sample", "4x1"}, {"-sample", "1x2", "-restart", "3B"},
		{"-grayscale", "-restart", "5B"}, {"-optimize"},
	} {
		f := filepath.Join(dir, fmt.Sprintf("cjpeg%d.jpg", i))
		testkit.Tool(t, "cjpeg", append(append(args, "-outfile", f), src)...)
		files = append(files, f)
	}
	for _, f := range files {
		jpg, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, n := range []int{8, 4, 2} {
			d := compareLuma(t, jpg, n)
			assert.LessOrEqual(t, d, lumaTolerance, "%s n %d", filepath.Base(f), n)
		}
	}
}

// FuzzDecodeLuma: no input panics the luma decoder; a JPEG
// from image/jpeg of any size, quality and kind is read by the luma
// decoder, and its means are within lumaTolerance of the standard
// library's pixels.
func FuzzDecodeLuma(f *testing.F) {
	jpg, err := os.ReadFile("../motion/testdata/frame640x480.jpg")
	require.NoError(f, err)
	f.Add(jpg[:2000], uint16(0), uint16(0), uint8(0))
	f.Add([]byte{}, uint16(31), uint16(17), uint8(80))
	f.Add([]byte{}, uint16(200), uint16(5), uint8(129))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint16, q uint8) {
		var dec jpegdec.Decoder
		for _, n := range []int{8, 4, 2, 1} {
			dec.SetScale(n)
			dec.DecodeLuma(data, 0, 0)
		}
		if w == 0 || h == 0 {
			return
		}
		w, h = w%160+1, h%128+1 // partial MCUs at every size; small, so a fuzz run is not spent in image/jpeg
		jpg := testkit.NoisyJPEG(uint64(w)*uint64(h), int(w), int(h), int(q%100)+1, q >= 128)
		for _, n := range []int{8, 4, 2, 1} {
			assert.LessOrEqual(t, compareLuma(t, jpg, n), lumaTolerance, "%dx%d q%d n %d", w, h, q%100+1, n)
		}
	})
}
