package jpegdec

// component is a frame component from SOF.
type component struct {
	id, h, v, tq uint8
	td, ta       uint8 // tables of the current scan
}

// header is what the markers before a scan say.
type header struct {
	width, height int
	ncomp         int
	comp          [4]component
	hmax, vmax    int
	quant         [4][64]uint16 // zig-zag order
	qdefined      [4]bool
	qgen          [4]uint32       // counts the changes of each table
	huff          [2][4]huffTable // [DC, AC][id]
	ri            int             // restart interval in MCUs
	adobeRGB      bool
	baseline      bool // SOF0: tables 0 and 1 only
	limit         int  // the most pixels a frame may have
}

// start readies h for a new frame.
func (h *header) start(limit int) {
	h.ri, h.adobeRGB, h.baseline, h.width, h.ncomp, h.limit = 0, false, false, 0, 0, limit
	h.qdefined = [4]bool{}
	for i := range h.huff {
		for j := range h.huff[i] {
			h.huff[i][j].defined = false
		}
	}
}

// next reads the markers of jpg from p up to the next SOS, and returns its
// segment and where the scan's entropy-coded data start. p is 2 for the
// first scan (after SOI, which the caller checks).
func (h *header) next(jpg []byte, p int) (sos []byte, data int, err error) {
	for {
		// A marker, after any fill bytes.
		if p >= len(jpg) || jpg[p] != 0xff {
			return nil, 0, ErrUnsupported
		}
		for p < len(jpg) && jpg[p] == 0xff {
			p++
		}
		if p >= len(jpg) {
			return nil, 0, ErrUnsupported
		}
		m := jpg[p]
		p++
		if m == 0xd8 || m == 0xd9 || m == 0x01 || m == 0x00 || (m >= 0xd0 && m <= 0xd7) {
			return nil, 0, ErrUnsupported // EOI before a scan, TEM, a stray RST
		}
		if p+2 > len(jpg) {
			return nil, 0, ErrUnsupported
		}
		n := int(jpg[p])<<8 | int(jpg[p+1])
		if n < 2 || p+n > len(jpg) {
			return nil, 0, ErrUnsupported
		}
		seg := jpg[p+2 : p+n]
		p += n
		switch {
		case m == 0xc0 || m == 0xc1: // baseline, extended sequential Huffman
			h.baseline = m == 0xc0
			if err := h.sof(seg); err != nil {
				return nil, 0, err
			}
		case m >= 0xc2 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			// Progressive, lossless, hierarchical or arithmetic: read
			// the size, to refuse a huge frame before falling back.
			if fw, fh, ok := sofSize(seg); ok && int64(fw)*int64(fh) > int64(h.limit) { // int64: 0xffff² overflows a 32-bit int
				return nil, 0, ErrTooLarge
			}
			return nil, 0, ErrUnsupported
		case m == 0xc4:
			if err := h.dht(seg); err != nil {
				return nil, 0, err
			}
		case m == 0xdb:
			if err := h.dqt(seg); err != nil {
				return nil, 0, err
			}
		case m == 0xdd:
			if len(seg) != 2 {
				return nil, 0, ErrUnsupported
			}
			h.ri = int(seg[0])<<8 | int(seg[1])
		case m == 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" && seg[11] == 0 {
				h.adobeRGB = true
			}
		case m >= 0xe0 && m <= 0xef, m == 0xfe:
			// Application data and comments.
		case m == 0xda:
			if h.ncomp == 0 {
				return nil, 0, ErrUnsupported
			}
			if h.ncomp == 3 && (h.adobeRGB || (h.comp[0].id == 'R' && h.comp[1].id == 'G' && h.comp[2].id == 'B')) {
				return nil, 0, ErrUnsupported // RGB, not YCbCr (an APP14 may follow the SOF)
			}
			return seg, p, nil
		default:
			return nil, 0, ErrUnsupported // DNL, DAC, JPG extensions, reserved
		}
	}
}

// sofSize returns the frame size a SOF segment declares, if it is well
// formed as image/jpeg reads it: 8-bit, of 1, 3 or 4 components.
func sofSize(seg []byte) (w, h int, ok bool) {
	if len(seg) < 6 || seg[0] != 8 || len(seg) != 6+3*int(seg[5]) || (seg[5] != 1 && seg[5] != 3 && seg[5] != 4) {
		return 0, 0, false
	}
	return int(seg[3])<<8 | int(seg[4]), int(seg[1])<<8 | int(seg[2]), true
}

func (h *header) sof(seg []byte) error {
	w, ht, ok := sofSize(seg)
	if h.ncomp != 0 || !ok {
		return ErrUnsupported // a second frame, or not one image/jpeg reads
	}
	if int64(w)*int64(ht) > int64(h.limit) {
		return ErrTooLarge
	}
	h.width, h.height, h.ncomp = w, ht, int(seg[5])
	if h.height == 0 || h.width == 0 || h.ncomp == 4 {
		return ErrUnsupported // DNL, CMYK
	}
	h.hmax, h.vmax = 1, 1
	for i := range h.ncomp {
		c := &h.comp[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], seg[7+3*i]>>4, seg[7+3*i]&15, seg[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 || c.tq > 3 {
			return ErrUnsupported // what image/jpeg refuses
		}
		for j := range i {
			if h.comp[j].id == c.id {
				return ErrUnsupported // a repeated component
			}
		}
		if h.ncomp == 1 {
			c.h, c.v = 1, 1 // a lone component's scan has one block an MCU
		}
		h.hmax, h.vmax = max(h.hmax, int(c.h)), max(h.vmax, int(c.v))
	}
	if int(h.comp[0].h) != h.hmax || int(h.comp[0].v) != h.vmax || (h.ncomp == 3 && h.comp[0].v == 4) {
		return ErrUnsupported // luma subsampled, or a ratio image/jpeg refuses
	}
	return nil
}

func (h *header) dqt(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 || pq > 1 {
			return ErrUnsupported
		}
		var q [64]uint16
		if pq == 0 {
			if len(seg) < 65 {
				return ErrUnsupported
			}
			for i := range 64 {
				q[i] = uint16(seg[1+i])
			}
			seg = seg[65:]
		} else {
			if len(seg) < 129 {
				return ErrUnsupported
			}
			for i := range 64 {
				q[i] = uint16(seg[1+2*i])<<8 | uint16(seg[2+2*i])
			}
			seg = seg[129:]
		}
		h.qdefined[tq] = true
		if q != h.quant[tq] {
			h.quant[tq] = q
			h.qgen[tq]++
		}
	}
	return nil
}

func (h *header) dht(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return ErrUnsupported
		}
		tc, th := seg[0]>>4, seg[0]&15
		if tc > 1 || th > 3 || (h.baseline && th > 1) {
			return ErrUnsupported
		}
		total := 0
		for _, c := range seg[1:17] {
			total += int(c)
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return ErrUnsupported
		}
		if err := h.huff[tc][th].build(seg[1:17], seg[17:17+total], tc == 1); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// scan reads a sequential scan's header: the indexes of its components
// in the frame, each given its tables.
func (h *header) scan(seg []byte, idx *[4]int) (ns int, err error) {
	hv := 0
	if len(seg) < 1 {
		return 0, ErrUnsupported
	}
	ns = int(seg[0])
	if ns < 1 || ns > h.ncomp || len(seg) != 4+2*ns {
		return 0, ErrUnsupported
	}
	if seg[1+2*ns] != 0 || seg[2+2*ns] != 63 || seg[3+2*ns] != 0 {
		return 0, ErrUnsupported // not a sequential scan
	}
	for i := range ns {
		id := seg[1+2*i]
		j := 0
		for j < h.ncomp && h.comp[j].id != id {
			j++
		}
		if j == h.ncomp {
			return 0, ErrUnsupported
		}
		for k := range i {
			if idx[k] == j {
				return 0, ErrUnsupported // a component twice in a scan
			}
		}
		c := &h.comp[j]
		c.td, c.ta = seg[2+2*i]>>4, seg[2+2*i]&15
		if c.td > 3 || c.ta > 3 || (h.baseline && (c.td > 1 || c.ta > 1)) {
			return 0, ErrUnsupported
		}
		idx[i] = j
		hv += int(c.h) * int(c.v)
	}
	if h.ncomp > 1 && hv > 10 {
		return 0, ErrUnsupported // B.2.3: at most 10 blocks an MCU
	}
	return ns, nil
}

// ready reports whether the scan's components have their tables.
func (h *header) ready(idx []int) bool {
	for _, j := range idx {
		c := &h.comp[j]
		if !h.huff[0][c.td].defined || !h.huff[1][c.ta].defined || !h.qdefined[c.tq] {
			return false
		}
	}
	return true
}
