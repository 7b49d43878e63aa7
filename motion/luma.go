package motion

import (
	"encoding/binary"
	"errors"
	"image/jpeg"
	"math"
)

// MaxJPEGPixels is the largest frame, in pixels (width times height), that
// DetectJPEG reads: a larger one is an error, whatever its coding, so that
// a header never makes the Detector allocate more than a few MB (the
// standard library's decoder, used for the JPEGs the luma decoder cannot
// read, would allocate 1.5 bytes a pixel).
const MaxJPEGPixels = 1 << 24 // 4096x4096

// errFallback says that the luma decoder cannot read a JPEG that the
// standard library's decoder may: progressive, arithmetic coded, 12-bit,
// lossless, RGB or CMYK, or a header it does not expect.
var errFallback = errors.New("motion: JPEG needs the full decoder")

// Errors of the luma decoder for data that no decoder reads. They are the
// standard library's types, so callers match one type whichever decoder
// ran.
var (
	errShortData error = jpeg.FormatError("short Huffman data")
	errBadCode   error = jpeg.FormatError("bad Huffman code")
	errBadDC     error = jpeg.UnsupportedError("excessive DC component")
	errTooLarge  error = jpeg.UnsupportedError("frame larger than motion.MaxJPEGPixels")
)

// unzig maps a coefficient's zig-zag index to its natural index (row*8 +
// column, the row being the vertical frequency).
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

const lookBits = 9 // bits of a Huffman table's lookahead

// wiShift is the fraction bits of the fixed-point weights: a weight is at
// most 65535/4 (a 16-bit quantiser times two bases of at most 1/2), so it
// fits an int32 with 2^12, and a mean of 64 coefficients of up to 2^16
// times it an int64 (a DC predictor grown past that by a malformed JPEG
// wraps around, harmlessly).
const wiShift = 12

// huffTable is a Huffman table with a 9-bit lookahead: lut gives the length
// and symbol of every code of up to 9 bits; longer codes take the slow path
// through maxcode and valptr. For AC tables, fast also gives, for a code
// and its value bits that fit in 9 bits together, the run, the value and
// the total length, as libjpeg-turbo's jdhuff.c does; for the end of a
// block, a run of 64 (past the last coefficient), and for sixteen zeros
// (ZRL), a run of 15 and a value of 0, so that the loop takes both with no
// branch of their own.
type huffTable struct {
	defined bool
	lut     [1 << lookBits]uint16 // length<<8 | symbol; 0: longer code
	fast    [1 << lookBits]int32  // value<<16 | run<<8 | length; 0: none
	maxcode [17]int32             // largest code of each length, -1 if none
	valptr  [17]int32             // index in vals of the first code of each length, minus that code
	vals    [256]uint8
	src     [16 + 256]byte // the DHT's counts and symbols it was built from
	srcLen  int
}

// build fills h from a DHT segment's counts and symbols.
func (h *huffTable) build(counts []byte, syms []byte, ac bool) error {
	if h.srcLen == 16+len(syms) && string(h.src[:16]) == string(counts) && string(h.src[16:h.srcLen]) == string(syms) {
		h.defined = true // the table of the frame before: camera frames repeat theirs
		return nil
	}
	if err := h.make(counts, syms, ac); err != nil {
		h.defined, h.srcLen = false, 0
		return err
	}
	h.srcLen = 16 + copy(h.src[16:], syms)
	copy(h.src[:16], counts)
	return nil
}

// make builds h's lookups.
func (h *huffTable) make(counts []byte, syms []byte, ac bool) error {
	*h = huffTable{defined: true}
	copy(h.vals[:], syms)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		if code+n > 1<<l {
			return errFallback // over-subscribed: let the standard library say so
		}
		if n == 0 {
			h.maxcode[l] = -1
		} else {
			h.valptr[l] = k - code
			for range n {
				if l <= lookBits {
					sh := uint(lookBits - l)
					for i := code << sh; i < (code+1)<<sh; i++ {
						h.lut[i] = uint16(l)<<8 | uint16(syms[k])
					}
				}
				code++
				k++
			}
			h.maxcode[l] = code - 1
		}
		code <<= 1
	}
	if !ac {
		return nil
	}
	for i := range h.fast {
		e := h.lut[i]
		l, sym := int(e>>8), int(e&0xff)
		run, s := sym>>4, sym&15
		if l == 0 || l+s > lookBits {
			continue
		}
		if s == 0 {
			if run != 15 {
				run = 64 // end of block: past the last coefficient
			}
			h.fast[i] = int32(run)<<8 | int32(l)
			continue
		}
		v := int32(i>>(lookBits-l-s)) & (1<<s - 1)
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		h.fast[i] = v<<16 | int32(run)<<8 | int32(l+s)
	}
	return nil
}

// component is a frame component from SOF.
type component struct {
	id, h, v, tq uint8
	td, ta       uint8 // tables of the current scan
}

// lumaDecoder decodes the luma of a baseline JPEG into a plane of the
// means of n x n pixel squares (n = 8, 4, 2 or 1: s = 8/n means per block
// side), from the DCT coefficients, without an inverse DCT at full size.
// Its buffers are reused from frame to frame.
type lumaDecoder struct {
	data          []byte
	outW, outH    int // the grid the plane is for
	fixedS        int // tests: means per block side, whatever the grid
	width, height int
	ncomp         int
	comp          [4]component
	hmax, vmax    int
	quant         [4][64]uint16
	qdefined      [4]bool
	huff          [2][4]huffTable // [DC, AC][id]
	ri            int             // restart interval in MCUs
	adobeRGB      bool

	s      int              // means per block side
	weight [64 * 64]float32 // [zig-zag index][s*s means]
	active [64]bool         // the coefficient moves a mean
	wq     [4]uint16        // quant table the weights were made for +1 (0: none)
	basis  [8][8]float32    // basis[u][i]: mean of 1-D basis u over mean i, times C(u)/2
	wi     [64 * 4]int32    // the weights in fixed point when s is 1 or 2: [zig-zag index][s*s means]
	m      [64]float32      // a block's means when s > 2
	plane  []uint8          // the means, stride pw
	pw, ph int              // plane size (whole blocks)

	// bit reader
	pos   int
	acc   uint64 // left-aligned bits
	nbits int
	pad   int // zero bits put in acc past the end of the data
}

// decode reads jpg's header and, when it can, its luma, as means of n x n
// squares, n the largest of 8, 4, 2, 1 that fits in a cell of an
// outW x outH grid over the frame. It returns the frame size and leaves
// the plane in d.plane (stride d.pw).
func (d *lumaDecoder) decode(jpg []byte) (w, h int, err error) {
	d.data = jpg
	d.ri, d.adobeRGB, d.width, d.ncomp = 0, false, 0, 0
	d.qdefined = [4]bool{}
	for i := range d.huff {
		for j := range d.huff[i] {
			d.huff[i][j].defined = false
		}
	}
	if len(jpg) < 2 || jpg[0] != 0xff || jpg[1] != 0xd8 {
		return 0, 0, errFallback // the standard library says what it is
	}
	p := 2
	for {
		// A marker, after any fill bytes.
		if p >= len(jpg) || jpg[p] != 0xff {
			return 0, 0, errFallback
		}
		for p < len(jpg) && jpg[p] == 0xff {
			p++
		}
		if p >= len(jpg) {
			return 0, 0, errFallback
		}
		m := jpg[p]
		p++
		if m == 0xd8 || m == 0xd9 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) {
			return 0, 0, errFallback // EOI before a scan, TEM, a stray RST
		}
		if p+2 > len(jpg) {
			return 0, 0, errFallback
		}
		n := int(jpg[p])<<8 | int(jpg[p+1])
		if n < 2 || p+n > len(jpg) {
			return 0, 0, errFallback
		}
		seg := jpg[p+2 : p+n]
		p += n
		switch {
		case m == 0xc0 || m == 0xc1: // baseline, extended sequential Huffman
			if err := d.sof(seg); err != nil {
				return 0, 0, err
			}
		case m >= 0xc2 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			// Progressive, lossless, hierarchical or arithmetic: read
			// the size, to refuse a huge frame before falling back.
			if len(seg) >= 5 {
				h, w := int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4])
				if int64(w)*int64(h) > MaxJPEGPixels { // int64: 0xffff² overflows a 32-bit int
					return 0, 0, errTooLarge
				}
			}
			return 0, 0, errFallback
		case m == 0xc4:
			if err := d.dht(seg); err != nil {
				return 0, 0, err
			}
		case m == 0xdb:
			if err := d.dqt(seg); err != nil {
				return 0, 0, err
			}
		case m == 0xdd:
			if len(seg) != 2 {
				return 0, 0, errFallback
			}
			d.ri = int(seg[0])<<8 | int(seg[1])
		case m == 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" && seg[11] == 0 {
				d.adobeRGB = true
			}
		case m == 0xda:
			if d.ncomp == 0 {
				return 0, 0, errFallback
			}
			done, q, err := d.sos(seg, p)
			if err != nil || done {
				return d.width, d.height, err
			}
			p = q
		}
	}
}

func (d *lumaDecoder) sof(seg []byte) error {
	if d.ncomp != 0 || len(seg) < 6 || seg[0] != 8 {
		return errFallback // a second frame, or not 8-bit
	}
	d.height, d.width = int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4])
	d.ncomp = int(seg[5])
	if int64(d.width)*int64(d.height) > MaxJPEGPixels {
		return errTooLarge
	}
	if d.height == 0 || d.width == 0 || (d.ncomp != 1 && d.ncomp != 3) || len(seg) != 6+3*d.ncomp {
		return errFallback // DNL, CMYK, or malformed
	}
	d.hmax, d.vmax = 1, 1
	for i := range d.ncomp {
		c := &d.comp[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], seg[7+3*i]>>4, seg[7+3*i]&15, seg[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errFallback
		}
		if d.ncomp == 1 {
			c.h, c.v = 1, 1 // a lone component's scan has one block an MCU
		}
		d.hmax, d.vmax = max(d.hmax, int(c.h)), max(d.vmax, int(c.v))
	}
	if int(d.comp[0].h) != d.hmax || int(d.comp[0].v) != d.vmax {
		return errFallback // luma subsampled: the standard library decides
	}
	if d.ncomp == 3 && (d.adobeRGB || (d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B')) {
		return errFallback // RGB, not YCbCr
	}
	return nil
}

func (d *lumaDecoder) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 || pq > 1 {
			return errFallback
		}
		var q [64]uint16
		if pq == 0 {
			if len(seg) < 65 {
				return errFallback
			}
			for i := range 64 {
				q[i] = uint16(seg[1+i])
			}
			seg = seg[65:]
		} else {
			if len(seg) < 129 {
				return errFallback
			}
			for i := range 64 {
				q[i] = uint16(seg[1+2*i])<<8 | uint16(seg[2+2*i])
			}
			seg = seg[129:]
		}
		d.qdefined[tq] = true
		if q != d.quant[tq] {
			d.quant[tq] = q
			d.wq = [4]uint16{} // the weights were made for another table
		}
	}
	return nil
}

func (d *lumaDecoder) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errFallback
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 {
			return errFallback
		}
		total := 0
		for _, c := range seg[1:17] {
			total += int(c)
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return errFallback
		}
		if err := d.huff[tc][th].build(seg[1:17], seg[17:17+total], tc == 1); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// sos reads a scan header at seg, whose entropy-coded data start at p. It
// decodes the scan if it holds the luma (done), and otherwise skips it,
// returning where the next marker is.
func (d *lumaDecoder) sos(seg []byte, p int) (done bool, next int, err error) {
	if len(seg) < 1 {
		return false, 0, errFallback
	}
	ns := int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return false, 0, errFallback
	}
	if seg[1+2*ns] != 0 || seg[2+2*ns] != 63 || seg[3+2*ns] != 0 {
		return false, 0, errFallback // not a sequential scan
	}
	var scan [4]int // component indexes
	luma := false
	for i := range ns {
		id := seg[1+2*i]
		j := 0
		for j < d.ncomp && d.comp[j].id != id {
			j++
		}
		if j == d.ncomp {
			return false, 0, errFallback
		}
		c := &d.comp[j]
		c.td, c.ta = seg[2+2*i]>>4, seg[2+2*i]&15
		if c.td > 3 || c.ta > 3 {
			return false, 0, errFallback
		}
		scan[i] = j
		luma = luma || j == 0
	}
	if !luma {
		// Skip to the marker after this scan's data.
		for p+1 < len(d.data) {
			if d.data[p] == 0xff && d.data[p+1] != 0 && (d.data[p+1] < 0xd0 || d.data[p+1] > 0xd7) {
				return false, p, nil
			}
			p++
		}
		return false, 0, errFallback
	}
	for i := range ns {
		c := &d.comp[scan[i]]
		if !d.huff[0][c.td].defined || !d.huff[1][c.ta].defined {
			return false, 0, errFallback
		}
	}
	if !d.qdefined[d.comp[0].tq] {
		return false, 0, errFallback
	}
	d.prepare(d.scale())
	d.pos, d.acc, d.nbits, d.pad = p, 0, 0, 0
	if ns == 1 {
		return true, 0, d.scanLuma()
	}
	return true, 0, d.scanInterleaved(scan[:ns])
}

// scale returns the means per block side for the frame and the grid: the
// means are squares of n pixels, n the largest of 8, 4, 2 and 1 not over
// a cell's width and height.
func (d *lumaDecoder) scale() int {
	if d.fixedS != 0 {
		return d.fixedS
	}
	cell := min(d.width/max(d.outW, 1), d.height/max(d.outH, 1))
	n := 8
	for n > 1 && n > cell {
		n /= 2
	}
	return 8 / n
}

// prepare sizes the plane and makes the weights for s means per block
// side.
func (d *lumaDecoder) prepare(s int) {
	mx := (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	my := (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	d.pw, d.ph = mx*d.hmax*s, my*d.vmax*s
	if cap(d.plane) < d.pw*d.ph {
		d.plane = make([]uint8, d.pw*d.ph)
	}
	d.plane = d.plane[:d.pw*d.ph]
	tq := d.comp[0].tq
	if d.s == s && d.wq[tq] != 0 {
		return
	}
	if d.s != s {
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
				d.basis[u][i] = float32(cu / 2 * sum / float64(n))
			}
		}
		d.s = s
	}
	q := &d.quant[tq]
	for k := range 64 {
		nat := unzig[k]
		v, u := nat/8, nat%8
		w := d.weight[k*64 : k*64+s*s]
		used := false
		for j := range s {
			for i := range s {
				x := float32(q[k]) * d.basis[u][i] * d.basis[v][j]
				if math.Abs(float64(x)) < 1e-6 {
					x = 0
				}
				w[j*s+i] = x
				if s <= 2 {
					d.wi[k*4+j*s+i] = int32(math.Round(float64(x) * (1 << wiShift)))
				}
				used = used || x != 0
			}
		}
		d.active[k] = used
	}
	d.wq = [4]uint16{}
	d.wq[tq] = 1
}

// fill tops the bit buffer acc (nbits bits, left-aligned, nbits < 57) up
// to at least 57 bits, unstuffing 0xFF 0x00, and padding with zeros at a marker or the
// end of the data. The hot paths keep acc and nbits in locals.
func (d *lumaDecoder) fill(acc uint64, nbits int) (uint64, int) {
	data, pos := d.data, d.pos
	if pos+8 <= len(data) {
		// Eight bytes at once when none is 0xFF.
		x := binary.BigEndian.Uint64(data[pos:])
		if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
			n := (64 - nbits) / 8
			if n < 8 {
				x &^= 1<<(64-8*n) - 1
			}
			d.pos = pos + n
			return acc | x>>nbits, nbits + 8*n
		}
	}
	for nbits <= 56 {
		if pos < len(data) {
			b := data[pos]
			if b != 0xff {
				pos++
				acc |= uint64(b) << (56 - nbits)
				nbits += 8
				continue
			}
			if pos+1 < len(data) && data[pos+1] == 0 {
				pos += 2
				acc |= 0xff << (56 - nbits)
				nbits += 8
				continue
			}
		}
		nbits += 8 // a marker (stay on it) or the end
		d.pad += 8
	}
	d.pos = pos
	return acc, nbits
}

// slow decodes a code longer than lookBits at the top of acc: its symbol
// and length, or a length of 0 for a code of no symbol.
func (h *huffTable) slow(acc uint64) (sym, l int) {
	for l := lookBits + 1; l <= 16; l++ {
		code := int32(acc >> (64 - l))
		if code <= h.maxcode[l] {
			return int(h.vals[(h.valptr[l]+code)&0xff]), l
		}
	}
	return 0, 0
}

// extend makes a signed value of the s bits v (JPEG's EXTEND).
func extend(v int32, s int) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// block decodes a luma block into the plane at (bx, by) in blocks: s x s
// means, each the sum of the dequantised coefficients times its weight.
func (d *lumaDecoder) block(dc, ac *huffTable, pred *int32, bx, by int) error {
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.fill(acc, nbits)
	}
	var t, l int
	if e := dc.lut[acc>>(64-lookBits)]; e != 0 {
		t, l = int(e&0xff), int(e>>8)
	} else if t, l = dc.slow(acc); l == 0 {
		return errBadCode
	}
	acc <<= l
	nbits -= l
	if t > 16 {
		return errBadDC
	}
	if t > 0 {
		*pred += extend(int32(acc>>(64-t)), t)
		acc <<= t
		nbits -= t
	}
	s := d.s
	// The means in fixed point (wiShift fraction bits) when s is 1 or 2.
	m0 := int64(*pred)*int64(d.wi[0]) + 128<<wiShift + 1<<(wiShift-1)
	m1, m2, m3 := m0, m0, m0
	if s > 2 {
		f := float32(*pred)*d.weight[0] + 128
		for i := range s * s {
			d.m[i] = f
		}
	}
	for k := 1; k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.fill(acc, nbits)
		}
		var v int32
		if f := ac.fast[acc>>(64-lookBits)]; f != 0 {
			l := int(f & 0xff)
			acc <<= l
			nbits -= l
			k += int(f>>8) & 0xff
			v = f >> 16
		} else {
			var sym, l int
			if e := ac.lut[acc>>(64-lookBits)]; e != 0 {
				sym, l = int(e&0xff), int(e>>8)
			} else if sym, l = ac.slow(acc); l == 0 {
				return errBadCode
			}
			acc <<= l
			nbits -= l
			r, sz := sym>>4, sym&15
			if sz == 0 {
				if r != 15 {
					break // end of block
				}
				k += 15
				continue
			}
			k += r
			v = extend(int32(acc>>(64-sz)), sz)
			acc <<= sz
			nbits -= sz
		}
		if k > 63 {
			break // as the standard library, ignore a run past the block
		}
		if s == 2 { // inactive coefficients have weights 0: no branch

			w := d.wi[k*4 : k*4+4]
			m0 += int64(v) * int64(w[0])
			m1 += int64(v) * int64(w[1])
			m2 += int64(v) * int64(w[2])
			m3 += int64(v) * int64(w[3])
			continue
		}
		if !d.active[k] {
			continue
		}
		fv := float32(v)
		w := d.weight[k*64 : k*64+s*s]
		m := d.m[:len(w)]
		for i := range w {
			m[i] += fv * w[i]
		}
	}
	d.acc, d.nbits = acc, nbits
	row := by*s*d.pw + bx*s
	switch s {
	case 1:
		d.plane[row] = clampI(m0)
	case 2:
		out := d.plane[row : row+d.pw+2]
		out[0], out[1] = clampI(m0), clampI(m1)
		out[d.pw], out[d.pw+1] = clampI(m2), clampI(m3)
	default:
		for j := range s {
			out := d.plane[row+j*d.pw : row+j*d.pw+s]
			for i := range out {
				out[i] = clamp(d.m[j*s+i])
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
func (d *lumaDecoder) skipBlock(dc, ac *huffTable) error {
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		acc, nbits = d.fill(acc, nbits)
	}
	var t, l int
	if e := dc.lut[acc>>(64-lookBits)]; e != 0 {
		t, l = int(e&0xff), int(e>>8)
	} else if t, l = dc.slow(acc); l == 0 {
		return errBadCode
	}
	if t > 16 {
		return errBadDC
	}
	acc <<= l + t
	nbits -= l + t
	for k := 1; k < 64; k++ {
		if nbits < 32 {
			acc, nbits = d.fill(acc, nbits)
		}
		if f := ac.fast[acc>>(64-lookBits)]; f != 0 {
			l := int(f & 0xff)
			acc <<= l
			nbits -= l
			k += int(f>>8) & 0xff
			continue
		}
		var sym, l int
		if e := ac.lut[acc>>(64-lookBits)]; e != 0 {
			sym, l = int(e&0xff), int(e>>8)
		} else if sym, l = ac.slow(acc); l == 0 {
			return errBadCode
		}
		r, sz := sym>>4, sym&15
		acc <<= l + sz
		nbits -= l + sz
		if sz == 0 {
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
	}
	d.acc, d.nbits = acc, nbits
	return nil
}

// overrun reports whether decoding used bits past the scan's data.
func (d *lumaDecoder) overrun() bool { return d.nbits < d.pad }

// restart reads the RSTn marker expected after interval i, and resets the
// bit reader. A marker out of place is left to the standard library,
// which resynchronises.
func (d *lumaDecoder) restart(i int) error {
	if d.overrun() {
		return errShortData
	}
	d.acc, d.nbits, d.pad = 0, 0, 0
	p := d.pos // bytes the buffer did not take are the interval's last bits
	for p+1 < len(d.data) && (d.data[p] != 0xff || d.data[p+1] == 0) {
		p++
	}
	if p+1 >= len(d.data) || d.data[p+1] != 0xd0+byte(i%8) {
		return errFallback
	}
	d.pos = p + 2
	return nil
}

func (d *lumaDecoder) scanLuma() error {
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
			if err := d.block(dc, ac, &pred, bx, by); err != nil {
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

func (d *lumaDecoder) scanInterleaved(scan []int) error {
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
							err = d.block(dc, ac, &pred, mx0*int(c.h)+h, my0*int(c.v)+v)
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
