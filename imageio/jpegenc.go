package imageio

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"

	"github.com/imgstream/imgstream/container"
)

// A JPEGEncoder encodes frames to JPEG at [JPEGQuality] with image/jpeg,
// keeping its buffers from frame to frame: RGB565, RGB24 and BGR24 frames
// are widened into one reused RGBA picture (image/jpeg's fastest colour
// input), GRAYSCALE frames are encoded from their own bytes as a
// one-component JPEG, BINARY frames as grey, other formats through a
// [Decoder] of its own; JPEG frames pass through untouched. The bytes are those
// of jpeg.Encode of [Image.Decode]'s picture.
//
// The zero value is ready to use. A JPEGEncoder is not safe for
// concurrent use; [Image.AppendJPEG] keeps a pool of them.
type JPEGEncoder struct {
	// viaYCbCr converts colour frames to 4:2:0 YCbCr planes instead of
	// RGBA: the same JPEG bytes, slower with Go 1.26's image/jpeg, whose
	// YCbCr path reads each pixel through YOffset and COffset
	// (BenchmarkEncodeJPEG's "ycbcr"). Only tests set it.
	viaYCbCr bool

	rgba image.RGBA
	ycc  image.YCbCr
	gray image.Gray
	dec  Decoder // the other formats
	out  appendWriter
}

// Append appends m as a JPEG file to dst and returns the result. After
// its first frame of a size, it allocates nothing for frames of that size
// and format beyond what dst must grow by (BenchmarkEncodeJPEG).
func (e *JPEGEncoder) Append(dst []byte, m *Image) ([]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	var img image.Image
	r := image.Rect(0, 0, m.Width, m.Height)
	switch m.Format {
	case container.JPEG:
		return append(dst, m.Data...), nil
	case container.Grayscale:
		e.gray = image.Gray{Pix: m.Data, Stride: m.Width, Rect: r}
		img = &e.gray
	case container.Binary:
		e.gray.Pix = grow(e.gray.Pix, m.Width*m.Height)
		e.gray.Stride, e.gray.Rect = m.Width, r
		clear(e.gray.Pix)
		binaryToGray(&e.gray, m.Data)
		img = &e.gray
	case container.RGB565, container.RGB24, container.BGR24:
		if !e.viaYCbCr {
			e.rgba.Pix = grow(e.rgba.Pix, 4*m.Width*m.Height)
			e.rgba.Stride, e.rgba.Rect = 4*m.Width, r
			if m.Format == container.RGB565 {
				RGB565ToRGBA(e.rgba.Pix, m.Data)
			} else {
				rgb24ToRGBA(e.rgba.Pix, m.Data, m.Format == container.BGR24)
			}
			img = &e.rgba
			break
		}
		e.planes(m.Width, m.Height)
		switch m.Format {
		case container.RGB565:
			rgb565ToYCbCr420(&e.ycc, m.Data)
		default:
			rgb24ToYCbCr420(&e.ycc, m.Data, m.Format == container.BGR24)
		}
		img = &e.ycc
	default:
		d, err := e.dec.Decode(m)
		if err != nil {
			return dst, err
		}
		img = d
	}
	e.out.b = dst
	err := jpeg.Encode(&e.out, img, &jpeg.Options{Quality: JPEGQuality})
	out := e.out.b
	e.out.b = nil
	if e.gray.Pix != nil && m.Format == container.Grayscale {
		e.gray.Pix = nil // m's, not ours to keep
	}
	if err != nil {
		return dst, fmt.Errorf("imageio: a %dx%d %v frame to JPEG: %w", m.Width, m.Height, m.Format, err)
	}
	return out, nil
}

// planes makes e.ycc a w x h 4:2:0 picture, reusing its planes.
func (e *JPEGEncoder) planes(w, h int) {
	cw, ch := (w+1)/2, (h+1)/2
	pix := grow(e.ycc.Y[:cap(e.ycc.Y)], w*h+2*cw*ch)
	e.ycc = image.YCbCr{
		Y: pix[:w*h], Cb: pix[w*h : w*h+cw*ch], Cr: pix[w*h+cw*ch:],
		YStride: w, CStride: cw, SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect: image.Rect(0, 0, w, h),
	}
}

// grow returns b with length n, reusing its array when it is large
// enough.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// rgb24ToYCbCr420 converts RGB24 (BGR24 when bgr is set) pixels to dst's
// planes: each pixel's luma, and the chroma of each 2x2 pixels as the mean
// of theirs, rounded as image/jpeg's encoder rounds it. A last odd column
// or row counts its pixels twice, as the encoder's edge does.
func rgb24ToYCbCr420(dst *image.YCbCr, src []byte, bgr bool) {
	ri, bi := 0, 2
	if bgr {
		ri, bi = 2, 0
	}
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	toYCbCr420(dst, func(y int, ys []byte, cbs, crs []int32) {
		row := src[3*w*y:][:3*w]
		for x := range w {
			p := row[3*x : 3*x+3 : 3*x+3]
			yy, cb, cr := color.RGBToYCbCr(p[ri], p[1], p[bi])
			ys[x] = yy
			cbs[x/2] += int32(cb)
			crs[x/2] += int32(cr)
			if x == w-1 && w%2 == 1 {
				cbs[x/2] += int32(cb)
				crs[x/2] += int32(cr)
			}
		}
	}, w, h)
}

// rgb565ToYCbCr420 is rgb24ToYCbCr420 for little-endian RGB565 pixels,
// each channel widened as RGB565ToRGBA widens it.
func rgb565ToYCbCr420(dst *image.YCbCr, src []byte) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	toYCbCr420(dst, func(y int, ys []byte, cbs, crs []int32) {
		row := src[2*w*y:][:2*w]
		for x := range w {
			v := uint16(row[2*x]) | uint16(row[2*x+1])<<8
			r, g, b := byte(v>>11), byte(v>>5)&63, byte(v)&31
			yy, cb, cr := color.RGBToYCbCr(r<<3|r>>2, g<<2|g>>4, b<<3|b>>2)
			ys[x] = yy
			cbs[x/2] += int32(cb)
			crs[x/2] += int32(cr)
			if x == w-1 && w%2 == 1 {
				cbs[x/2] += int32(cb)
				crs[x/2] += int32(cr)
			}
		}
	}, w, h)
}

// toYCbCr420 fills dst row by row with row, which stores row y's luma in
// ys and adds each pixel's chroma to the sums of its chroma column, then
// rounds the sums of each pair of rows to dst's chroma planes.
func toYCbCr420(dst *image.YCbCr, row func(y int, ys []byte, cbs, crs []int32), w, h int) {
	cw := (w + 1) / 2
	sums := chromaSums.Get().(*[]int32)
	if cap(*sums) < 2*cw {
		*sums = make([]int32, 2*cw)
	}
	cbs, crs := (*sums)[:cw:cw], (*sums)[cw:2*cw]
	for cy := range (h + 1) / 2 {
		clear(cbs)
		clear(crs)
		y := 2 * cy
		row(y, dst.Y[y*w:][:w], cbs, crs)
		if y+1 < h {
			row(y+1, dst.Y[(y+1)*w:][:w], cbs, crs)
		} else { // the last odd row counts twice
			for i := range cbs {
				cbs[i] *= 2
				crs[i] *= 2
			}
		}
		cb, cr := dst.Cb[cy*cw:][:cw], dst.Cr[cy*cw:][:cw]
		for i := range cw {
			cb[i] = byte((cbs[i] + 2) >> 2)
			cr[i] = byte((crs[i] + 2) >> 2)
		}
	}
	chromaSums.Put(sums)
}

// chromaSums holds the rows of chroma sums of toYCbCr420.
var chromaSums = sync.Pool{New: func() any { return new([]int32) }}

// appendWriter appends to b. It has the Flush and WriteByte that let
// image/jpeg write to it without a bufio.Writer of its own.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

func (w *appendWriter) Flush() error { return nil }

// jpegEncoders are the encoders of Image.AppendJPEG.
var jpegEncoders = sync.Pool{New: func() any { return new(JPEGEncoder) }}
