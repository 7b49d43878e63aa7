package jpegdec

// The inverse DCT is the Loeffler-Ligtenberg-Moschytz factorisation in
// fixed point, with image/jpeg's scaling and rounding at each stage (Go
// 1.26's dct.go), so that its pixels are image/jpeg's, bit for bit; int32
// arithmetic wraps as image/jpeg's does on a malformed frame's
// coefficients. The constants are round(v * 2^bits) (TestIDCTConstants).
const (
	k6c18 = 70936  // cos(6π/16)/√2, 18 bits
	k6s18 = 171254 // sin(6π/16)/√2, 18 bits
	kr8   = 181    // 1/√2, 8 bits
	k6c12 = 1108   // cos(6π/16)/√2, 12 bits
	k6s12 = 2676   // sin(6π/16)/√2, 12 bits
	kr14  = 11585  // 1/√2, 14 bits
	k3c12 = 3406   // cos(3π/16), 12 bits
	k3s12 = 2276   // sin(3π/16), 12 bits
	k1c12 = 4017   // cos(π/16), 12 bits
	k1s12 = 799    // sin(π/16), 12 bits
)

// rotate is the factorisation's rotation of (a, b) by the angle of cosine
// c and sine s, in three multiplications.
func rotate(a, b, c, s int32) (int32, int32) {
	t := c * (a + b)
	return t + (s-c)*b, t - (c+s)*a
}

// pixel level-shifts a sample by 128 and clamps it to a byte.
func pixel(v int32) uint8 {
	switch {
	case v < -128:
		return 0
	case v > 127:
		return 255
	}
	return uint8(v + 128)
}

// idct transforms the dequantised coefficients in b (natural order; rows
// is a mask of the rows holding a nonzero one, bit 0 always set) into an
// 8x8 block of pixels at dst, rows stride bytes apart. It leaves b zero.
func idct(b *[64]int32, rows uint8, dst []byte, stride int) {
	dst = dst[:7*stride+8]
	if rows == 1 && b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0 {
		// The DC alone: one value, through the same shifts.
		p := pixel(((b[0]<<17 + 1<<19) >> 2) >> 18)
		b[0] = 0
		v := uint64(p) * 0x0101010101010101
		for r := range 8 {
			row := dst[r*stride : r*stride+8]
			row[0], row[1], row[2], row[3] = byte(v), byte(v), byte(v), byte(v)
			row[4], row[5], row[6], row[7] = byte(v), byte(v), byte(v), byte(v)
		}
		return
	}
	for r := range 8 {
		if rows&(1<<r) != 0 {
			idctRow((*[8]int32)(b[8*r : 8*r+8]))
		}
	}
	if rows == 1 {
		// Rows 1-7 are zero: each column is its first value.
		for i := range 8 {
			p := pixel(((b[i] + 1<<19) >> 2) >> 18)
			b[i] = 0
			for r := range 8 {
				dst[r*stride+i] = p
			}
		}
		return
	}
	for i := range 8 {
		idctCol(b, i, dst[i:], stride)
	}
}

// idctRow is the first, horizontal pass over one row.
func idctRow(x *[8]int32) {
	if x[1]|x[2]|x[3]|x[4]|x[5]|x[6]|x[7] == 0 {
		v := x[0] << 17
		*x = [8]int32{v, v, v, v, v, v, v, v}
		return
	}
	// The even part: inputs 0, 4, 2, 6.
	e0, e1 := x[0]<<17, x[4]<<17
	e0, e1 = e0+e1, e0-e1
	e2, e3 := rotate(x[2], x[6], k6c18, -k6s18)
	e1, e2 = e1+e2, e1-e2
	e0, e3 = e0+e3, e0-e3
	// The odd part: inputs 1, 7, 3, 5.
	o7, o4 := x[1]<<7, x[7]<<7
	o7, o4 = o7+o4, o7-o4
	o5, o6 := x[3]*kr8, x[5]*kr8
	o7, o5 = o7+o5, o7-o5
	o4, o6 = o4+o6, o4-o6
	o4, o7 = rotate(o4>>2, o7>>2, k3c12, -k3s12)
	o5, o6 = rotate(o5>>2, o6>>2, k1c12, -k1s12)
	*x = [8]int32{e0 + o7, e1 + o6, e2 + o5, e3 + o4, e3 - o4, e2 - o5, e1 - o6, e0 - o7}
}

// idctCol is the second, vertical pass over column i of b, which it
// zeroes; it writes the column's pixels to dst, stride bytes apart.
func idctCol(b *[64]int32, i int, dst []byte, stride int) {
	x0, x7, x2, x5 := b[i], b[8+i], b[16+i], b[24+i]
	x1, x6, x3, x4 := b[32+i], b[40+i], b[48+i], b[56+i]
	b[i], b[8+i], b[16+i], b[24+i], b[32+i], b[40+i], b[48+i], b[56+i] = 0, 0, 0, 0, 0, 0, 0, 0
	x0 += 1 << 19
	e0, e1 := (x0+x1)>>2, (x0-x1)>>2
	e2, e3 := rotate(x2>>13, x3>>13, k6c12, -k6s12)
	e1, e2 = e1+e2, e1-e2
	e0, e3 = e0+e3, e0-e3
	o7, o4 := x7+x4, x7-x4
	o5, o6 := (x5>>13)*kr14, (x6>>13)*kr14
	o7, o5 = o7+o5, o7-o5
	o4, o6 = o4+o6, o4-o6
	o4, o7 = rotate(o4>>14, o7>>14, k3c12, -k3s12)
	o5, o6 = rotate(o5>>14, o6>>14, k1c12, -k1s12)
	dst = dst[:7*stride+1]
	dst[0] = pixel((e0 + o7) >> 18)
	dst[stride] = pixel((e1 + o6) >> 18)
	dst[2*stride] = pixel((e2 + o5) >> 18)
	dst[3*stride] = pixel((e3 + o4) >> 18)
	dst[4*stride] = pixel((e3 - o4) >> 18)
	dst[5*stride] = pixel((e2 - o5) >> 18)
	dst[6*stride] = pixel((e1 - o6) >> 18)
	dst[7*stride] = pixel((e0 - o7) >> 18)
}
