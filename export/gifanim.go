package export

import (
	"image"
	"image/color"
	"io"
	"time"

	"image/draw"

	xdraw "golang.org/x/image/draw"
)

// MaxGIFDelay is the longest a GIF shows a frame: 65535 hundredths of a
// second, what its 16-bit delay holds.
const MaxGIFDelay = 65535 * 10 * time.Millisecond

// GIFPaletteSample is how many first frames an animation with one palette
// waits for, and chooses the palette from.
const GIFPaletteSample = 16

// An animation turns frames with the times they were recorded at into an
// animated GIF, as they come. Each frame is shown until the next one's
// time, in hundredths of a second between the two rounded start times, so
// rounding never adds up (the total stays within 5 ms of the recording's,
// unless a gap is longer than MaxGIFDelay: that one is shortened to it, and
// counted by Shortened); the last frame shows as long as the gap before it. With one palette, the
// first GIFPaletteSample frames choose it and wait in memory until it is
// made; otherwise each frame brings its own. An animation is not safe for
// concurrent use.
type animation struct {
	w        io.Writer
	perFrame bool
	g        *gifWriter
	q        *quantizer
	pending  []timed // frames waiting for the palette
	prev     *image.Paletted
	prevAt   time.Duration
	gap      time.Duration // between the last two frames
	frames   int           // frames given to the writer
	short    int           // gaps shortened to MaxGIFDelay
	size     image.Point   // the first frame's, the GIF's screen
}

type timed struct {
	m  *image.RGBA
	at time.Duration
}

// newAnimation starts an animation on w: one palette for every frame, or
// one for each when perFrame is set.
func newAnimation(w io.Writer, perFrame bool) *animation {
	return &animation{w: w, perFrame: perFrame}
}

// Add adds img, recorded at time at (any origin, not before the previous
// frame's), scaled to the first frame's size if it has another. The
// picture is not kept: the caller may reuse it.
func (a *animation) Add(img image.Image, at time.Duration) error {
	fr := timed{toRGBA(img), at}
	if a.size == (image.Point{}) {
		a.size = fr.m.Rect.Size()
	} else if fr.m.Rect.Size() != a.size {
		// A frame of another size is fitted to the screen: a frame
		// larger than the screen makes a GIF that decoders refuse.
		dst := image.NewRGBA(image.Rectangle{Max: a.size})
		xdraw.ApproxBiLinear.Scale(dst, dst.Rect, fr.m, fr.m.Rect, xdraw.Src, nil)
		fr.m = dst
	}
	if a.g == nil && !a.perFrame && len(a.pending) < GIFPaletteSample {
		fr.m = cloneRGBA(fr.m, img) // it waits: keep it from the caller's reuse
		a.pending = append(a.pending, fr)
		return nil
	}
	a.start(fr.m)
	a.emit(fr)
	return a.g.err
}

// start makes the writer, once: the palette from the waiting frames (and
// next, the frame about to be added), then the waiting frames.
func (a *animation) start(next *image.RGBA) {
	if a.g != nil {
		return
	}
	var global color.Palette
	if !a.perFrame {
		var imgs []*image.RGBA
		for _, p := range a.pending {
			imgs = append(imgs, p.m)
		}
		if next != nil {
			imgs = append(imgs, next)
		}
		a.q = newQuantizer(imgs)
		global = a.q.Palette
	}
	first := next
	if len(a.pending) > 0 {
		first = a.pending[0].m
	}
	b := first.Bounds()
	a.g = newGIFWriter(a.w, b.Dx(), b.Dy(), global)
	pend := a.pending
	a.pending = nil
	for _, p := range pend {
		a.emit(p)
	}
}

func (a *animation) emit(fr timed) {
	q := a.q
	if a.perFrame {
		q = newQuantizer([]*image.RGBA{fr.m})
	}
	if a.prev != nil {
		delay := centis(fr.at) - centis(a.prevAt)
		if delay > centis(MaxGIFDelay) {
			a.short++
		}
		a.g.Frame(a.prev, delay)
		a.gap = fr.at - a.prevAt
	}
	a.prev, a.prevAt = q.Paletted(fr.m), fr.at
	a.frames++
}

// Shortened returns how many gaps between frames were longer than
// MaxGIFDelay, and were shortened to it.
func (a *animation) Shortened() int { return a.short }

// Frames returns the number of frames added.
func (a *animation) Frames() int { return a.frames + len(a.pending) }

// Close writes the last frame and ends the GIF; it does not close the
// io.Writer. An animation with no frame writes nothing.
func (a *animation) Close() error {
	if a.g == nil && len(a.pending) > 0 {
		a.start(nil)
	}
	if a.g == nil {
		return nil
	}
	last := centis(a.gap)
	if a.frames == 1 || last < 1 {
		last = 10
	}
	a.g.Frame(a.prev, last)
	return a.g.Close()
}

func centis(t time.Duration) int { return int((t + 5*time.Millisecond) / (10 * time.Millisecond)) }

// toRGBA returns img as an *image.RGBA at the origin, converting it unless
// it already is one.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}

// cloneRGBA returns m, copied if it is img itself (the caller's picture).
func cloneRGBA(m *image.RGBA, img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); !ok || r != m {
		return m // toRGBA made it: it is ours
	}
	c := *m
	c.Pix = append([]byte(nil), m.Pix...)
	return &c
}
