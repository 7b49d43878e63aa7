package jpegdec

import "math"

// wiShift is the fraction bits of the fixed-point weights: a weight is at
// most 65535/4 (a 16-bit quantiser times two bases of at most 1/2), so it
// fits an int32 with 2^12, and a mean of 64 coefficients of up to 2^16
// times it an int64 (a DC predictor grown past that by a malformed JPEG
// wraps around, harmlessly).
const wiShift = 12

// lumaState is DecodeLuma's: the weights that make means of the
// coefficients, and the picture of means. It is kept from frame to frame.
type lumaState struct {
	s      int              // means per block side
	weight [64 * 64]float32 // [zig-zag index][s*s means]
	active [64]bool         // the coefficient moves a mean
	wtq    int              // quant table the weights were made for
	wgen   uint32           // its generation (header.qgen) + 1; 0: none
	basis  [8][8]float32    // basis[u][i]: mean of 1-D basis u over mean i, times C(u)/2
	wi     [64 * 4]int32    // the weights in fixed point when s is 1 or 2: [zig-zag index][s*s means]
	m      [64]float32      // a block's means when s > 2
	out    Luma
	fixedS int // tests: the means per block side, whatever the size
}

// luma decodes the luma of a baseline JPEG into d.luma.out: the means of
// n x n pixel squares (n = 8, 4, 2 or 1: s = 8/n means per block side),
// n the largest that leaves at least minW x minH means, from the DCT
// coefficients, without an inverse DCT at full size.
func (d *Decoder) luma(jpg []byte, minW, minH int) error {
	d.data = jpg
	p := 2
	for {
		seg, q, err := d.next(jpg, p)
		if err != nil {
			return err
		}
		var idx [4]int
		ns, err := d.scan(seg, &idx)
		if err != nil {
			return err
		}
		luma := false
		for _, j := range idx[:ns] {
			luma = luma || j == 0
		}
		if !luma {
			// Skip to the marker after this scan's data.
			for q+1 < len(jpg) && (jpg[q] != 0xff || jpg[q+1] == 0 || (jpg[q+1] >= 0xd0 && jpg[q+1] <= 0xd7)) {
				q++
			}
			if q+1 >= len(jpg) {
				return ErrUnsupported
			}
			p = q
			continue
		}
		for _, j := range idx[:ns] {
			c := &d.comp[j]
			if !d.huff[0][c.td].defined || !d.huff[1][c.ta].defined {
				return ErrUnsupported
			}
		}
		if !d.qdefined[d.comp[0].tq] {
			return ErrUnsupported
		}
		d.prepare(d.lumaScale(minW, minH))
		d.reset(q)
		if ns == 1 {
			return d.scanLuma()
		}
		return d.scanLumaInterleaved(idx[:ns])
	}
}

// lumaScale returns the means per block side: the means are squares of n
// pixels, n the largest of 8, 4, 2 and 1 that leaves at least minW x minH
// of them over the frame.
func (d *Decoder) lumaScale(minW, minH int) int {
	if d.lumaState.fixedS != 0 {
		return d.lumaState.fixedS
	}
	cell := min(d.width/max(minW, 1), d.height/max(minH, 1))
	n := 8
	for n > 1 && n > cell {
		n /= 2
	}
	return 8 / n
}

// prepare sizes the picture of means and makes the weights for s means
// per block side.
func (d *Decoder) prepare(s int) {
	L := &d.lumaState
	mx := (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	my := (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	pw, ph := mx*d.hmax*s, my*d.vmax*s
	o := &L.out
	o.Pix = grow(o.Pix, pw*ph)
	o.Stride, o.Scale, o.Width, o.Height = pw, 8/s, d.width, d.height
	tq := int(d.comp[0].tq)
	if L.s == s && L.wtq == tq && L.wgen == d.qgen[tq]+1 {
		return
	}
	if L.s != s {
		// basis[u][i] = C(u)/2 times the mean of cos((2x+1)uπ/16) over
		// the i-th of s equal parts of [0, 8).
		n := 8 / s
		for u := range 8 {
			cu := 1.0
			if u == 0 {
				cu = 1 / math.Sqrt2
			}
			for i := range s {
				sum := 0.0
				for x := i * n; x < (i+1)*n; x++ {
					sum += math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
				}
				L.basis[u][i] = float32(cu / 2 * sum / float64(n))
			}
		}
		L.s = s
	}
	q := &d.quant[tq]
	for k := range 64 {
		nat := unzig[k]
		v, u := nat/8, nat%8
		w := L.weight[k*64 : k*64+s*s]
		used := false
		for j := range s {
			for i := range s {
				x := float32(q[k]) * L.basis[u][i] * L.basis[v][j]
				if math.Abs(float64(x)) < 1e-6 {
					x = 0
				}
				w[j*s+i] = x
				if s <= 2 {
					L.wi[k*4+j*s+i] = int32(math.Round(float64(x) * (1 << wiShift)))
				}
				used = used || x != 0
			}
		}
		L.active[k] = used
	}
	L.wtq, L.wgen = tq, d.qgen[tq]+1
}

// meansBlock decodes a luma block into the picture of means at (bx, by)
// in blocks: s x s means, each the sum of the dequantised coefficients
// times its weight.
func (d *Decoder) meansBlock(dc, ac *huffTable, pred *int32, bx, by int) error {
	L := &d.lumaState
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.fill(acc, nbits)
	}
	f := dc.fast[acc>>(64-lookBits)]
	diff, l := f>>16, int(f&0xff)
	if l == 0 {
		var err error
		if diff, l, err = dc.dcDiff(acc); err != nil {
			return err
		}
	}
	*pred += diff
	acc <<= l
	nbits -= l
	s := L.s
	// The means in fixed point (wiShift fraction bits) when s is 1 or 2.
	m0 := int64(*pred)*int64(L.wi[0]) + 128<<wiShift + 1<<(wiShift-1)
	m1, m2, m3 := m0, m0, m0
	if s > 2 {
		f := float32(*pred)*L.weight[0] + 128
		for i := range s * s {
			L.m[i] = f
		}
	}
	for k := 1; k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.fill(acc, nbits)
		}
		f, err := ac.acCode(acc)
		if err != nil {
			return err
		}
		l := int(f & 0xff)
		acc <<= l
		nbits -= l
		k += int(f>>8) & 0xff
		v := f >> 16
		if k > 63 {
			if v != 0 {
				return ErrUnsupported // a run past the block: image/jpeg leaves the value bits unread
			}
			break
		}
		if s == 2 { // inactive coefficients have weights 0: no branch
			w := L.wi[k*4 : k*4+4]
			m0 += int64(v) * int64(w[0])
			m1 += int64(v) * int64(w[1])
			m2 += int64(v) * int64(w[2])
			m3 += int64(v) * int64(w[3])
			continue
		}
		if !L.active[k] {
			continue
		}
		fv := float32(v)
		w := L.weight[k*64 : k*64+s*s]
		m := L.m[:len(w)]
		for i := range w {
			m[i] += fv * w[i]
		}
	}
	d.acc, d.nbits = acc, nbits
	pix, pw := L.out.Pix, L.out.Stride
	row := by*s*pw + bx*s
	switch s {
	case 1:
		pix[row] = clampI(m0)
	case 2:
		out := pix[row : row+pw+2]
		out[0], out[1] = clampI(m0), clampI(m1)
		out[pw], out[pw+1] = clampI(m2), clampI(m3)
	default:
		for j := range s {
			out := pix[row+j*pw : row+j*pw+s]
			for i := range out {
				out[i] = clamp(L.m[j*s+i])
			}
		}
	}
	return nil
}

// clamp rounds a mean to a grey level.
func clamp(x float32) uint8 {
	x += 0.5
	switch {
	case x <= 0:
		return 0
	case x >= 255:
		return 255
	}
	return uint8(x)
}

// clampI makes a grey level of a rounded mean in fixed point.
func clampI(x int64) uint8 {
	x >>= wiShift
	switch {
	case x < 0:
		return 0
	case x > 255:
		return 255
	}
	return uint8(x)
}

// skipBlock decodes a block's symbols without keeping anything.
func (d *Decoder) skipBlock(dc, ac *huffTable) error {
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.fill(acc, nbits)
	}
	l := int(dc.fast[acc>>(64-lookBits)] & 0xff)
	if l == 0 {
		var err error
		if _, l, err = dc.dcDiff(acc); err != nil {
			return err
		}
	}
	acc <<= l
	nbits -= l
	for k := 1; k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.fill(acc, nbits)
		}
		f, err := ac.acCode(acc)
		if err != nil {
			return err
		}
		l := int(f & 0xff)
		acc <<= l
		nbits -= l
		if k += int(f>>8) & 0xff; k > 63 && f>>16 != 0 {
			return ErrUnsupported // as in meansBlock
		}
	}
	d.acc, d.nbits = acc, nbits
	return nil
}

func (d *Decoder) scanLuma() error {
	c := &d.comp[0]
	dc, ac := &d.huff[0][c.td], &d.huff[1][c.ta]
	// A lone component's blocks cover its own size, in whole blocks.
	cw := (d.width*int(c.h) + d.hmax - 1) / d.hmax
	ch := (d.height*int(c.v) + d.vmax - 1) / d.vmax
	bw, bh := (cw+7)/8, (ch+7)/8
	var pred int32
	n := 0
	for by := range bh {
		for bx := range bw {
			if d.ri > 0 && n > 0 && n%d.ri == 0 {
				if err := d.restart(n/d.ri - 1); err != nil {
					return err
				}
				pred = 0
			}
			if err := d.meansBlock(dc, ac, &pred, bx, by); err != nil {
				return err
			}
			n++
		}
		if d.overrun() {
			return errShortData
		}
	}
	return nil
}

func (d *Decoder) scanLumaInterleaved(scan []int) error {
	mx := (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	my := (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	var pred int32
	n := 0
	for my0 := range my {
		for mx0 := range mx {
			if d.ri > 0 && n > 0 && n%d.ri == 0 {
				if err := d.restart(n/d.ri - 1); err != nil {
					return err
				}
				pred = 0
			}
			for _, ci := range scan {
				c := &d.comp[ci]
				dc, ac := &d.huff[0][c.td], &d.huff[1][c.ta]
				for v := range int(c.v) {
					for h := range int(c.h) {
						var err error
						if ci == 0 {
							err = d.meansBlock(dc, ac, &pred, mx0*int(c.h)+h, my0*int(c.v)+v)
						} else {
							err = d.skipBlock(dc, ac)
						}
						if err != nil {
							return err
						}
					}
				}
			}
			n++
		}
		if d.overrun() {
			return errShortData
		}
	}
	return nil
}
