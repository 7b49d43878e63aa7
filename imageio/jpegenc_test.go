package imageio_test

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// rawFrame is the w x h top-left corner of imageio's test picture of that
// size or larger, as a frame in format f.
func rawFrame(tb testing.TB, name string, w, h int, f container.PixFormat) *imageio.Image {
	tb.Helper()
	pic, err := jpeg.Decode(bytes.NewReader(readJPEG(tb, name)))
	require.NoError(tb, err)
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Rect, pic, image.Point{}, draw.Src)
	m, err := imageio.Encode(rgba, f)
	require.NoError(tb, err)
	return m
}

// stdlibJPEG is what AppendJPEG made before JPEGEncoder: jpeg.Encode of
// the frame as Image.Decode gives it (RGBA, or Gray).
func stdlibJPEG(tb testing.TB, m *imageio.Image) []byte {
	tb.Helper()
	img, err := m.Decode()
	require.NoError(tb, err)
	var b bytes.Buffer
	require.NoError(tb, jpeg.Encode(&b, img, &jpeg.Options{Quality: imageio.JPEGQuality}))
	return b.Bytes()
}

// TestJPEGEncoderMatchesStdlib encodes raw frames with a JPEGEncoder and
// with jpeg.Encode of their RGBA (or Gray) picture: the same bytes when the
// size is a multiple of 16; at other sizes (where image/jpeg pads the
// edge blocks with the edge pixels' chroma and the encoder with the edge
// pair's) the decoded pictures within 2 of each other per channel. Then
// it encodes all the formats again with the same encoder and finds the
// same bytes (nothing left over from the frame before).
func TestJPEGEncoderMatchesStdlib(t *testing.T) {
	testEncoderMatches(t, new(imageio.JPEGEncoder), false)
	testEncoderMatches(t, imageio.NewJPEGEncoderYCbCr(), true)
}

func testEncoderMatches(t *testing.T, e *imageio.JPEGEncoder, ycc bool) {
	for _, sz := range []struct {
		name string
		w, h int
		same bool
	}{{"640x480-420", 640, 480, true}, {"1280x720-420", 1280, 720, true}, {"640x480-420", 48, 32, true}, {"640x480-420", 37, 23, false}, {"640x480-420", 1, 1, false}} {
		for _, f := range []container.PixFormat{container.RGB565, container.RGB24, container.BGR24, container.Grayscale, container.Binary, container.YUV422, container.BayerRGGB} {
			m := rawFrame(t, sz.name, sz.w, sz.h, f)
			want := stdlibJPEG(t, m)
			for range 2 {
				got, err := e.Append([]byte("x"), m)
				require.NoError(t, err)
				require.Equal(t, byte('x'), got[0], "appended after dst")
				got = got[1:]
				if sz.same || f == container.Grayscale || f == container.Binary || !ycc {
					assert.True(t, bytes.Equal(want, got), "%dx%d %v: not jpeg.Encode's bytes", sz.w, sz.h, f)
					continue
				}
				assert.LessOrEqual(t, maxDiff(t, want, got), 2, "%dx%d %v", sz.w, sz.h, f)
			}
			viaImage, err := m.AppendJPEG(nil)
			require.NoError(t, err)
			assert.Equal(t, want, viaImage, "%v: AppendJPEG's bytes", f)
		}
	}
	m := &imageio.Image{Width: 2, Height: 2, Format: container.JPEG, Data: []byte{1, 2, 3}}
	got, err := e.Append([]byte{9}, m)
	require.NoError(t, err)
	assert.Equal(t, []byte{9, 1, 2, 3}, got, "JPEG passes through")
	bad := &imageio.Image{Width: 4, Height: 4, Format: container.RGB565, Data: make([]byte, 5)}
	_, err = e.Append(nil, bad)
	assert.ErrorIs(t, err, container.ErrInvalidSize)
}

// maxDiff decodes two JPEGs and returns the largest difference of a
// channel of a pixel.
func maxDiff(t *testing.T, a, b []byte) int {
	t.Helper()
	var rgba [2]*image.RGBA
	for i, data := range [][]byte{a, b} {
		img, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		rgba[i] = image.NewRGBA(img.Bounds())
		draw.Draw(rgba[i], rgba[i].Rect, img, img.Bounds().Min, draw.Src)
	}
	worst := 0
	for i := range rgba[0].Pix {
		d := int(rgba[0].Pix[i]) - int(rgba[1].Pix[i])
		worst = max(worst, d, -d)
	}
	return worst
}

// TestJPEGEncoderAllocs encodes 640x480 RGB565, BGR24 and GRAYSCALE frames
// into a buffer large enough, once the encoder has seen the size, with no
// allocation beyond image/jpeg's own: those of jpeg.Encode of the frame
// already converted, to a writer that needs no bufio.Writer (its encoder
// state and block scratch, a few KB).
func TestJPEGEncoderAllocs(t *testing.T) {
	for _, f := range []container.PixFormat{container.RGB565, container.BGR24, container.Grayscale} {
		m := rawFrame(t, "640x480-420", 640, 480, f)
		var e imageio.JPEGEncoder
		buf, err := e.Append(nil, m)
		require.NoError(t, err)
		buf = make([]byte, 0, 2*len(buf))
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := e.Append(buf[:0], m); err != nil {
				t.Fatal(err)
			}
		})
		img, err := m.Decode()
		require.NoError(t, err)
		w := &flushBuffer{}
		w.Grow(cap(buf))
		stdlib := testing.AllocsPerRun(5, func() {
			w.Reset()
			if err := jpeg.Encode(w, img, &jpeg.Options{Quality: imageio.JPEGQuality}); err != nil {
				t.Fatal(err)
			}
		})
		assert.LessOrEqual(t, allocs, stdlib, "%v: image/jpeg alone makes %v", f, stdlib)
		assert.Less(t, stdlib, 10.0, "%v: image/jpeg's allocations", f)
	}
}

// flushBuffer is a bytes.Buffer with the Flush image/jpeg looks for.
type flushBuffer struct{ bytes.Buffer }

func (*flushBuffer) Flush() error { return nil }

// BenchmarkEncodeJPEG encodes 640x480 and 1280x720 raw frames to JPEG at
// JPEGQuality: "stdlib" is jpeg.Encode of the frame already converted to
// RGBA (or Gray) outside the timer, the limit; "old" what AppendJPEG did
// before (Image.Decode, then jpeg.Encode); "imageio" a JPEGEncoder from the
// raw frame, its conversion included ("ycbcr": the same through 4:2:0
// planes, which Go 1.26's image/jpeg reads more slowly).
func BenchmarkEncodeJPEG(b *testing.B) {
	for _, sz := range []struct {
		name string
		w, h int
	}{{"640x480-420", 640, 480}, {"1280x720-420", 1280, 720}} {
		for _, f := range []container.PixFormat{container.RGB565, container.BGR24, container.Grayscale} {
			m := rawFrame(b, sz.name, sz.w, sz.h, f)
			b.Run(sz.name[:len(sz.name)-4]+"/"+f.String(), func(b *testing.B) {
				img, err := m.Decode()
				if err != nil {
					b.Fatal(err)
				}
				b.Run("stdlib", func(b *testing.B) {
					var buf bytes.Buffer
					b.SetBytes(int64(len(m.Data)))
					b.ReportAllocs()
					for b.Loop() {
						buf.Reset()
						if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: imageio.JPEGQuality}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("old", func(b *testing.B) {
					// AppendJPEG before JPEGEncoder: Decode, then jpeg.Encode.
					var buf bytes.Buffer
					b.SetBytes(int64(len(m.Data)))
					b.ReportAllocs()
					for b.Loop() {
						buf.Reset()
						img, err := m.Decode()
						if err != nil {
							b.Fatal(err)
						}
						if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: imageio.JPEGQuality}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("ycbcr", func(b *testing.B) {
					e := imageio.NewJPEGEncoderYCbCr()
					var buf []byte
					b.SetBytes(int64(len(m.Data)))
					b.ReportAllocs()
					for b.Loop() {
						if buf, err = e.Append(buf[:0], m); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("paired", func(b *testing.B) {
					// jpeg.Encode of the ready picture and a JPEGEncoder,
					// alternately, so a busy machine slows them alike:
					// x-stdlib is the encoder's time over jpeg.Encode's.
					var e imageio.JPEGEncoder
					var buf []byte
					var std, ours time.Duration
					w := &flushBuffer{}
					b.SetBytes(int64(len(m.Data)))
					b.ReportAllocs()
					for b.Loop() {
						w.Reset()
						t0 := time.Now()
						if err := jpeg.Encode(w, img, &jpeg.Options{Quality: imageio.JPEGQuality}); err != nil {
							b.Fatal(err)
						}
						t1 := time.Now()
						if buf, err = e.Append(buf[:0], m); err != nil {
							b.Fatal(err)
						}
						std, ours = std+t1.Sub(t0), ours+time.Since(t1)
					}
					b.ReportMetric(ours.Seconds()/std.Seconds(), "x-stdlib")
				})
				b.Run("imageio", func(b *testing.B) {
					var e imageio.JPEGEncoder
					var buf []byte
					b.SetBytes(int64(len(m.Data)))
					b.ReportAllocs()
					for b.Loop() {
						if buf, err = e.Append(buf[:0], m); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
