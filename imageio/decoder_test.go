package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/imgstream/imgstream/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scene returns a w x h picture of smooth gradients, a hard-edged disc and
// noise, from seed: colour edges and flat areas, which the chroma filter
// treats differently, and saturated colours, which the conversion clamps.
func scene(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := rng.IntN(w), rng.IntN(h), 1+rng.IntN(max(w, h))
	disc := color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
	noise := 1 + rng.IntN(64)
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 255 / (w + h)), 255}
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
				c = disc
			}
			n := func(v uint8) uint8 { return uint8(min(max(int(v)+rng.IntN(2*noise+1)-noise, 0), 255)) }
			m.SetRGBA(x, y, color.RGBA{n(c.R), n(c.G), n(c.B), 255})
		}
	}
	return m
}

// checkDecodeJPEG decodes data with d and with Image.Decode, and requires
// both to be the converter before (jpegToRGBARef) of jpeg.Decode's
// picture, bit for bit.
func checkDecodeJPEG(t *testing.T, d *Decoder, data []byte, what string) {
	t.Helper()
	std, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err, what)
	want := jpegToRGBARef(std)
	b := std.Bounds()
	m := &Image{Width: b.Dx(), Height: b.Dy(), Format: container.JPEG, Data: data}
	fresh, err := m.Decode()
	require.NoError(t, err, what)
	reused, err := d.Decode(m)
	require.NoError(t, err, what)
	for _, got := range []image.Image{fresh, reused} {
		require.IsType(t, want, got, what)
		require.Equal(t, want.Bounds(), got.Bounds(), what)
		wr, ok := want.(*image.RGBA)
		if !ok {
			// Not subsampled: image/jpeg's picture, which jpegdec
			// gives, planes and all.
			require.Equal(t, want, got, what)
			continue
		}
		gr := got.(*image.RGBA)
		for y := range b.Dy() {
			w, g := wr.Pix[y*wr.Stride:][:4*b.Dx()], gr.Pix[y*gr.Stride:][:4*b.Dx()]
			if !bytes.Equal(w, g) {
				x := 0
				for w[x] == g[x] {
					x++
				}
				t.Fatalf("%s: pixel (%d, %d): %v, want %v", what, x/4, y, g[x/4*4:][:4], w[x/4*4:][:4])
			}
		}
	}
}

// TestDecoderMatchesRef decodes JPEGs of many sizes, odd and even, down to
// 1x1, through one Decoder, large and small in turn so that it reuses a
// picture that held another frame, and requires what the converter before
// gives. image/jpeg writes 4:2:0 only; the 4:2:2 and 4:4:4 odd-sized
// pictures are cjpeg's (testdata/README.md).
func TestDecoderMatchesRef(t *testing.T) {
	var d Decoder
	rng := rand.New(rand.NewPCG(7, 11))
	sizes := [][2]int{{1, 1}, {2, 1}, {1, 2}, {3, 3}, {17, 9}, {16, 16}, {33, 31}, {64, 47}, {1, 40}, {40, 1}}
	for range 20 {
		sizes = append(sizes, [2]int{1 + rng.IntN(120), 1 + rng.IntN(90)})
	}
	for i, s := range sizes {
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, scene(s[0], s[1], uint64(i)), &jpeg.Options{Quality: 50 + rng.IntN(51)}))
		checkDecodeJPEG(t, &d, buf.Bytes(), fmt.Sprintf("%dx%d 4:2:0", s[0], s[1]))
	}
	for _, name := range []string{"75x37-420", "75x37-422", "75x37-444", "640x480-422", "640x480-grey"} {
		data, err := os.ReadFile("testdata/" + name + ".jpg")
		require.NoError(t, err)
		checkDecodeJPEG(t, &d, data, name)
	}
	m, err := jpeg.Decode(bytes.NewReader(mustRead(t, "testdata/75x37-422.jpg")))
	require.NoError(t, err)
	assert.Equal(t, image.YCbCrSubsampleRatio422, m.(*image.YCbCr).SubsampleRatio, "the 4:2:2 test picture")
}

// FuzzDecodeJPEG holds Image.Decode and a Decoder to the converter before
// on image/jpeg's 4:2:0 pictures of any size up to 255x255.
func FuzzDecodeJPEG(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint64(0), uint8(75))
	f.Add(uint8(75), uint8(37), uint64(1), uint8(90))
	f.Add(uint8(2), uint8(255), uint64(2), uint8(10))
	var d Decoder
	f.Fuzz(func(t *testing.T, w, h uint8, seed uint64, q uint8) {
		if w == 0 || h == 0 {
			return
		}
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, scene(int(w), int(h), seed), &jpeg.Options{Quality: 1 + int(q)%100}))
		checkDecodeJPEG(t, &d, buf.Bytes(), fmt.Sprintf("%dx%d 4:2:0", w, h))
	})
}

// TestDecoderReuse decodes frames of every format and of two sizes, in
// turn, with one Decoder, and requires Image.Decode's picture each time:
// nothing of an earlier frame shows through the reused pictures.
func TestDecoderReuse(t *testing.T) {
	var d Decoder
	var frames []*Image
	for _, s := range [][2]int{{40, 30}, {9, 7}, {40, 30}} {
		src := scene(s[0], s[1], uint64(s[0]))
		for _, f := range []container.PixFormat{container.RGB565, container.Grayscale, container.Binary, container.BayerRGGB, container.YUV422, container.RGB24, container.BGR24, container.JPEG, container.PNG} {
			m, err := Encode(src, f)
			require.NoError(t, err)
			frames = append(frames, m)
		}
	}
	for _, m := range frames {
		want, err := m.Decode()
		require.NoError(t, err)
		got, err := d.Decode(m)
		require.NoError(t, err)
		require.Equal(t, want, got, "%dx%d %v", m.Width, m.Height, m.Format)
	}
	// The picture is the Decoder's: the next frame overwrites it.
	a, err := d.Decode(frames[0])
	require.NoError(t, err)
	b, err := d.Decode(frames[len(frames)-9])
	require.NoError(t, err)
	assert.Same(t, a, b)
}

// TestDecoderJPEGAllocs: once a Decoder has seen a frame size, a JPEG
// frame costs no allocation, subsampled (converted to RGBA), 4:4:4 or grey;
// Image.Decode allocates its picture each time.
func TestDecoderJPEGAllocs(t *testing.T) {
	for _, name := range []string{"640x480-420", "640x480-422", "640x480-444", "640x480-grey"} {
		m := &Image{Width: 640, Height: 480, Format: container.JPEG, Data: mustRead(t, "testdata/"+name+".jpg")}
		var d Decoder
		_, err := d.Decode(m)
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(10, func() {
			if _, err := d.Decode(m); err != nil {
				t.Fatal(err)
			}
		}), name)
		assert.Positive(t, testing.AllocsPerRun(2, func() { m.Decode() }), name)
	}
}

// TestImageDecodeConcurrent: Image.Decode, which keeps JPEG planes between
// calls, gives each caller its own picture, whatever the others decode at
// the same time (run with -race).
func TestImageDecodeConcurrent(t *testing.T) {
	var frames []*Image
	var want []image.Image
	for _, name := range []string{"75x37-420", "75x37-422", "75x37-444", "640x480-grey", "640x480-420"} {
		data := mustRead(t, "testdata/"+name+".jpg")
		std, err := jpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		b := std.Bounds()
		frames = append(frames, &Image{Width: b.Dx(), Height: b.Dy(), Format: container.JPEG, Data: data})
		want = append(want, jpegToRGBARef(std))
	}
	var wg sync.WaitGroup
	got := make([][]image.Image, 4)
	for g := range got {
		wg.Go(func() {
			for i := range 20 {
				img, err := frames[(g+i)%len(frames)].Decode()
				if err != nil {
					t.Error(err)
					return
				}
				got[g] = append(got[g], img)
			}
		})
	}
	wg.Wait()
	for g := range got {
		for i, img := range got[g] {
			require.Equal(t, want[(g+i)%len(frames)], img, "goroutine %d, frame %d", g, i)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}
