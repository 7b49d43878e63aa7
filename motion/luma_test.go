package motion_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/motion"
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
	plane, stride, w, h, ok, err := motion.DecodeLuma(jpg, n)
	require.NoError(t, err)
	require.True(t, ok, "the luma decoder reads it")
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

// goJPEG encodes a smooth picture with noise, w x h, grey or colour (the
// standard library writes colour as 4:2:0).
func goJPEG(t testing.TB, seed uint64, w, h, quality int, grey bool) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var img image.Image
	val := func(x, y int) byte {
		return byte(max(0, min(255, 40+float64(x*150/max(w, 1))+float64(y*40/max(h, 1))+rng.NormFloat64()*6)))
	}
	if grey {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Pix[y*m.Stride+x] = val(x, y)
			}
		}
		img = m
	} else {
		m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for y := range h {
			for x := range w {
				m.Y[y*m.YStride+x] = val(x, y)
			}
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = byte(100+rng.IntN(56)), byte(100+rng.IntN(56))
		}
		img = m
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}))
	return b.Bytes()
}

// TestLumaGoJPEGs: the luma decoder's means match the standard library's
// pixels on JPEGs from image/jpeg, grey and 4:2:0, at odd sizes.
func TestLumaGoJPEGs(t *testing.T) {
	for i, c := range []struct{ w, h, q int }{
		{640, 480, 75}, {1, 1, 50}, {17, 9, 90}, {33, 65, 10}, {100, 75, 100}, {321, 239, 60},
	} {
		for _, grey := range []bool{false, true} {
			jpg := goJPEG(t, uint64(i), c.w, c.h, c.q, grey)
			for _, n := range []int{8, 4, 2, 1} {
				d := compareLuma(t, jpg, n)
				assert.LessOrEqual(t, d, lumaTolerance, "%dx%d q%d grey %v n %d", c.w, c.h, c.q, grey, n)
			}
		}
	}
}

// tool runs a command that makes test JPEGs, skipping the test when it is
// not installed (CI installs ffmpeg and libjpeg-turbo-progs).
func tool(t *testing.T, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
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
			tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=1,noise=alls=8",
				"-frames:v", "1", "-pix_fmt", pf, "-q:v", "3", f)
			files = append(files, f)
		}
	}
	src := filepath.Join(dir, "src.ppm")
	tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=203x117:rate=1,noise=alls=8", "-frames:v", "1", src)
	for i, args := range [][]string{
		{"-restart", "1B"}, {"-restart", "7B", "-sample", "2x1"}, {"-sample", "4x1"}, {"-sample", "1x2", "-restart", "3B"},
		{"-grayscale", "-restart", "5B"}, {"-optimize"},
	} {
		f := filepath.Join(dir, fmt.Sprintf("cjpeg%d.jpg", i))
		tool(t, "cjpeg", append(append(args, "-outfile", f), src)...)
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

// TestFallback: progressive and arithmetic-coded JPEGs go to the standard
// library's decoder, are counted in Stats.Fallback, and give the same
// result as Detect on the decoded frame.
func TestFallback(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1", "-frames:v", "1", src)
	for i, args := range [][]string{{"-progressive"}, {"-arithmetic"}} {
		f := filepath.Join(dir, fmt.Sprintf("f%d.jpg", i))
		tool(t, "cjpeg", append(append(args, "-outfile", f), src)...)
		jpg, err := os.ReadFile(f)
		require.NoError(t, err)
		_, _, _, _, ok, err := motion.DecodeLuma(jpg, 4)
		assert.False(t, ok, "%v: left to the standard library", args)
		require.NoError(t, err)

		d, err := motion.New(motion.Config{})
		require.NoError(t, err)
		ref, err := motion.New(motion.Config{})
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(jpg))
		if args[0] == "-arithmetic" && err != nil {
			// image/jpeg cannot read it either: the error is its own.
			_, err2 := d.DetectJPEG(jpg)
			var ue jpeg.UnsupportedError
			assert.ErrorAs(t, err2, &ue)
			assert.Equal(t, motion.Stats{Fallback: 1}, d.Stats())
			continue
		}
		require.NoError(t, err)
		for range 3 {
			r, err := d.DetectJPEG(jpg)
			require.NoError(t, err)
			assert.Equal(t, ref.Detect(img), r)
			assert.Equal(t, ref.Picture(), d.Picture())
		}
		assert.Equal(t, motion.Stats{Fallback: 3}, d.Stats(), "%v", args)
	}
}

// TestDetectJPEGEvents: DetectJPEG reports motion in the same frames as
// Detect on the frames image/jpeg decodes, on the motion test scenes, and
// reduces them to nearly the same grey picture.
func TestDetectJPEGEvents(t *testing.T) {
	mask := []image.Rectangle{image.Rect(0, 90, 320, 150)}
	for _, c := range []struct {
		name   string
		cfg    motion.Config
		ramp   float64
		object bool
		light  bool // the light switches on at 2 s
	}{
		{"object", motion.Config{}, 10, true, false},
		{"object, 80x60", motion.Config{Width: 80, Height: 60}, 10, true, false},
		{"object, 40x30", motion.Config{Width: 40, Height: 30}, 10, true, false},
		{"ramp", motion.Config{}, 10, false, false},
		{"fast ramp", motion.Config{}, 30, false, false},
		{"light switch", motion.Config{}, 0, false, true},
		{"mask", motion.Config{Mask: mask}, 10, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fast, err := motion.New(c.cfg)
			require.NoError(t, err)
			ref, err := motion.New(c.cfg)
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(1, 2))
			var got, want []int
			worst, sum, count := 0.0, 0.0, 0
			for i := range 8 * fps {
				img := scene(rng, i, c.ramp, c.object && i >= 3*fps && i < 5*fps)
				if c.light && i >= 2*fps {
					for j := range img.Pix {
						img.Pix[j] = byte(min(255, int(img.Pix[j])+50))
					}
				}
				var b bytes.Buffer
				require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}))
				r, err := fast.DetectJPEG(b.Bytes())
				require.NoError(t, err)
				dec, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
				require.NoError(t, err)
				if r.Motion {
					got = append(got, i)
				}
				if ref.Detect(dec).Motion {
					want = append(want, i)
				}
				for k, v := range fast.Picture() {
					d := math.Abs(float64(v - ref.Picture()[k]))
					worst, sum, count = max(worst, d), sum+d, count+1
				}
			}
			assert.Equal(t, want, got)
			assert.Equal(t, motion.Stats{Luma: 8 * fps}, fast.Stats())
			if c.object && c.cfg.Mask == nil {
				assert.NotEmpty(t, got)
			}
			t.Logf("grey picture: mean |difference| %.2f levels, largest %.1f", sum/float64(count), worst)
		})
	}
}

// TestDetectJPEGAllocs: a frame costs no allocation once the Detector has
// seen the frame size.
func TestDetectJPEGAllocs(t *testing.T) {
	jpg, err := os.ReadFile("testdata/frame640x480.jpg")
	require.NoError(t, err)
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	_, err = d.DetectJPEG(jpg)
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(20, func() { d.DetectJPEG(jpg) }))
	assert.Equal(t, motion.Stats{Luma: 22}, d.Stats())
}

// TestDetectJPEGMalformed: cut or corrupted JPEGs give an error of
// image/jpeg's types, and a header with a huge size is refused before
// anything is allocated for it.
func TestDetectJPEGMalformed(t *testing.T) {
	jpg, err := os.ReadFile("testdata/frame640x480.jpg")
	require.NoError(t, err)
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	for _, cut := range []int{3, 100, 700, len(jpg) / 2, len(jpg) - 100} {
		_, err := d.DetectJPEG(jpg[:cut])
		var fe jpeg.FormatError
		if cut < 700 {
			// In the header: image/jpeg says it.
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut at %d", cut)
		} else {
			assert.ErrorAs(t, err, &fe, "cut at %d", cut)
		}
	}
	assert.Equal(t, motion.Stats{Fallback: 2}, d.Stats())
	// Cut, with its EOI: a marker within the data.
	_, err = d.DetectJPEG(append(jpg[:len(jpg)/2:len(jpg)/2], 0xff, 0xd9))
	var fe jpeg.FormatError
	assert.ErrorAs(t, err, &fe)
	assert.Equal(t, motion.Stats{Fallback: 2}, d.Stats(), "the luma decoder says it")
	// The SOF0 with 0xffff x 0xffff.
	i := bytes.Index(jpg, []byte{0xff, 0xc0})
	require.Positive(t, i)
	big := bytes.Clone(jpg)
	copy(big[i+5:], []byte{0xff, 0xff, 0xff, 0xff})
	allocs := testing.AllocsPerRun(5, func() {
		_, err = d.DetectJPEG(big)
	})
	var ue jpeg.UnsupportedError
	assert.ErrorAs(t, err, &ue)
	assert.Zero(t, allocs)
}

// FuzzDecodeLuma: no input panics the luma decoder or DetectJPEG; a JPEG
// from image/jpeg of any size, quality and kind is read by the luma
// decoder, and its means are within lumaTolerance of the standard
// library's pixels.
func FuzzDecodeLuma(f *testing.F) {
	jpg, err := os.ReadFile("testdata/frame640x480.jpg")
	require.NoError(f, err)
	f.Add(jpg[:2000], uint16(0), uint16(0), uint8(0))
	f.Add([]byte{}, uint16(31), uint16(17), uint8(80))
	f.Add([]byte{}, uint16(200), uint16(5), uint8(129))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint16, q uint8) {
		for _, n := range []int{8, 4, 2, 1} {
			motion.DecodeLuma(data, n)
		}
		d, err := motion.New(motion.Config{})
		require.NoError(t, err)
		d.DetectJPEG(data)
		if w == 0 || h == 0 {
			return
		}
		w, h = w%160+1, h%128+1 // partial MCUs at every size; small, so a fuzz run is not spent in image/jpeg
		jpg := goJPEG(t, uint64(w)*uint64(h), int(w), int(h), int(q%100)+1, q >= 128)
		for _, n := range []int{8, 4, 2, 1} {
			assert.LessOrEqual(t, compareLuma(t, jpg, n), lumaTolerance, "%dx%d q%d n %d", w, h, q%100+1, n)
		}
	})
}

// BenchmarkDetectJPEG measures a 640x480 and a 1280x720 camera frame (the
// files in testdata, made by the ffmpeg commands in the package doc)
// through DetectJPEG (luma), against the path before the luma decoder:
// image/jpeg's full decode, then Detect (stdlib), in the same run.
func BenchmarkDetectJPEG(b *testing.B) {
	for _, size := range []string{"640x480", "1280x720"} {
		jpg, err := os.ReadFile("testdata/frame" + size + ".jpg")
		require.NoError(b, err)
		b.Run(size+"/stdlib", func(b *testing.B) {
			d, _ := motion.New(motion.Config{})
			b.SetBytes(int64(len(jpg)))
			b.ReportAllocs()
			for b.Loop() {
				img, err := jpeg.Decode(bytes.NewReader(jpg))
				if err != nil {
					b.Fatal(err)
				}
				d.Detect(img)
			}
		})
		b.Run(size+"/luma", func(b *testing.B) {
			d, _ := motion.New(motion.Config{})
			b.SetBytes(int64(len(jpg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.DetectJPEG(jpg); err != nil {
					b.Fatal(err)
				}
			}
			if d.Stats().Fallback != 0 {
				b.Fatal("fell back")
			}
		})
	}
}

// TestFallbackRestart: a restart marker out of its order goes to image/jpeg
// (which resynchronises), counted, with image/jpeg's result.
func TestFallbackRestart(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1", "-frames:v", "1", src)
	f := filepath.Join(dir, "rst.jpg")
	tool(t, "cjpeg", "-restart", "2B", "-outfile", f, src)
	jpg, err := os.ReadFile(f)
	require.NoError(t, err)
	i := bytes.Index(jpg, []byte{0xff, 0xd2}) // the third marker, RST2
	require.Positive(t, i)
	jpg[i+1] = 0xd5

	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	got, err := d.DetectJPEG(jpg)
	assert.Equal(t, motion.Stats{Fallback: 1}, d.Stats())
	img, err2 := jpeg.Decode(bytes.NewReader(jpg))
	if err2 != nil {
		assert.Equal(t, err2, err)
		return
	}
	require.NoError(t, err)
	ref, err := motion.New(motion.Config{})
	require.NoError(t, err)
	assert.Equal(t, ref.Detect(img), got)
}

// TestDetectJPEGTablesChange: a Detector that keeps its Huffman tables
// and weights from frame to frame reads frames of other tables (another
// quality, grey after colour) as a new Detector does.
func TestDetectJPEGTablesChange(t *testing.T) {
	frames := [][]byte{
		goJPEG(t, 1, 320, 240, 30, false), goJPEG(t, 2, 320, 240, 95, false),
		goJPEG(t, 3, 320, 240, 95, true), goJPEG(t, 1, 320, 240, 30, false),
	}
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	for i, jpg := range frames {
		fresh, err := motion.New(motion.Config{})
		require.NoError(t, err)
		_, err = fresh.DetectJPEG(jpg)
		require.NoError(t, err)
		_, err = d.DetectJPEG(jpg)
		require.NoError(t, err)
		assert.Equal(t, fresh.Picture(), d.Picture(), "frame %d", i)
	}
	assert.Equal(t, motion.Stats{Luma: 4}, d.Stats())
}

// TestPictureCamera: on the camera-like frames, the grey picture from the
// luma decoder is the mean of each cell's pixels as image/jpeg decodes
// them, within lumaTolerance at 640x480 (a cell is a 4x4 square); it
// differs from the one Detect makes (the old path) by that path's
// sampling of a quarter of each cell's pixels.
func TestPictureCamera(t *testing.T) {
	for _, size := range []string{"640x480", "1280x720"} {
		jpg, err := os.ReadFile("testdata/frame" + size + ".jpg")
		require.NoError(t, err)
		fast, err := motion.New(motion.Config{})
		require.NoError(t, err)
		ref, err := motion.New(motion.Config{})
		require.NoError(t, err)
		_, err = fast.DetectJPEG(jpg)
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(jpg))
		require.NoError(t, err)
		ref.Detect(img)
		y := img.(*image.YCbCr)
		fw, fh := y.Rect.Dx(), y.Rect.Dy()
		W, H := motion.DefaultWidth, motion.DefaultHeight
		var worstOld, sumOld, worstMean, sumMean float64
		for cy := range H {
			for cx := range W {
				sum, n := 0, 0
				for yy := cy * fh / H; yy < (cy+1)*fh/H; yy++ {
					for xx := cx * fw / W; xx < (cx+1)*fw/W; xx++ {
						sum += int(y.Y[yy*y.YStride+xx])
						n++
					}
				}
				v := float64(fast.Picture()[cy*W+cx])
				dm := math.Abs(v - float64(sum)/float64(n))
				do := math.Abs(v - float64(ref.Picture()[cy*W+cx]))
				worstMean, sumMean = max(worstMean, dm), sumMean+dm
				worstOld, sumOld = max(worstOld, do), sumOld+do
			}
		}
		t.Logf("%s: against the cells' means: mean |difference| %.2f levels, largest %.1f; against the old path: %.2f, %.1f",
			size, sumMean/float64(W*H), worstMean, sumOld/float64(W*H), worstOld)
		if size == "640x480" {
			assert.LessOrEqual(t, worstMean, lumaTolerance)
		}
		assert.Less(t, sumMean/float64(W*H), 1.0, size)
	}
}
