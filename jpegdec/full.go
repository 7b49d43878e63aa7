package jpegdec

import "image"

// fullState is Decode's: the planes it decodes into, kept from frame to
// frame, and the pictures it returns over them.
type fullState struct {
	planes [3][]byte
	ycc    image.YCbCr
	gray   image.Gray
	blk    [64]int32 // a block's coefficients; zero between blocks
	q      [4][64]int32
	qgen   [4]uint32 // header.qgen + 1 of each table in q; 0: none
}

// scanComp is a component of the scan being decoded.
type scanComp struct {
	dc, ac *huffTable
	q      *[64]int32
	pix    []byte
	stride int
	h, v   int
	pred   int32
}

// ratios maps the ratios of the luma's sampling factors to the chroma's
// (h<<4 | v) to image/jpeg's subsampling ratios.
var ratios = map[uint8]image.YCbCrSubsampleRatio{
	0x11: image.YCbCrSubsampleRatio444,
	0x12: image.YCbCrSubsampleRatio440,
	0x21: image.YCbCrSubsampleRatio422,
	0x22: image.YCbCrSubsampleRatio420,
	0x41: image.YCbCrSubsampleRatio411,
	0x42: image.YCbCrSubsampleRatio410,
}

// ratio returns the subsampling ratio of a colour frame, if Decode reads
// it: Cb and Cr sampled alike, the luma's factors multiples of theirs, at
// one of image/jpeg's ratios.
func (h *header) ratio() (image.YCbCrSubsampleRatio, bool) {
	c0, c1, c2 := h.comp[0], h.comp[1], h.comp[2]
	if c0.h%c1.h != 0 || c0.v%c1.v != 0 || c2.h != c1.h || c2.v != c1.v {
		return 0, false
	}
	r, ok := ratios[(c0.h/c1.h)<<4|c0.v/c1.v]
	return r, ok
}

// decodeFull decodes a frame of one interleaved scan into d.full's planes.
func (d *Decoder) decodeFull(jpg []byte) (image.Image, error) {
	seg, p, err := d.next(jpg, 2)
	if err != nil {
		return nil, err
	}
	var idx [4]int
	ns, err := d.scan(seg, &idx)
	if err != nil {
		return nil, err
	}
	if ns != d.ncomp || !d.ready(idx[:ns]) {
		return nil, ErrUnsupported // one scan a component, or tables missing
	}
	f := &d.full
	mx := (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	my := (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	blocks := 0
	for _, c := range d.comp[:d.ncomp] {
		blocks += int(c.h) * int(c.v)
	}
	if (len(jpg)-p)*8 < 2*mx*my*blocks {
		// A block takes 2 bits at least (a DC code and an end of block):
		// data this short cannot fill the frame, and its planes would be
		// allocated, and kept, for nothing.
		return nil, errShortData
	}
	var img image.Image
	var sc [3]scanComp
	if d.ncomp == 1 {
		// As image/jpeg: a picture of whole blocks, seen through the
		// frame's bounds.
		w, h := 8*mx, 8*my
		f.planes[0] = grow(f.planes[0], w*h)
		f.gray = image.Gray{Pix: f.planes[0], Stride: w, Rect: image.Rect(0, 0, d.width, d.height)}
		img = &f.gray
		sc[0] = scanComp{pix: f.planes[0], stride: w, h: 1, v: 1}
	} else {
		ratio, ok := d.ratio()
		if !ok {
			return nil, ErrUnsupported
		}
		c0, c1 := d.comp[0], d.comp[1]
		yw, yh, cw, ch := 8*mx*int(c0.h), 8*my*int(c0.v), 8*mx*int(c1.h), 8*my*int(c1.v)
		f.planes[0] = grow(f.planes[0], yw*yh)
		f.planes[1] = grow(f.planes[1], cw*ch)
		f.planes[2] = grow(f.planes[2], cw*ch)
		f.ycc = image.YCbCr{
			Y: f.planes[0], Cb: f.planes[1], Cr: f.planes[2],
			YStride: yw, CStride: cw, SubsampleRatio: ratio,
			Rect: image.Rect(0, 0, d.width, d.height),
		}
		img = &f.ycc
		sc[0] = scanComp{pix: f.planes[0], stride: yw, h: int(c0.h), v: int(c0.v)}
		sc[1] = scanComp{pix: f.planes[1], stride: cw, h: int(c1.h), v: int(c1.v)}
		sc[2] = scanComp{pix: f.planes[2], stride: cw, h: int(c1.h), v: int(c1.v)}
	}
	var order [3]*scanComp // the scan's components, in its order
	for i, j := range idx[:ns] {
		c := &d.comp[j]
		s := &sc[j]
		s.dc, s.ac = &d.huff[0][c.td], &d.huff[1][c.ta]
		if f.qgen[c.tq] != d.qgen[c.tq]+1 {
			for k, q := range d.quant[c.tq] {
				f.q[c.tq][k] = int32(q)
			}
			f.qgen[c.tq] = d.qgen[c.tq] + 1
		}
		s.q = &f.q[c.tq]
		order[i] = s
	}
	d.reset(p)
	if err := d.mcus(order[:ns], mx, my); err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return img, nil
}

// mcus decodes the scan's mx x my MCUs.
func (d *Decoder) mcus(order []*scanComp, mx, my int) error {
	b := &d.full.blk
	n := 0
	for y := range my {
		for x := range mx {
			if d.ri > 0 && n > 0 && n%d.ri == 0 {
				if err := d.restart(n/d.ri - 1); err != nil {
					return err
				}
				for _, c := range order {
					c.pred = 0
				}
			}
			n++
			for _, c := range order {
				for v := range c.v {
					for h := range c.h {
						rows, err := d.coeffs(c, b)
						if err != nil {
							*b = [64]int32{}
							return err
						}
						bx, by := x*c.h+h, y*c.v+v
						idct(b, rows, c.pix[8*(by*c.stride+bx):], c.stride)
					}
				}
			}
		}
		if d.overrun() {
			return errShortData
		}
	}
	return nil
}

// coeffs decodes a block's coefficients into b, which is zero,
// dequantised, in natural order. It returns the mask of the rows holding
// a nonzero one, bit 0 always set. A run past the block with a value,
// whose bits image/jpeg leaves unread, is ErrUnsupported.
func (d *Decoder) coeffs(c *scanComp, b *[64]int32) (rows uint8, err error) {
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.fill(acc, nbits)
	}
	dc, ac, q := c.dc, c.ac, c.q
	f := dc.fast[acc>>(64-lookBits)]
	diff, l := f>>16, int(f&0xff)
	if l == 0 {
		var err error
		if diff, l, err = dc.dcDiff(acc); err != nil {
			return 0, err
		}
	}
	c.pred += diff
	acc <<= l
	nbits -= l
	b[0] = c.pred * q[0]
	rows = 1
	for k := 1; k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.fill(acc, nbits)
		}
		f, err := ac.acCode(acc)
		if err != nil {
			return 0, err
		}
		l := int(f & 0xff)
		acc <<= l
		nbits -= l
		k += int(f>>8) & 0xff
		v := f >> 16
		if k > 63 {
			if v != 0 {
				return 0, ErrUnsupported // a run past the block: image/jpeg leaves the value bits unread
			}
			break // the end of the block, or sixteen zeros past it
		}
		nat := unzig[k]
		b[nat] = v * q[k]
		rows |= 1 << (nat >> 3)
	}
	d.acc, d.nbits = acc, nbits
	return rows, nil
}
