package jpegdec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/jpegdec"
)

// samePicture fails unless got is want: the same type, bounds and
// subsampling, and the same samples within the bounds.
func samePicture(t testing.TB, want, got image.Image, msg string) {
	t.Helper()
	switch w := want.(type) {
	case *image.YCbCr:
		g, ok := got.(*image.YCbCr)
		require.True(t, ok, "%s: %T, not %T", msg, got, want)
		require.Equal(t, w.Rect, g.Rect, msg)
		require.Equal(t, w.SubsampleRatio, g.SubsampleRatio, msg)
		for y := w.Rect.Min.Y; y < w.Rect.Max.Y; y++ {
			for x := w.Rect.Min.X; x < w.Rect.Max.X; x++ {
				wy, gy, wc, gc := w.YOffset(x, y), g.YOffset(x, y), w.COffset(x, y), g.COffset(x, y)
				if w.Y[wy] != g.Y[gy] || w.Cb[wc] != g.Cb[gc] || w.Cr[wc] != g.Cr[gc] {
					t.Fatalf("%s: at (%d, %d) YCbCr %d %d %d, want %d %d %d", msg, x, y, g.Y[gy], g.Cb[gc], g.Cr[gc], w.Y[wy], w.Cb[wc], w.Cr[wc])
				}
			}
		}
	case *image.Gray:
		g, ok := got.(*image.Gray)
		require.True(t, ok, "%s: %T, not %T", msg, got, want)
		require.Equal(t, w.Rect, g.Rect, msg)
		for y := w.Rect.Min.Y; y < w.Rect.Max.Y; y++ {
			for x := w.Rect.Min.X; x < w.Rect.Max.X; x++ {
				if w.GrayAt(x, y) != g.GrayAt(x, y) {
					t.Fatalf("%s: at (%d, %d) %v, want %v", msg, x, y, g.GrayAt(x, y), w.GrayAt(x, y))
				}
			}
		}
	default:
		// image/jpeg's own pictures (CMYK, RGB): Decode returns its result.
		require.Equal(t, want, got, msg)
	}
}

// decodeBoth decodes jpg with image/jpeg and with d, and fails unless
// they give the same picture, or both an error (image/jpeg's). It
// returns whether d read the frame itself.
func decodeBoth(t testing.TB, d *jpegdec.Decoder, jpg []byte, msg string) (read bool) {
	t.Helper()
	wc, wcerr := jpeg.DecodeConfig(bytes.NewReader(jpg))
	gc, gcerr := d.DecodeConfig(jpg)
	if wcerr != nil {
		require.Equal(t, wcerr, gcerr, "%s: DecodeConfig", msg)
	} else {
		require.NoError(t, gcerr, "%s: DecodeConfig", msg)
		require.Equal(t, wc, gc, "%s: DecodeConfig", msg)
	}
	before := d.Stats()
	want, werr := jpeg.Decode(bytes.NewReader(jpg))
	got, err := d.Decode(jpg)
	after := d.Stats()
	if errors.Is(err, jpegdec.ErrTooLarge) {
		// The one error that is not image/jpeg's: the size is refused
		// before either decoder allocates for it. Not counted.
		if c, cerr := jpeg.DecodeConfig(bytes.NewReader(jpg)); cerr == nil {
			require.Greater(t, c.Width*c.Height, jpegdec.DefaultMaxPixels, msg)
		}
		require.Equal(t, before, after, msg)
		return false
	}
	require.Equal(t, before.Read+before.Fallback+1, after.Read+after.Fallback, "%s: counted once", msg)
	if werr != nil {
		require.Error(t, err, "%s: image/jpeg says %v", msg, werr)
		assert.Equal(t, werr.Error(), err.Error(), msg)
		assert.Equal(t, before.Read, after.Read, "%s: an error is image/jpeg's", msg)
		return false
	}
	require.NoError(t, err, msg)
	samePicture(t, want, got, msg)
	return after.Read > before.Read
}

// toolJPEGs makes test JPEGs with ffmpeg and cjpeg, by name: every
// subsampling image/jpeg reads, restart intervals, optimised tables, odd
// sizes (read by jpegdec), and the kinds it leaves to image/jpeg.
func toolJPEGs(t *testing.T) (read, fallback map[string][]byte) {
	dir := t.TempDir()
	read, fallback = map[string][]byte{}, map[string][]byte{}
	load := func(m map[string][]byte, name, f string) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		m[name] = b
	}
	for _, pf := range []string{"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "gray"} {
		for _, size := range []string{"320x240", "97x43"} {
			f := filepath.Join(dir, pf+size+".jpg")
			testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=1,noise=alls=8",
				"-frames:v", "1", "-pix_fmt", pf, "-q:v", "3", f)
			load(read, "ffmpeg "+pf+" "+size, f)
		}
	}
	src := filepath.Join(dir, "src.ppm")
	testkit.Tool(t, "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=203x117:rate=1,noise=alls=8", "-frames:v", "1", src)
	for i, c := range []struct {
		args     []string
		fallback bool
	}{
		{[]string{"-sample", "1x1"}, false},
		{[]string{"-sample", "2x1"}, false},
		{[]string{"-sample", "2x2"}, false},
		{[]string{"-sample", "1x2"}, false},
		{[]string{"-sample", "4x1"}, false},
		{[]string{"-sample", "4x2"}, false},
		{[]string{"-grayscale"}, false},
		{[]string{"-restart", "1B"}, false},
		{[]string{"-restart", "1"}, false},
		{[]string{"-restart", "7B", "-sample", "2x1"}, false},
		{[]string{"-grayscale", "-restart", "5B"}, false},
		{[]string{"-optimize"}, false},
		{[]string{"-quality", "100"}, false},
		{[]string{"-quality", "2"}, false},
		{[]string{"-dct", "float", "-quality", "97", "-restart", "3B"}, false},
		{[]string{"-progressive"}, true},
		{[]string{"-arithmetic"}, true},
		{[]string{"-rgb"}, true},
		{[]string{"-sample", "2x1,2x1,2x1"}, false},
		{[]string{"-sample", "2x2,2x1,2x1", "-restart", "2B"}, false},
		{[]string{"-sample", "2x2,1x1,2x1"}, true},
	} {
		f := filepath.Join(dir, fmt.Sprintf("cjpeg%d.jpg", i))
		testkit.Tool(t, "cjpeg", append(append(c.args, "-outfile", f), src)...)
		m := read
		if c.fallback {
			m = fallback
		}
		load(m, fmt.Sprint("cjpeg ", c.args), f)
	}
	return read, fallback
}

// TestDecodeMatchesStdlib: Decode gives image/jpeg's pictures, bit for
// bit, on JPEGs from ffmpeg, cjpeg and image/jpeg of every subsampling,
// size and quality, reading them itself; the kinds it does not read
// (progressive, arithmetic, RGB, other sampling factors) go to image/jpeg
// and are counted.
func TestDecodeMatchesStdlib(t *testing.T) {
	read, fallback := toolJPEGs(t)
	files, err := filepath.Glob("../imageio/testdata/*.jpg")
	require.NoError(t, err)
	more, err := filepath.Glob("../motion/testdata/*.jpg")
	require.NoError(t, err)
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		read[f] = b
	}
	for i, c := range []struct{ w, h, q int }{
		{640, 480, 75}, {1, 1, 50}, {17, 9, 90}, {33, 65, 10}, {100, 75, 100}, {321, 239, 60}, {8, 8, 1}, {16, 1, 80},
	} {
		for _, grey := range []bool{false, true} {
			read[fmt.Sprintf("image/jpeg %dx%d q%d grey %v", c.w, c.h, c.q, grey)] = testkit.NoisyJPEG(uint64(i), c.w, c.h, c.q, grey)
		}
	}
	var d jpegdec.Decoder // one for all: tables, sizes and kinds change between frames
	n := 0
	for name, jpg := range read {
		assert.True(t, decodeBoth(t, &d, jpg, name), "%s: read by jpegdec", name)
		n++
	}
	for name, jpg := range fallback {
		assert.False(t, decodeBoth(t, &d, jpg, name), "%s: left to image/jpeg", name)
	}
	assert.Equal(t, jpegdec.Stats{Read: int64(n), Fallback: int64(len(fallback))}, d.Stats())
}

// TestDecodeDamaged: cut and corrupted JPEGs give what image/jpeg gives,
// the same picture or an error, and never panic: jpegdec gives what it
// cannot read exactly as image/jpeg does to image/jpeg.
func TestDecodeDamaged(t *testing.T) {
	read, _ := toolJPEGs(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var d jpegdec.Decoder
	for _, name := range []string{"cjpeg [-restart 1B]", "cjpeg [-sample 2x2]", "cjpeg [-grayscale -restart 5B]", "ffmpeg yuvj422p 97x43"} {
		jpg := read[name]
		require.NotNil(t, jpg, name)
		for cut := 0; cut < len(jpg); cut += 1 + len(jpg)/97 {
			decodeBoth(t, &d, jpg[:cut], fmt.Sprintf("%s cut at %d", name, cut))
		}
		for i := range 300 {
			bad := bytes.Clone(jpg)
			for range 1 + i%3 {
				bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			}
			decodeBoth(t, &d, bad, fmt.Sprintf("%s corrupted %d", name, i))
		}
	}
	t.Logf("%+v", d.Stats())
	assert.Positive(t, d.Stats().Read, "corrupt entropy-coded data still decodes, as image/jpeg decodes it")
}

// sof returns the offset of jpg's SOF0 segment's height field.
func sof(t testing.TB, jpg []byte) int {
	i := bytes.Index(jpg, []byte{0xff, 0xc0})
	require.Positive(t, i)
	return i + 5
}

// TestDecodeTooLarge: a header declaring more than MaxPixels is refused
// before anything is allocated for it, by either decoder.
func TestDecodeTooLarge(t *testing.T) {
	jpg, err := os.ReadFile("../motion/testdata/frame640x480.jpg")
	require.NoError(t, err)
	big := bytes.Clone(jpg)
	binary.BigEndian.PutUint32(big[sof(t, big):], 0xffffffff) // 65535x65535
	var d jpegdec.Decoder
	var derr, lerr error
	allocs := testing.AllocsPerRun(5, func() {
		_, derr = d.Decode(big)
		_, lerr = d.DecodeLuma(big, 160, 120)
	})
	assert.ErrorIs(t, derr, jpegdec.ErrTooLarge)
	assert.ErrorIs(t, lerr, jpegdec.ErrTooLarge)
	var ue jpeg.UnsupportedError
	assert.ErrorAs(t, derr, &ue, "of image/jpeg's types")
	assert.Zero(t, allocs)

	// A smaller limit, and a progressive frame, which image/jpeg reads.
	d.MaxPixels = 640*480 - 1
	_, err = d.Decode(jpg)
	assert.ErrorIs(t, err, jpegdec.ErrTooLarge)
	prog := bytes.Clone(jpg)
	prog[sof(t, prog)-4] = 0xc2
	_, err = d.Decode(prog)
	assert.ErrorIs(t, err, jpegdec.ErrTooLarge)
	d.MaxPixels = 640 * 480
	m, err := d.Decode(jpg)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 640, 480), m.Bounds())
}

// TestDecodeAllocs: once a Decoder has seen a frame size, a frame costs
// no allocation, colour or grey; image/jpeg allocates its picture each
// time.
func TestDecodeAllocs(t *testing.T) {
	for _, jpg := range [][]byte{testkit.NoisyJPEG(1, 320, 240, 80, false), testkit.NoisyJPEG(1, 320, 240, 80, true)} {
		var d jpegdec.Decoder
		_, err := d.Decode(jpg)
		require.NoError(t, err)
		assert.Zero(t, testing.AllocsPerRun(20, func() {
			if _, err := d.Decode(jpg); err != nil {
				t.Fatal(err)
			}
		}))
		assert.Equal(t, jpegdec.Stats{Read: 22}, d.Stats())
		assert.Positive(t, testing.AllocsPerRun(5, func() { jpeg.Decode(bytes.NewReader(jpg)) }))
	}
}

// FuzzDecode: on any input, Decode gives what image/jpeg gives, the same
// picture or an error, and never panics.
func FuzzDecode(f *testing.F) {
	jpg, err := os.ReadFile("../imageio/testdata/75x37-422.jpg")
	require.NoError(f, err)
	f.Add(jpg)
	f.Add(testkit.NoisyJPEG(1, 19, 11, 50, false))
	f.Add(testkit.NoisyJPEG(2, 9, 20, 90, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && c.Width*c.Height > 1<<20 {
			return // not a fuzz run spent in image/jpeg's allocations
		}
		var d jpegdec.Decoder
		decodeBoth(t, &d, data, "fuzz")
	})
}

// BenchmarkDecode decodes camera-like frames (640x480 and 1280x720 4:2:0
// from ffmpeg, the motion package's testdata) and imageio's test pictures
// of each subsampling with image/jpeg ("stdlib") and a reused Decoder
// ("jpegdec"); "paired" times both alternately and reports jpegdec's time
// over stdlib's (x-stdlib), steadier on a shared machine:
//
//	go test -run '^$' -bench 'Decode/.*/paired' -benchtime 100x -count 6 ./jpegdec
func BenchmarkDecode(b *testing.B) {
	for _, f := range []string{
		"../motion/testdata/frame640x480.jpg", "../motion/testdata/frame1280x720.jpg",
		"../imageio/testdata/640x480-422.jpg", "../imageio/testdata/640x480-444.jpg", "../imageio/testdata/640x480-grey.jpg",
	} {
		jpg, err := os.ReadFile(f)
		require.NoError(b, err)
		var d jpegdec.Decoder
		stdlib := func() error {
			_, err := jpeg.Decode(bytes.NewReader(jpg))
			return err
		}
		ours := func() error {
			_, err := d.Decode(jpg)
			return err
		}
		name := filepath.Base(f)
		b.Run(name+"/stdlib", func(b *testing.B) {
			b.SetBytes(int64(len(jpg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := stdlib(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/jpegdec", func(b *testing.B) {
			b.SetBytes(int64(len(jpg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ours(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/paired", func(b *testing.B) {
			testkit.Paired(b, int64(len(jpg)), "stdlib", stdlib, ours)
		})
		if d.Stats().Fallback != 0 {
			b.Fatal("fell back")
		}
	}
}

// segment returns the offset of the first segment of marker m in jpg (its
// 0xFF).
func segment(t testing.TB, jpg []byte, m byte) int {
	i := bytes.Index(jpg, []byte{0xff, m})
	require.Positive(t, i, "marker %#x", m)
	return i
}

// TestDecodeRefusedLikeStdlib: headers image/jpeg refuses, or reads
// otherwise than as YCbCr, are left to it, by Decode, DecodeConfig and
// DecodeLuma alike: table ids over 1 in a baseline frame, more than 10
// blocks an MCU, a luma sampled 4 times vertically, an Adobe marker
// saying RGB after the frame header; and a frame too large for its data
// is refused before its planes are allocated.
func TestDecodeRefusedLikeStdlib(t *testing.T) {
	src := testkit.NoisyJPEG(5, 64, 48, 80, false)
	sofAt := sof(t, src) - 5 // the SOF0's 0xFF
	factors := func(y, c byte) []byte {
		b := bytes.Clone(src)
		b[sofAt+11], b[sofAt+14], b[sofAt+17] = y, c, c
		return b
	}
	dht := bytes.Clone(src)
	i := segment(t, dht, 0xc4)
	require.Equal(t, byte(0x00), dht[i+4], "the first table of the DHT: DC 0")
	dht[i+4] = 0x02 // DC table 2, not baseline
	adobe := slices.Concat(src[:sofAt+19], []byte{0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}, src[sofAt+19:])
	for name, jpg := range map[string][]byte{
		"DHT table 2 in a baseline frame": dht,
		"12 blocks an MCU":                factors(0x22, 0x22),
		"luma 1x4":                        factors(0x14, 0x12),
		"Adobe RGB after SOF":             adobe,
	} {
		var d jpegdec.Decoder
		assert.False(t, decodeBoth(t, &d, jpg, name), "%s: left to image/jpeg", name)
		_, err := d.DecodeLuma(jpg, 16, 12)
		assert.ErrorIs(t, err, jpegdec.ErrUnsupported, name)
	}

	// 4096x4096 declared over 64x48 of data: nothing kept for it.
	big := bytes.Clone(src)
	binary.BigEndian.PutUint32(big[sofAt+5:], 4096<<16|4096)
	var d jpegdec.Decoder
	decodeBoth(t, &d, big, "4096x4096 over a 64x48 frame's data")
	assert.Zero(t, d.PlaneBytes())
}
