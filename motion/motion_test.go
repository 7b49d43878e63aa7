package motion_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/motion"
)

const fps = 30

// scene draws frame i of a synthetic camera view, 320x240 grey: a gradient
// with sensor noise (sigma about 4 levels) under a light that brightens
// slowly (ramp levels a second), and, when moving is set, a bright 40x40
// object crossing it.
func scene(rng *rand.Rand, i int, ramp float64, moving bool) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, 320, 240))
	light := ramp * float64(i) / fps
	ox, oy := (i*6)%280, 100
	for y := range 240 {
		for x := range 320 {
			v := 60 + float64(x)/4 + float64(y)/6 + light + rng.NormFloat64()*4
			if moving && x >= ox && x < ox+40 && y >= oy && y < oy+40 {
				v = 230 + rng.NormFloat64()*4
			}
			m.Pix[y*m.Stride+x] = byte(max(0, min(255, v)))
		}
	}
	return m
}

// run feeds 8 s of the scene, with the object from 3 s to 5 s when
// withObject is set, and returns the frames where motion was reported.
func run(t *testing.T, c motion.Config, ramp float64, withObject bool, asJPEG bool) []int {
	t.Helper()
	d, err := motion.New(c)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var frames []int
	for i := range 8 * fps {
		moving := withObject && i >= 3*fps && i < 5*fps
		img := scene(rng, i, ramp, moving)
		var r motion.Result
		if asJPEG {
			var b bytes.Buffer
			require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}))
			r, err = d.DetectJPEG(b.Bytes())
			require.NoError(t, err)
		} else {
			r = d.Detect(img)
		}
		if r.Motion {
			frames = append(frames, i)
		}
	}
	return frames
}

// TestMovingObject: motion from the object's first frame at 3 s to its
// last before 5 s, within a frame, through noise and a slow light ramp.
func TestMovingObject(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    motion.Config
		jpeg   bool
		margin int
	}{
		{"every frame", motion.Config{}, false, 1},
		{"JPEG, every 3rd", motion.Config{Every: 3}, true, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := run(t, c.cfg, 10, true, c.jpeg)
			require.NotEmpty(t, got)
			assert.InDelta(t, 3*fps, got[0], float64(c.margin), "starts with the object")
			assert.InDelta(t, 5*fps-1, got[len(got)-1], float64(c.margin), "ends with it")
			assert.InDelta(t, 2*fps, len(got), float64(2*c.margin), "one run of motion, no gaps: %v", got)
		})
	}
}

// TestStaticScene: noise and a slow light ramp alone are not motion.
func TestStaticScene(t *testing.T) {
	assert.Empty(t, run(t, motion.Config{}, 10, false, false))
	assert.Empty(t, run(t, motion.Config{}, 30, false, false), "a faster ramp")
}

// TestLightSwitch: the whole scene brightening at once is light, not
// motion.
func TestLightSwitch(t *testing.T) {
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3 * fps {
		img := scene(rng, i, 0, false)
		if i >= 2*fps {
			for j := range img.Pix {
				img.Pix[j] = byte(min(255, int(img.Pix[j])+50))
			}
		}
		assert.False(t, d.Detect(img).Motion, "frame %d", i)
	}
}

// TestMask: an object moving only inside the mask is not motion.
func TestMask(t *testing.T) {
	got := run(t, motion.Config{Mask: []image.Rectangle{image.Rect(0, 90, 320, 150)}}, 10, true, false)
	assert.Empty(t, got)
}

func TestEvery(t *testing.T) {
	d, err := motion.New(motion.Config{Every: 3})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 9 {
		r := d.Detect(scene(rng, i, 0, false))
		assert.Equal(t, i%3 == 0, r.Analysed, "frame %d", i)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []motion.Config{
		{Width: -1}, {Height: 5000}, {Threshold: 300}, {Area: 150}, {Area: -1}, {Adapt: 2}, {Every: -2}, {Warmup: -1},
	} {
		_, err := motion.New(c)
		assert.ErrorIs(t, err, motion.ErrInvalidConfig, "%+v", c)
	}
	d, err := motion.New(motion.Config{})
	require.NoError(t, err)
	_, err = d.DetectJPEG([]byte("not a jpeg"))
	var fe jpeg.FormatError
	assert.ErrorAs(t, err, &fe)
}

// BenchmarkDetect measures a frame's cost for 640x480 frames: DetectJPEG,
// its luma decoder and detecting (jpeg), detecting in a decoded frame
// (decoded), and image/jpeg's decoding alone (decode-only), in the same
// run. A 30 fps camera leaves
// 33 ms a frame.
func BenchmarkDetect(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	big := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for i := range big.Y {
		big.Y[i] = byte(60 + i%200/4 + int(rng.NormFloat64()*4))
	}
	for i := range big.Cb {
		big.Cb[i], big.Cr[i] = 128, 128
	}
	var jb bytes.Buffer
	jpeg.Encode(&jb, big, &jpeg.Options{Quality: 75})
	jpg := jb.Bytes()
	b.Run("decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(jpg)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jpeg", func(b *testing.B) {
		d, _ := motion.New(motion.Config{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := d.DetectJPEG(jpg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoded", func(b *testing.B) {
		d, _ := motion.New(motion.Config{})
		b.ReportAllocs()
		for b.Loop() {
			d.Detect(big)
		}
	})
}
