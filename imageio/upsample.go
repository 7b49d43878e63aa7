package imageio

import (
	"encoding/binary"
	"image"
)

// jpegToRGBA converts a decoded JPEG to RGBA, into dst when it is not nil
// (its Pix reused when large enough) or into a new picture. Subsampled
// chroma (4:2:0 and 4:2:2) is interpolated with libjpeg's "fancy" triangle
// filter, weighting the nearer chroma sample 3:1 in each subsampled
// direction, as OpenMV IDE and most viewers do; image/jpeg alone repeats
// each chroma sample, which shows as blocky colour edges. Other images are
// returned as they are.
//
// Each row is interpolated and converted in one pass (upsampleRow) with
// color.YCbCrToRGB's arithmetic in tables, so the result is what
// color.YCbCrToRGB gives, bit for bit. BenchmarkJPEGToRGBA times it
// against the converter before; BenchmarkDecodeJPEG times Image.Decode and
// Decoder.Decode against jpeg.Decode.
func jpegToRGBA(m image.Image, dst *image.RGBA) image.Image {
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
	dst = reuseRGBA(dst, w, h)
	t := &yccTables
	for y := range h {
		cy, near := y, y
		// The rounding of libjpeg's h2v2 (r0, r1) and h2v1 filters: with
		// 4:2:2 the vertical sum is 4 times the one row, and rounding
		// 4 and 8 over 16 is h2v1's 1 and 2 over 4.
		r0, r1 := uint32(4), uint32(8)
		if ycc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			cy = y / 2
			near = cy + 1 // the other chroma row nearest to y
			if y%2 == 0 {
				near = cy - 1
			}
			near = min(max(near, 0), ch-1)
			r0, r1 = 8, 7
		}
		upsampleRow(dst.Pix[y*dst.Stride:][:4*w], ycc.Y[y*ycc.YStride:][:w],
			ycc.Cb[cy*ycc.CStride:][:cw], ycc.Cb[near*ycc.CStride:][:cw],
			ycc.Cr[cy*ycc.CStride:][:cw], ycc.Cr[near*ycc.CStride:][:cw], r0, r1, t)
	}
	return dst
}

// reuseRGBA returns a w x h picture at the origin: dst, its Pix reused
// when it has the capacity, or a new one when dst is nil. Its pixels are
// left as they were.
func reuseRGBA(dst *image.RGBA, w, h int) *image.RGBA {
	if dst == nil {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	dst.Pix, dst.Stride, dst.Rect = grow(dst.Pix, 4*w*h), 4*w, image.Rect(0, 0, w, h)
	return dst
}

// yccConv holds color.YCbCrToRGB's arithmetic as tables, in one block so
// that the conversion loop reaches them all through one pointer.
type yccConv struct {
	// The contributions of Cr to R, of Cb and of Cr to G, and of Cb to B,
	// by sample value, in color.YCbCrToRGB's 16.16 fixed point, plus 256
	// (in r, gb and b) so that the sum with Y*0x10101 is never negative.
	r, gb, gr, b [256]int32
	// The byte color.YCbCrToRGB gives for the integer part of a value
	// plus 256 (0 below 256, 255 over 511; values lie in [29, 737]),
	// already in its place in a little-endian RGBA word: R's in bits
	// 0-7, G's in 8-15, B's in 16-23 with the opaque alpha.
	clR, clG, clB [1024]uint32
}

var yccTables = func() (t yccConv) {
	for i := range 256 {
		c := int32(i) - 128
		t.r[i], t.gb[i], t.gr[i], t.b[i] = 91881*c+256<<16, -22554*c+256<<16, -46802*c, 116130*c+256<<16
	}
	for i := range t.clR {
		v := uint32(min(max(i-256, 0), 255))
		t.clR[i], t.clG[i], t.clB[i] = v, v<<8, v<<16|0xff<<24
	}
	return
}()

// rgba returns the opaque RGBA pixel of luma y and chroma cb, cr as a
// little-endian word: color.YCbCrToRGB's result, bit for bit.
func (t *yccConv) rgba(y, cb, cr uint8) uint32 {
	yy := int32(y) * 0x10101
	return t.clR[uint32(yy+t.r[cr])>>16&1023] |
		t.clG[uint32(yy+t.gb[cb]+t.gr[cr])>>16&1023] |
		t.clB[uint32(yy+t.b[cb])>>16&1023]
}

// upsampleRow makes one row of RGBA pixels in out from its luma yrow and
// the chroma rows it lies in (cb, cr) and nearest to it (cbn, crn), each
// half as wide: libjpeg's fancy upsampling (3:1 vertically, then 3:1
// horizontally, rounded by r0 for even and r1 for odd pixels, over 16)
// and color.YCbCrToRGB's arithmetic, bit for bit, in one pass.
//
// The vertical sums of Cb and Cr (up to 4*255) travel together in the two
// halves of a word, and the horizontal filter works on both at once.
func upsampleRow(out, yrow, cb, cbn, cr, crn []byte, r0, r1 uint32, t *yccConv) {
	w := len(yrow)
	n := len(cb)
	if n == 0 || w == 0 {
		return
	}
	out = out[:4*w]
	cbn, cr, crn = cbn[:n], cr[:n], crn[:n]
	sum := func(c int) uint32 {
		return 3*uint32(cb[c]) + uint32(cbn[c]) | (3*uint32(cr[c])+uint32(crn[c]))<<16
	}
	r0, r1 = r0|r0<<16, r1|r1<<16
	prev, this := sum(0), sum(0)
	// Pairs of pixels with a chroma column on their right; the last one
	// or two pixels repeat the last column instead.
	pairs := min(w/2, n-1)
	for c := range pairs {
		next := sum(c + 1)
		e := (3*this + prev + r0) >> 4 // Cb in bits 0-7, Cr in 16-23
		o := (3*this + next + r1) >> 4
		yy := yrow[2*c : 2*c+2 : 2*c+2]
		p := t.rgba(yy[0], uint8(e), uint8(e>>16))
		q := t.rgba(yy[1], uint8(o), uint8(o>>16))
		binary.LittleEndian.PutUint64(out[8*c:8*c+8:8*c+8], uint64(p)|uint64(q)<<32)
		prev, this = this, next
	}
	for c := pairs; 2*c < w; c++ {
		next := this
		if c+1 < n {
			next = sum(c + 1)
		}
		e := (3*this + prev + r0) >> 4
		binary.LittleEndian.PutUint32(out[8*c:], t.rgba(yrow[2*c], uint8(e), uint8(e>>16)))
		if 2*c+1 < w {
			o := (3*this + next + r1) >> 4
			binary.LittleEndian.PutUint32(out[8*c+4:], t.rgba(yrow[2*c+1], uint8(o), uint8(o>>16)))
		}
		prev, this = this, next
	}
}
