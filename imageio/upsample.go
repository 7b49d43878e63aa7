package imageio

import (
	"encoding/binary"
	"image"
)

// jpegToRGBA converts a decoded JPEG to RGBA, into d's picture when d is
// not nil (its Pix reused when large enough) or into a new one.
// Subsampled chroma (4:2:0 and 4:2:2) is interpolated with libjpeg's
// "fancy" triangle filter, weighting the nearer chroma sample 3:1 in each
// subsampled direction, as OpenMV IDE and most viewers do; image/jpeg
// alone repeats each chroma sample, which shows as blocky colour edges.
// Other images are returned as they are.
//
// The vertical filter makes the sums of each chroma column for two rows
// at once (verticalSums); each row is then filtered horizontally and
// converted in one pass (upsampleRow) with color.YCbCrToRGB's arithmetic
// in tables, so the result is what color.YCbCrToRGB gives, bit for bit.
// BenchmarkJPEGToRGBA times it against the converter before;
// BenchmarkDecodeJPEG times Image.Decode and Decoder.Decode against
// jpeg.Decode.
func jpegToRGBA(m image.Image, d *Decoder) image.Image {
	ycc, ok := m.(*image.YCbCr)
	if !ok || (ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 && ycc.SubsampleRatio != image.YCbCrSubsampleRatio422) {
		return m
	}
	r := ycc.Rect
	w, h := r.Dx(), r.Dy()
	cw := (w + 1) / 2
	var dst *image.RGBA
	var sums []uint32
	if d != nil {
		dst, sums = &d.rgba, d.sums
	}
	dst = reuseRGBA(dst, w, h)
	if cap(sums) < 2*cw {
		sums = make([]uint32, 2*cw)
	}
	if d != nil {
		d.sums = sums
	}
	up, down := sums[:cw], sums[cw:2*cw]
	t := &yccTables
	cb := func(y int) []byte { return ycc.Cb[y*ycc.CStride:][:cw] }
	cr := func(y int) []byte { return ycc.Cr[y*ycc.CStride:][:cw] }
	row := func(y int) ([]byte, []byte) { return dst.Pix[y*dst.Stride:][:4*w], ycc.Y[y*ycc.YStride:][:w] }
	if ycc.SubsampleRatio == image.YCbCrSubsampleRatio422 {
		// libjpeg's h2v1 filter: the vertical sum is 4 times the one
		// row, and rounding 4 and 8 over 16 is h2v1's 1 and 2 over 4.
		for y := range h {
			verticalSums(up, up, cb(y), cb(y), cb(y), cr(y), cr(y), cr(y))
			out, yrow := row(y)
			upsampleRow(out, yrow, up, 4, 8, t)
		}
		return dst
	}
	// 4:2:0, libjpeg's h2v2 filter: chroma row k lies between pixel rows
	// 2k and 2k+1; the upper one's nearest other chroma row is k-1, the
	// lower one's k+1 (the picture's edge rows repeated).
	ch := (h + 1) / 2
	for k := range ch {
		ku, kd := max(k-1, 0), min(k+1, ch-1)
		verticalSums(up, down, cb(ku), cb(k), cb(kd), cr(ku), cr(k), cr(kd))
		out, yrow := row(2 * k)
		upsampleRow(out, yrow, up, 8, 7, t)
		if 2*k+1 < h {
			out, yrow = row(2*k + 1)
			upsampleRow(out, yrow, down, 8, 7, t)
		}
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

// verticalSums makes the vertical sums of libjpeg's fancy upsampling for the
// pixel rows above (up) and below (down) the chroma rows cb and cr: 3
// times the sample plus the sample of the nearest other row (cbu and cru
// above, cbd and crd below), Cb's in the low half of each word and Cr's in
// the high half. up and down may be the same slice when cbu and cbd are.
func verticalSums(up, down []uint32, cbu, cb, cbd, cru, cr, crd []byte) {
	n := len(up)
	down = down[:n]
	cbu, cb, cbd, cru, cr, crd = cbu[:n], cb[:n], cbd[:n], cru[:n], cr[:n], crd[:n]
	for c := range up {
		b3, r3 := 3*uint32(cb[c]), 3*uint32(cr[c])
		up[c] = b3 + uint32(cbu[c]) | (r3+uint32(cru[c]))<<16
		down[c] = b3 + uint32(cbd[c]) | (r3+uint32(crd[c]))<<16
	}
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
// the vertical sums of its chroma (verticalSums), each half as wide:
// libjpeg's fancy upsampling horizontally (3:1, rounded by r0 for even
// and r1 for odd pixels, over 16) and color.YCbCrToRGB's arithmetic, bit
// for bit, in one pass. Cb and Cr travel together in the two halves of a
// word, and the horizontal filter works on both at once.
func upsampleRow(out, yrow []byte, sums []uint32, r0, r1 uint32, t *yccConv) {
	w, n := len(yrow), len(sums)
	if n == 0 || w == 0 {
		return
	}
	r0, r1 = r0|r0<<16, r1|r1<<16
	prev, this := sums[0], sums[0]
	// Pairs of pixels with a chroma column on their right; the last one
	// or two pixels repeat the last column instead.
	pairs := min(w/2, n-1)
	out, tail, ytail := out[:8*pairs], out[8*pairs:], yrow[2*pairs:]
	yrow = yrow[:2*pairs]
	for c, next := range sums[1 : pairs+1] {
		e := (3*this + prev + r0) >> 4 // Cb in bits 0-7, Cr in 16-23
		o := (3*this + next + r1) >> 4
		yy := yrow[2*c : 2*c+2 : 2*c+2]
		p := t.rgba(yy[0], uint8(e), uint8(e>>16))
		q := t.rgba(yy[1], uint8(o), uint8(o>>16))
		binary.LittleEndian.PutUint64(out[8*c:8*c+8:8*c+8], uint64(p)|uint64(q)<<32)
		prev, this = this, next
	}
	// The last column: one pixel for an odd width, two for an even one.
	e := (3*this + prev + r0) >> 4
	binary.LittleEndian.PutUint32(tail, t.rgba(ytail[0], uint8(e), uint8(e>>16)))
	if len(ytail) > 1 {
		o := (3*this + this + r1) >> 4
		binary.LittleEndian.PutUint32(tail[4:], t.rgba(ytail[1], uint8(o), uint8(o>>16)))
	}
}
