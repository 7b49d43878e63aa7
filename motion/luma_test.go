package motion_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/jpegdec"
	"github.com/imgstream/imgstream/motion"
)

// TestFallback: progressive and arithmetic-coded JPEGs go to the standard
// library's decoder, are counted in Stats.Fallback, and give the same
// result as Detect on the decoded frame.
func TestFallback(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.ppm")
	testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1", "-frames:v", "1", src)
	for i, args := range [][]string{{"-progressive"}, {"-arithmetic"}} {
		f := filepath.Join(dir, fmt.Sprintf("f%d.jpg", i))
		testkit.Tool(t, "cjpeg", append(append(args, "-outfile", f), src)...)
		jpg, err := os.ReadFile(f)
		require.NoError(t, err)
		var dec jpegdec.Decoder
		_, err = dec.DecodeLuma(jpg, 40, 30)
		require.ErrorIs(t, err, jpegdec.ErrUnsupported, "%v: left to the standard library", args)

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
	testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1", "-frames:v", "1", src)
	f := filepath.Join(dir, "rst.jpg")
	testkit.Tool(t, "cjpeg", "-restart", "2B", "-outfile", f, src)
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
		testkit.NoisyJPEG(1, 320, 240, 30, false), testkit.NoisyJPEG(2, 320, 240, 95, false),
		testkit.NoisyJPEG(3, 320, 240, 95, true), testkit.NoisyJPEG(1, 320, 240, 30, false),
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
// them, within 2 grey levels (jpegdec's luma tolerance) at 640x480 (a cell is a 4x4 square); it
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
			assert.LessOrEqual(t, worstMean, 2.0, "jpegdec's luma tolerance")
		}
		assert.Less(t, sumMean/float64(W*H), 1.0, size)
	}
}

// TestDetectJPEGHugeAfterJunk: a JPEG the luma decoder gives up on before
// its frame header (a stray byte after SOI, which image/jpeg skips) that
// declares 65535x65535 is refused by its size, not decoded by image/jpeg
// (6 GB of planes).
func TestDetectJPEGHugeAfterJunk(t *testing.T) {
	jpg, err := os.ReadFile("testdata/frame640x480.jpg")
	require.NoError(t, err)
	i := bytes.Index(jpg, []byte{0xff, 0xc0})
	require.Positive(t, i)
	big := slices.Concat(jpg[:2], []byte{0}, jpg[2:])
	binary.BigEndian.PutUint32(big[i+1+5:], 0xffffffff)
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = d.DetectJPEG(big)
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, jpegdec.ErrTooLarge)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated")
	assert.Equal(t, motion.Stats{Fallback: 1}, d.Stats())
}
