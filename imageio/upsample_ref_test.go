package imageio

// The converter imageio had before it was made faster, kept as the
// reference the fast one is compared with (upsample_test.go).

import (
	"image"
	"image/color"
)

func jpegToRGBARef(m image.Image) image.Image {
	ycc, ok := m.(*image.YCbCr)
	if !ok || (ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 && ycc.SubsampleRatio != image.YCbCrSubsampleRatio422) {
		return m
	}
	r := ycc.Rect
	w, h := r.Dx(), r.Dy()
	cw := (w + 1) / 2
	ch := h
	if ycc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		ch = (h + 1) / 2
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	cb, cr := make([]byte, w), make([]byte, w)
	for y := range h {
		if ycc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			cy := y / 2
			near := cy + 1 // the other chroma row nearest to y
			if y%2 == 0 {
				near = cy - 1
			}
			near = min(max(near, 0), ch-1)
			refFancy2(cb, ycc.Cb[cy*ycc.CStride:][:cw], ycc.Cb[near*ycc.CStride:][:cw])
			refFancy2(cr, ycc.Cr[cy*ycc.CStride:][:cw], ycc.Cr[near*ycc.CStride:][:cw])
		} else {
			refFancy1(cb, ycc.Cb[y*ycc.CStride:][:cw])
			refFancy1(cr, ycc.Cr[y*ycc.CStride:][:cw])
		}
		yrow := ycc.Y[y*ycc.YStride:][:w]
		out := dst.Pix[y*dst.Stride:]
		for x, yy := range yrow {
			rr, gg, bb := color.YCbCrToRGB(yy, cb[x], cr[x])
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0], o[1], o[2], o[3] = rr, gg, bb, 0xff
		}
	}
	return dst
}

// fancy1 doubles a row of chroma horizontally: each output sample is 3/4 of
// the nearer input sample and 1/4 of the next nearer (libjpeg h2v1).
func refFancy1(dst, src []byte) {
	n := len(src)
	for c := range n {
		this := int(src[c])
		prev, next := int(src[max(c-1, 0)]), int(src[min(c+1, n-1)])
		if 2*c < len(dst) {
			dst[2*c] = byte((3*this + prev + 1) >> 2)
		}
		if 2*c+1 < len(dst) {
			dst[2*c+1] = byte((3*this + next + 2) >> 2)
		}
	}
}

// fancy2 doubles a row of chroma both ways: the vertical weights are 3/4 for
// the chroma row the output row lies in and 1/4 for the nearest other, then
// horizontally as fancy1 (libjpeg h2v2).
func refFancy2(dst, row, near []byte) {
	n := len(row)
	sum := func(c int) int { return 3*int(row[c]) + int(near[c]) }
	for c := range n {
		this := sum(c)
		prev, next := sum(max(c-1, 0)), sum(min(c+1, n-1))
		if 2*c < len(dst) {
			dst[2*c] = byte((3*this + prev + 8) >> 4)
		}
		if 2*c+1 < len(dst) {
			dst[2*c+1] = byte((3*this + next + 7) >> 4)
		}
	}
}
