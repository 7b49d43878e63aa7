package imageio_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

func rgbaAt(m image.Image, x, y int) [3]int {
	c := color.RGBAModel.Convert(m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y)).(color.RGBA)
	return [3]int{int(c.R), int(c.G), int(c.B)}
}

// TestGoldenRender decodes the first frame of every golden file with a
// render and compares it with the render, by the manifest's rules: exact
// for every format but JPEG, whose decoders may round differently.
func TestGoldenRender(t *testing.T) {
	for _, g := range testkit.Golden(t) {
		if !g.Valid || g.Render == nil {
			continue
		}
		t.Run(g.Name, func(t *testing.T) {
			s, err := imageio.Open(testkit.GoldenPath(g.Name), nil)
			require.NoError(t, err)
			defer s.Close()
			m, err := s.Read(imageio.ReadOptions{})
			require.NoError(t, err)
			f, err := os.Open(testkit.GoldenPath(g.Render.File))
			require.NoError(t, err)
			defer f.Close()
			want, err := png.Decode(f)
			require.NoError(t, err)
			require.Equal(t, image.Pt(g.Render.W, g.Render.H), want.Bounds().Size())
			require.Equal(t, g.Render.W, m.Width)
			require.Equal(t, g.Render.H, m.Height)

			got, err := m.Decode()
			require.NoError(t, err)
			require.Equal(t, want.Bounds().Size(), got.Bounds().Size())
			tolerance := 0
			switch {
			case m.Format.Bayer():
				// The render is the raw mosaic, not demosaiced.
				raw := image.NewGray(image.Rect(0, 0, m.Width, m.Height))
				copy(raw.Pix, m.Data)
				got = raw
				_, isRGBA := mustDecode(t, m).(*image.RGBA)
				assert.True(t, isRGBA, "Bayer decodes to RGBA")
			case m.Format == container.YUV422 || m.Format == container.YVU422:
				// The render is the luma plane.
				ycc := got.(*image.YCbCr)
				y := image.NewGray(ycc.Rect)
				copy(y.Pix, ycc.Y)
				got = y
			case m.Format == container.JPEG:
				tolerance = 3
			}
			worst := 0
			for y := range m.Height {
				for x := range m.Width {
					a, b := rgbaAt(got, x, y), rgbaAt(want, x, y)
					for c := range 3 {
						worst = max(worst, abs(a[c]-b[c]))
					}
				}
			}
			assert.LessOrEqual(t, worst, tolerance, "largest channel difference from the render")
		})
	}
}

func mustDecode(t *testing.T, m *imageio.Image) image.Image {
	t.Helper()
	d, err := m.Decode()
	require.NoError(t, err)
	return d
}

func abs(x int) int { return max(x, -x) }

// widen565 makes a colour that RGB565 represents exactly.
func widen565(r5, g6, b5 uint32) color.RGBA {
	return color.RGBA{byte(r5<<3 | r5>>2), byte(g6<<2 | g6>>4), byte(b5<<3 | b5>>2), 255}
}

func TestRGB565RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewRGBA(image.Rect(0, 0, 37, 23))
	for y := range 23 {
		for x := range 37 {
			src.SetRGBA(x, y, widen565(rng.Uint32N(32), rng.Uint32N(64), rng.Uint32N(32)))
		}
	}
	m, err := imageio.Encode(src, container.RGB565)
	require.NoError(t, err)
	assert.Len(t, m.Data, 37*23*2)
	back := mustDecode(t, m).(*image.RGBA)
	assert.Equal(t, src.Pix, back.Pix)
	// An image that is not at the origin, of another type.
	sub := image.NewNRGBA(image.Rect(5, 7, 9, 9))
	sub.Set(5, 7, color.NRGBA{255, 0, 0, 255})
	m, err = imageio.Encode(sub, container.RGB565)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x00, 0xf8}, m.Data[:2], "pure red is 0xF800, little-endian")
}

func TestRGB565Widening(t *testing.T) {
	dst := make([]byte, 12)
	imageio.RGB565ToRGBA(dst, []byte{0x00, 0x00, 0xff, 0xff, 0x1f, 0x00})
	assert.Equal(t, []byte{0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 255, 255}, dst)
}

func TestGrayAndBinary(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 45, 7))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 37)
	}
	m, err := imageio.Encode(src, container.Grayscale)
	require.NoError(t, err)
	assert.Equal(t, src.Pix, m.Data)
	assert.Equal(t, src.Pix, mustDecode(t, m).(*image.Gray).Pix)

	m, err = imageio.Encode(src, container.Binary)
	require.NoError(t, err)
	require.Len(t, m.Data, 2*4*7, "45 pixels: two 32-bit words a row")
	back := mustDecode(t, m).(*image.Gray)
	for i, v := range src.Pix {
		want := byte(0)
		if v >= 128 {
			want = 255
		}
		require.Equal(t, want, back.Pix[i], "pixel %d", i)
	}
	// Bit x%32 of the little-endian word x/32.
	one := image.NewGray(image.Rect(0, 0, 45, 1))
	one.Pix[40] = 255
	m, err = imageio.Encode(one, container.Binary)
	require.NoError(t, err)
	assert.Equal(t, byte(1<<(40%8)), m.Data[40/8])
}

func TestLumaMatchesGrayModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range src.Pix {
		src.Pix[i] = byte(rng.Uint32())
	}
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	m, err := imageio.Encode(src, container.Grayscale)
	require.NoError(t, err)
	for y := range 64 {
		for x := range 64 {
			want := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			require.Equal(t, want, m.Data[y*64+x])
		}
	}
}

func TestBayer(t *testing.T) {
	formats := []container.PixFormat{container.BayerBGGR, container.BayerGBRG, container.BayerGRBG, container.BayerRGGB}
	// The channel at (0,0), (1,0), (0,1), (1,1) of each pattern.
	patterns := map[container.PixFormat][4]int{
		container.BayerBGGR: {2, 1, 1, 0},
		container.BayerGBRG: {1, 2, 0, 1},
		container.BayerGRBG: {1, 0, 2, 1},
		container.BayerRGGB: {0, 1, 1, 2},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	src := image.NewRGBA(image.Rect(0, 0, 10, 6))
	for i := range src.Pix {
		src.Pix[i] = byte(rng.Uint32())
	}
	for _, f := range formats {
		m, err := imageio.Encode(src, f)
		require.NoError(t, err)
		p := patterns[f]
		for y := range 6 {
			for x := range 10 {
				c := p[(y%2)*2+x%2]
				require.Equal(t, src.Pix[y*src.Stride+4*x+c], m.Data[y*10+x], "%v at %d,%d", f, x, y)
			}
		}
		// A uniform colour demosaics back to itself everywhere, edges too.
		flat := image.NewUniform(color.RGBA{200, 100, 50, 255})
		m, err = imageio.Encode(&image.RGBA{Pix: bytes.Repeat([]byte{200, 100, 50, 255}, 7*5), Stride: 28, Rect: image.Rect(0, 0, 7, 5)}, f)
		require.NoError(t, err)
		back := mustDecode(t, m)
		for y := range 5 {
			for x := range 7 {
				require.Equal(t, rgbaAt(flat, 0, 0), rgbaAt(back, x, y), "%v at %d,%d", f, x, y)
			}
		}
	}
	// Bilinear at an interior pixel, by hand: the BGGR mosaic of a 4x4
	// image whose raw values are their index.
	m := &imageio.Image{Width: 4, Height: 4, Format: container.BayerBGGR, Data: make([]byte, 16)}
	for i := range m.Data {
		m.Data[i] = byte(i * 10)
	}
	got := rgbaAt(mustDecode(t, m), 1, 1) // an R site (odd row, odd column)
	// R is its own; G the mean of the 4 orthogonal neighbours (1,0)=10,
	// (0,1)=40, (2,1)=60, (1,2)=90; B the mean of the 4 diagonals 0, 20, 80, 100.
	assert.Equal(t, [3]int{50, 50, 50}, got)
	got = rgbaAt(mustDecode(t, m), 2, 1) // a G site on an R row: R left/right, B above/below
	assert.Equal(t, [3]int{(50 + 70 + 1) / 2, 60, (20 + 100 + 1) / 2}, got)
}

func TestYUV(t *testing.T) {
	for _, f := range []container.PixFormat{container.YUV422, container.YVU422} {
		// Greys have neutral chroma and survive exactly.
		src := image.NewGray(image.Rect(0, 0, 7, 3))
		for i := range src.Pix {
			src.Pix[i] = byte(i * 11)
		}
		m, err := imageio.Encode(src, f)
		require.NoError(t, err)
		require.Len(t, m.Data, 7*3*2)
		ycc := mustDecode(t, m).(*image.YCbCr)
		assert.Equal(t, image.YCbCrSubsampleRatio422, ycc.SubsampleRatio)
		for y := range 3 {
			for x := range 7 {
				assert.Equal(t, src.Pix[y*7+x], ycc.Y[y*ycc.YStride+x])
			}
		}
		// A colour survives within YCbCr rounding, and the byte order
		// follows the format: U before V in YUV422.
		red := image.NewUniform(color.RGBA{220, 30, 40, 255})
		m, err = imageio.Encode(&image.RGBA{Pix: bytes.Repeat([]byte{220, 30, 40, 255}, 4), Stride: 16, Rect: image.Rect(0, 0, 4, 1)}, f)
		require.NoError(t, err)
		_, cb, cr := color.RGBToYCbCr(220, 30, 40)
		u, v := m.Data[1], m.Data[3]
		if f == container.YVU422 {
			u, v = v, u
		}
		assert.Equal(t, cb, u)
		assert.Equal(t, cr, v)
		back := mustDecode(t, m)
		for c, w := range rgbaAt(red, 0, 0) {
			assert.InDelta(t, w, rgbaAt(back, 3, 0)[c], 2)
		}
	}
}

func TestJPEGAndPNG(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 33, 21))
	for y := range 21 {
		for x := range 33 {
			src.SetRGBA(x, y, color.RGBA{byte(x * 7), byte(y * 12), 128, 255})
		}
	}
	m, err := imageio.Encode(src, container.PNG)
	require.NoError(t, err)
	assert.Equal(t, []byte("\x89PNG"), m.Data[:4])
	back := mustDecode(t, m)
	for y := range 21 {
		for x := range 33 {
			require.Equal(t, rgbaAt(src, x, y), rgbaAt(back, x, y))
		}
	}
	m, err = imageio.Encode(src, container.JPEG)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xd8}, m.Data[:2])
	back = mustDecode(t, m)
	for c, w := range rgbaAt(src, 16, 10) {
		assert.InDelta(t, w, rgbaAt(back, 16, 10)[c], 12)
	}
}

func TestDecodeErrors(t *testing.T) {
	_, err := (&imageio.Image{Width: 2, Height: 2, Format: container.RGB565, Data: make([]byte, 7)}).Decode()
	require.ErrorIs(t, err, container.ErrInvalidSize)
	_, err = (&imageio.Image{Width: 2, Height: 2, Format: 0x0C080004, Data: make([]byte, 16)}).Decode()
	require.ErrorIs(t, err, container.ErrInvalidPixFormat)
	_, err = (&imageio.Image{Width: 2, Height: 2, Format: container.JPEG}).Decode()
	require.ErrorIs(t, err, container.ErrInvalidSize)
	_, err = (&imageio.Image{Width: 2, Height: 2, Format: container.JPEG, Data: []byte("not a jpeg")}).Decode()
	var fe jpeg.FormatError
	require.ErrorAs(t, err, &fe)
	_, err = imageio.Encode(image.NewGray(image.Rect(0, 0, 0, 5)), container.Grayscale)
	require.ErrorIs(t, err, container.ErrInvalidDimensions)
}

func TestSetImageReusesData(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 64, 48))
	m := &imageio.Image{Data: make([]byte, 0, 64*48*2)}
	allocs := testing.AllocsPerRun(10, func() {
		if err := m.SetImage(src, container.RGB565); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}

func TestAppendJPEG(t *testing.T) {
	s, err := imageio.Open(testkit.GoldenPath("v20_mixed.omv"), nil)
	require.NoError(t, err)
	defer s.Close()
	var buf []byte
	for m, err := range s.All() {
		require.NoError(t, err)
		buf, err = m.AppendJPEG(buf[:0])
		require.NoError(t, err)
		if m.Format == container.JPEG {
			assert.Equal(t, m.Data, buf, "JPEG passes through untouched")
			continue
		}
		j, err := jpegDecode(buf)
		require.NoError(t, err, "%v", m.Format)
		assert.Equal(t, image.Pt(m.Width, m.Height), j.Bounds().Size())
		// The picture survives: its luma, which JPEG keeps at full
		// resolution (chroma is subsampled), within JPEG's loss.
		want := mustDecode(t, m)
		luma := func(m image.Image, x, y int) int {
			return int(color.GrayModel.Convert(m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y)).(color.Gray).Y)
		}
		for y := range m.Height {
			for x := range m.Width {
				assert.InDelta(t, luma(want, x, y), luma(j, x, y), 24, "%v at %d,%d", m.Format, x, y)
			}
		}
	}
}

func jpegDecode(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }

// TestRGB24 converts the 3-byte formats both ways: byte order as OpenCV
// (BGR) and numpy (RGB) lay them out, and they go into no OMV file.
func TestRGB24(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(src.Pix, []byte{10, 20, 30, 255, 40, 50, 60, 255})
	for _, c := range []struct {
		f    container.PixFormat
		want []byte
	}{
		{container.RGB24, []byte{10, 20, 30, 40, 50, 60}},
		{container.BGR24, []byte{30, 20, 10, 60, 50, 40}},
	} {
		t.Run(c.f.String(), func(t *testing.T) {
			m, err := imageio.Encode(src, c.f)
			require.NoError(t, err)
			assert.Equal(t, c.want, m.Data)
			back, err := m.Decode()
			require.NoError(t, err)
			assert.Equal(t, src.Pix, back.(*image.RGBA).Pix)
			s, err := imageio.Create(filepath.Join(t.TempDir(), "x.omv"), nil)
			require.NoError(t, err)
			defer s.Close()
			require.ErrorIs(t, s.Write(m), container.ErrInvalidPixFormat, "an OMV file cannot hold it")
			assert.Zero(t, s.Count())
		})
	}
}

// TestDecodeRefusesHugeDeclared: a JPEG of a few hundred bytes that
// declares 32767x32767 (4 GiB as RGBA) is refused from its header, before
// its pixels are allocated; so is one whose size is not the frame's.
func TestDecodeRefusesHugeDeclared(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)), nil))
	data := buf.Bytes()
	sof := bytes.Index(data, []byte{0xFF, 0xC0})
	require.Positive(t, sof)
	data[sof+5], data[sof+6], data[sof+7], data[sof+8] = 0x7F, 0xFF, 0x7F, 0xFF // height, width 32767

	m := &imageio.Image{Width: 32767, Height: 32767, Format: container.JPEG, Data: data}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := m.Decode()
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, container.ErrInvalidDimensions)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))

	m.Width, m.Height = 16, 16
	_, err = m.Decode()
	require.ErrorIs(t, err, container.ErrInvalidDimensions, "16x16 frame, 32767x32767 JPEG")
	assert.Contains(t, err.Error(), "32767x32767")
}
