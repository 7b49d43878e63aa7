// Package motion detects motion in a sequence of frames by differencing them
// against a slowly adapting background, the way a security camera decides
// to record: each analysed frame is reduced to a small grey picture, a pixel
// counts as changed when it differs from the background by more than a
// threshold, and there is motion when the changed pixels cover more than a
// share of the picture.
//
// It ignores what is not motion:
//   - sensor noise, by the threshold and by averaging each analysed pixel
//     over a block of the frame;
//   - slow light changes (a cloud, the evening), by the background's
//     adaptation and by comparing each frame with the background after
//     removing the difference of their mean brightness;
//   - regions that move all the time (a tree, a clock), by a mask.
//
// # JPEG frames: only the luma, only its means
//
// The grey picture is made of block averages, and a JPEG holds them: an
// 8x8 block's DCT coefficients give the mean of any part of the block as a
// weighted sum of them. DetectJPEG decodes only that, with
// [jpegdec.Decoder.DecodeLuma]:
//   - the luma blocks' coefficients, with a table-driven Huffman decoder
//     (a 9-bit lookahead gives a code's symbol in one lookup, and for AC
//     codes whose value bits fit in the 9 bits too, the run and the value;
//     longer codes take a slow path), over restart markers (DRI, RSTn),
//     byte stuffing, any sampling factors (4:2:0, 4:2:2, 4:4:4, 4:1:1,
//     grey) and any size;
//   - the chroma blocks' codes are read and skipped, never dequantised;
//   - each luma block becomes s x s exact means of its n x n squares
//     (n = 8/s), each a sum over its few nonzero coefficients, never an
//     inverse DCT: n is the largest of 8, 4, 2, 1 that fits in a cell of
//     Config's grid (a 640x480 frame into 160x120: 4x4 squares, the means
//     of a 2x2 scaled IDCT, but exact; 1280x960: the DC alone);
//   - each cell of the grid averages the means whose centre it holds.
//
// At 640x480 the grey picture is the mean of each cell's pixels as
// image/jpeg decodes them, within 0.8 grey levels (0.24 on average;
// TestPictureCamera). It differs from the old path's picture (Detect on
// image/jpeg's frame, which averaged every other pixel of every other row)
// by that sampling: 1.3 levels on average on a noisy camera frame, 0.3 to
// 1.35 on the test scenes (TestDetectJPEGEvents logs it), which give the
// same motion in the same frames either way. Each mean is within 2 levels
// of image/jpeg's pixels averaged over its square, where none is clipped
// (TestLumaGoJPEGs, TestLumaToolJPEGs, FuzzDecodeLuma).
//
// A JPEG the luma decoder does not read (progressive, arithmetic coded,
// 12-bit, lossless, hierarchical, RGB or CMYK, a height given by DNL, a
// restart marker out of place, or a header it does not expect) goes to
// image/jpeg at full size, and is counted in Stats.Fallback; the errors
// are then image/jpeg's. The luma decoder's own errors are of image/jpeg's
// types too (jpeg.FormatError, jpeg.UnsupportedError). A frame over
// MaxJPEGPixels is an error whichever decoder would read it.
//
// # Cost
//
// A frame costs one pass over its pixels to reduce it, plus a pass over the
// small picture (160x120 by default). A JPEG frame costs its Huffman
// decoding; Config.Every analyses one frame in k, which is enough to see a
// person cross a room. Measured with
//
//	go test -run '^$' -bench DetectJPEG -benchtime 200x -count 6 ./motion | go run ./internal/benchratio -limit stdlib
//
// on camera-like frames (testdata/frame640x480.jpg, 46 kB, and
// testdata/frame1280x720.jpg, 123 kB, made by
// ffmpeg -f lavfi -i testsrc2=size=640x480:rate=1,noise=alls=8 -frames:v 1 -pix_fmt yuvj420p -q:v 4),
// against the path before, image/jpeg's full decode then Detect (stdlib):
//
//	BenchmarkDetectJPEG/640x480/luma    0.18x stdlib's time a frame (0.54 ms), 0 allocs
//	BenchmarkDetectJPEG/1280x720/luma   0.15x stdlib's time a frame (1.65 ms), 0 allocs
//
// (2 shared cores, quiet; earlier runs at loads 2 to 7 gave 0.12x to
// 0.21x.) libjpeg-turbo 2.1's scaled grey decode of the same files, in
// one process (OpenCV's cv2.imdecode with IMREAD_REDUCED_GRAYSCALE_4,
// which calls it, CPU time over 200 calls, median of 6, timed right
// after), takes 0.45 ms and 1.37 ms: the luma path, which also detects,
// takes 1.22x and 1.20x libjpeg-turbo's time.
//
// A Detector is not safe for concurrent use.
package motion

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/imgstream/imgstream/jpegdec"
)

// MaxJPEGPixels is the largest frame, in pixels (width times height), that
// DetectJPEG reads: a larger one is an error (jpegdec.ErrTooLarge), whatever
// its coding, so that a header never makes the Detector allocate more than
// a 4096x4096 frame takes (the standard library's decoder, used for the
// JPEGs the luma decoder cannot read, allocates 1.5 bytes a pixel, 24 MB,
// and 6 more for a progressive one's 4:2:0 coefficients).
const MaxJPEGPixels = 1 << 24 // 4096x4096

// ErrInvalidConfig is returned by New for a Config outside its ranges.
var ErrInvalidConfig = errors.New("motion: invalid configuration")

// Defaults of a Config's zero fields.
const (
	DefaultWidth     = 160
	DefaultHeight    = 120
	DefaultThreshold = 25   // grey levels: sensor noise stays under it
	DefaultArea      = 1.0  // percent of the picture
	DefaultAdapt     = 0.05 // of the difference, each analysed frame
	DefaultWarmup    = 5    // analysed frames that only teach the background
)

// Config says how a Detector looks at frames. The zero value works.
type Config struct {
	// Width and Height are the size of the grey picture frames are
	// reduced to: DefaultWidth x DefaultHeight when zero.
	Width, Height int
	// Threshold is how many grey levels (of 255) a pixel must differ from
	// the background by to count as changed: DefaultThreshold when zero.
	Threshold int
	// Area is the percentage of the picture (outside the mask) that must
	// change for motion: DefaultArea when zero.
	Area float64
	// Adapt is how fast the background follows the scene, from 0 to 1
	// (the share of the difference taken in each analysed frame):
	// DefaultAdapt when zero. Pixels that changed adapt ten times slower,
	// so that a person who stops is not at once part of the background.
	Adapt float64
	// Every makes the Detector analyse one frame in Every, and report the
	// last result for the others: 1 (every frame) when zero.
	Every int
	// Warmup is how many analysed frames only teach the background before
	// motion is reported: DefaultWarmup when zero.
	Warmup int
	// Mask lists regions of the frame, in the frame's pixels, where
	// nothing counts.
	Mask []image.Rectangle
}

// A Result is what a Detector saw in a frame.
type Result struct {
	Motion   bool    // the changed area is over Config.Area
	Changed  float64 // percent of the picture (outside the mask) that changed
	Analysed bool    // this frame was analysed (see Config.Every), not skipped
}

// A Detector detects motion in the frames given to it in order.
type Detector struct {
	c        Config
	bg       []float32
	cur      []float32
	masked   []bool
	unmasked int
	n        int // frames seen
	analysed int
	last     Result
	frameW   int
	frameH   int

	luma    jpegdec.Decoder
	cellX   []int32 // per grid column: the first and last+1 plane column it averages
	cellY   []int32 // per grid row: the same for plane rows
	cellN   int     // the plane's pixels per mean (Luma.Scale) cellX, cellY are for
	cellOne bool    // each cell is one mean
	stats   Stats
}

// Stats counts how a Detector read the JPEG frames it analysed.
type Stats struct {
	// Luma counts the frames read by the luma decoder: baseline JPEGs,
	// 8-bit, Huffman coded, YCbCr or grey.
	Luma int64
	// Fallback counts the frames read by the standard library's decoder,
	// at full size: progressive, arithmetic coded, 12-bit, lossless, RGB
	// or CMYK JPEGs, or headers the luma decoder does not expect. Its
	// errors are returned as they are.
	Fallback int64
}

// Stats returns the counts of the JPEG frames analysed so far.
func (d *Detector) Stats() Stats { return d.stats }

// New returns a Detector configured by c.
func New(c Config) (*Detector, error) {
	if c.Width == 0 {
		c.Width = DefaultWidth
	}
	if c.Height == 0 {
		c.Height = DefaultHeight
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.Area == 0 {
		c.Area = DefaultArea
	}
	if c.Adapt == 0 {
		c.Adapt = DefaultAdapt
	}
	if c.Every == 0 {
		c.Every = 1
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	switch {
	case c.Width < 1 || c.Height < 1 || c.Width > 4096 || c.Height > 4096:
		return nil, fmt.Errorf("%w: %dx%d", ErrInvalidConfig, c.Width, c.Height)
	case c.Threshold < 1 || c.Threshold > 255:
		return nil, fmt.Errorf("%w: threshold %d", ErrInvalidConfig, c.Threshold)
	case !(c.Area > 0 && c.Area <= 100):
		return nil, fmt.Errorf("%w: area %g%%", ErrInvalidConfig, c.Area)
	case !(c.Adapt > 0 && c.Adapt <= 1):
		return nil, fmt.Errorf("%w: adapt %g", ErrInvalidConfig, c.Adapt)
	case c.Every < 1 || c.Warmup < 1:
		return nil, fmt.Errorf("%w: every %d, warmup %d", ErrInvalidConfig, c.Every, c.Warmup)
	}
	n := c.Width * c.Height
	return &Detector{c: c, bg: make([]float32, n), cur: make([]float32, n), masked: make([]bool, n)}, nil
}

// DetectJPEG decodes a JPEG frame (only when it is analysed) and detects
// motion in it. It decodes only the means of the luma it needs (see the
// package doc), or, for a JPEG the luma decoder does not read, the whole
// frame with image/jpeg (counted in Stats). Once the Detector has seen the
// frame size, it allocates nothing for a frame the luma decoder reads.
func (d *Detector) DetectJPEG(jpg []byte) (Result, error) {
	if d.skip() {
		return d.last, nil
	}
	d.luma.MaxPixels = MaxJPEGPixels
	l, err := d.luma.DecodeLuma(jpg, d.c.Width, d.c.Height)
	switch {
	case err == nil:
		d.stats.Luma++
		d.resize(image.Rect(0, 0, l.Width, l.Height))
		d.reduceLuma(l)
		return d.compare(), nil
	case err != jpegdec.ErrUnsupported:
		return Result{}, err
	}
	d.stats.Fallback++
	// jpegdec's Decode hands it to image/jpeg, after checking the size
	// image/jpeg reads in its header against MaxJPEGPixels: the luma
	// decoder may have given up before it saw one.
	img, err := d.luma.Decode(jpg)
	if err != nil {
		return Result{}, err
	}
	return d.analyse(img), nil
}

// Detect detects motion in img.
func (d *Detector) Detect(img image.Image) Result {
	if d.skip() {
		return d.last
	}
	return d.analyse(img)
}

// skip counts a frame and reports whether it is one Config.Every skips.
func (d *Detector) skip() bool {
	d.n++
	if (d.n-1)%d.c.Every != 0 {
		d.last.Analysed = false
		return true
	}
	return false
}

// Reset forgets the background, as after the camera moved.
func (d *Detector) Reset() {
	d.analysed, d.n, d.last = 0, 0, Result{}
}

func (d *Detector) analyse(img image.Image) Result {
	d.resize(img.Bounds())
	d.reduce(img)
	return d.compare()
}

// resize makes the mask for a frame's bounds, if they are new.
func (d *Detector) resize(b image.Rectangle) {
	if b.Dx() != d.frameW || b.Dy() != d.frameH {
		d.frameW, d.frameH = b.Dx(), b.Dy()
		d.makeMask(b)
		d.analysed = 0 // a new size is a new scene
		d.cellN = 0
	}
}

// compare compares d.cur with the background, and teaches it.
func (d *Detector) compare() Result {
	W, H := d.c.Width, d.c.Height
	if d.analysed == 0 {
		copy(d.bg, d.cur)
	}
	d.analysed++
	// The difference of mean brightness between the frame and the
	// background is light, not motion.
	n := W * H
	cur, bg, masked := d.cur[:n], d.bg[:n], d.masked[:n]
	shift := float32(0)
	if d.unmasked > 0 {
		shift = float32(meanDiff(cur, bg, masked, d.unmasked == n) / float64(d.unmasked))
	}
	th := float32(d.c.Threshold)
	a := float32(d.c.Adapt)
	changed := 0
	if d.unmasked == n {
		changed = learn(cur, bg, shift, th, a)
	} else {
		for i, c := range cur {
			diff := c - shift - bg[i]
			rate := a
			if !masked[i] && (diff > th || diff < -th) {
				changed++
				rate = a / 10
			}
			bg[i] += rate * (c - bg[i])
		}
	}
	r := Result{Analysed: true}
	if d.unmasked > 0 {
		r.Changed = 100 * float64(changed) / float64(d.unmasked)
	}
	r.Motion = d.analysed > d.c.Warmup && r.Changed > d.c.Area
	d.last = r
	return r
}

// meanDiff returns the sum of cur minus bg over the pixels not masked
// (all of them when none is). It adds in four chains, so that the adds
// do not wait on one another; the sums of at most 65536 grey levels are
// exact in float64 in any order.
func meanDiff(cur, bg []float32, masked []bool, none bool) float64 {
	bg, masked = bg[:len(cur)], masked[:len(cur)]
	var s0, s1, s2, s3 float64
	if !none {
		for i, c := range cur {
			if !masked[i] {
				s0 += float64(c) - float64(bg[i])
			}
		}
		return s0
	}
	i := 0
	for ; i+4 <= len(cur); i += 4 {
		c, b := cur[i:i+4:i+4], bg[i:i+4:i+4]
		s0 += float64(c[0]) - float64(b[0])
		s1 += float64(c[1]) - float64(b[1])
		s2 += float64(c[2]) - float64(b[2])
		s3 += float64(c[3]) - float64(b[3])
	}
	for ; i < len(cur); i++ {
		s0 += float64(cur[i]) - float64(bg[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// learn counts the pixels of cur that differ from bg, less shift, by more
// than th, and moves bg towards cur at the rate a, a tenth of it where
// they differ: compare with no mask, without its branch a pixel.
func learn(cur, bg []float32, shift, th, a float32) int {
	bg = bg[:len(cur)]
	changed := 0
	rates := [2]float32{a, a / 10}
	for i, c := range cur {
		b := bg[i]
		diff := math.Float32frombits(math.Float32bits(c-shift-b) &^ (1 << 31)) // |c - shift - b|
		moved := 0
		if diff > th {
			moved = 1
		}
		changed += moved
		bg[i] = b + rates[moved]*(c-b)
	}
	return changed
}

// makeMask marks the small picture's pixels whose block of the frame meets
// a masked region.
func (d *Detector) makeMask(b image.Rectangle) {
	W, H := d.c.Width, d.c.Height
	d.unmasked = 0
	for y := range H {
		for x := range W {
			cell := image.Rect(b.Min.X+x*b.Dx()/W, b.Min.Y+y*b.Dy()/H, b.Min.X+(x+1)*b.Dx()/W, b.Min.Y+(y+1)*b.Dy()/H)
			m := false
			for _, r := range d.c.Mask {
				if cell.Overlaps(r) {
					m = true
					break
				}
			}
			d.masked[y*W+x] = m
			if !m {
				d.unmasked++
			}
		}
	}
}

// reduce averages img's luma over the blocks of the small picture, into
// d.cur. A YCbCr frame (what JPEG gives) is read from its Y plane, a grey
// one from its pixels; other images through their colours.
func (d *Detector) reduce(img image.Image) {
	W, H := d.c.Width, d.c.Height
	b := img.Bounds()
	fw, fh := b.Dx(), b.Dy()
	var plane []byte
	stride := 0
	switch m := img.(type) {
	case *image.YCbCr:
		plane, stride = m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride
	case *image.Gray:
		plane, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	}
	for y := range H {
		y0, y1 := y*fh/H, max((y+1)*fh/H, y*fh/H+1)
		for x := range W {
			x0, x1 := x*fw/W, max((x+1)*fw/W, x*fw/W+1)
			var sum uint32
			// Every other row and column of the block: averaging a
			// quarter of the pixels is as good against noise, and four
			// times cheaper.
			n := uint32(0)
			for yy := y0; yy < min(y1, fh); yy += 2 {
				if plane != nil {
					row := plane[yy*stride:]
					for xx := x0; xx < min(x1, fw); xx += 2 {
						sum += uint32(row[xx])
						n++
					}
					continue
				}
				for xx := x0; xx < min(x1, fw); xx += 2 {
					r, g, bl, _ := img.At(b.Min.X+xx, b.Min.Y+yy).RGBA()
					sum += (19595*r + 38470*g + 7471*bl + 1<<15) >> 24
					n++
				}
			}
			d.cur[y*W+x] = float32(sum) / float32(max(n, 1))
		}
	}
}

// reduceLuma averages the luma decoder's plane of n x n means over the
// cells of the small picture, into d.cur: a cell takes the means whose
// centre it holds, or, smaller than them, the one holding its centre.
func (d *Detector) reduceLuma(l *jpegdec.Luma) {
	W, H := d.c.Width, d.c.Height
	n := l.Scale
	if d.cellN != n {
		d.cellX = cells(d.cellX[:0], W, d.frameW, n)
		d.cellY = cells(d.cellY[:0], H, d.frameH, n)
		d.cellN = n
		d.cellOne = true
		for i := 0; i < len(d.cellX); i += 2 {
			d.cellOne = d.cellOne && d.cellX[i+1] == d.cellX[i]+1
		}
		for i := 0; i < len(d.cellY); i += 2 {
			d.cellOne = d.cellOne && d.cellY[i+1] == d.cellY[i]+1
		}
	}
	p, pw := l.Pix, l.Stride
	if d.cellOne {
		// A mean a cell (640x480 into 160x120): a copy.
		for y := range H {
			row := p[int(d.cellY[2*y])*pw:]
			cur := d.cur[y*W : y*W+W]
			for x := range cur {
				cur[x] = float32(row[d.cellX[2*x]])
			}
		}
		return
	}
	for y := range H {
		y0, y1 := int(d.cellY[2*y]), int(d.cellY[2*y+1])
		for x := range W {
			x0, x1 := int(d.cellX[2*x]), int(d.cellX[2*x+1])
			var sum uint32
			for yy := y0; yy < y1; yy++ {
				for _, v := range p[yy*pw+x0 : yy*pw+x1] {
					sum += uint32(v)
				}
			}
			d.cur[y*W+x] = float32(sum) / float32((y1-y0)*(x1-x0))
		}
	}
}

// cells appends, for each of k cells over size pixels, the first and
// last+1 of the means of n pixels it averages.
func cells(dst []int32, k, size, n int) []int32 {
	last := (size + n - 1) / n // means that hold a pixel of the frame
	for i := range k {
		a, b := i*size/k, max((i+1)*size/k, i*size/k+1)
		// means whose centre m*n + n/2 is in [a, b)
		m0 := (2*a - n + 2*n - 1) / (2 * n)
		m1 := (2*b - n + 2*n - 1) / (2 * n)
		if m1 <= m0 {
			m0 = min((a+b)/2/n, last-1)
			m1 = m0 + 1
		}
		m1 = min(m1, last)
		m0 = min(m0, m1-1)
		dst = append(dst, int32(m0), int32(m1))
	}
	return dst
}
