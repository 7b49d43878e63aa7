package jpegdec

import "encoding/binary"

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

// huffTable is a Huffman table with a 9-bit lookahead: lut gives the length
// and symbol of every code of up to 9 bits; longer codes take the slow path
// through maxcode and valptr. fast also gives, for a code and its value
// bits that fit in 9 bits together, the value and the total length, and
// for AC tables the run, as libjpeg-turbo's jdhuff.c does; for the end of
// a block, a run of 64 (past the last coefficient), and for sixteen zeros
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
			return ErrUnsupported // over-subscribed: let the standard library say so
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
	for i := range h.fast {
		e := h.lut[i]
		l, sym := int(e>>8), int(e&0xff)
		run, s := sym>>4, sym&15
		if !ac {
			run, s = 0, sym // a DC code's symbol is the size of its difference
		}
		if l == 0 || l+s > lookBits {
			continue
		}
		if s == 0 {
			switch {
			case !ac || run == 15:
			case run == 0:
				run = 64 // end of block: past the last coefficient
			default:
				continue // an end-of-band run: not in a sequential scan
			}
			h.fast[i] = int32(run)<<8 | int32(l)
			continue
		}
		v := int32(i>>(lookBits-l-s)) & (1<<s - 1)
		h.fast[i] = extend(v, s)<<16 | int32(run)<<8 | int32(l+s)
	}
	return nil
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

// symbol decodes the code at the top of acc: its symbol and length, or a
// length of 0 for a code of no symbol.
func (h *huffTable) symbol(acc uint64) (sym, l int) {
	if e := h.lut[acc>>(64-lookBits)]; e != 0 {
		return int(e & 0xff), int(e >> 8)
	}
	return h.slow(acc)
}

// acCode decodes the AC code at the top of acc, which holds at least 32
// bits, and its value bits: fast's entry, or acEntry's for a code fast does
// not hold. It is small enough to be inlined in the decoders' loops.
func (h *huffTable) acCode(acc uint64) (f int32, err error) {
	if f = h.fast[acc>>(64-lookBits)]; f == 0 {
		f, err = h.acEntry(acc)
	}
	return f, err
}

// acEntry decodes the AC code at the top of acc, which holds at least 32
// bits, and its value bits, for a code that fast does not hold: an entry
// as fast's (value<<16 | run<<8 | length, a run of 64 for the end of the
// block), or an error for a code of no symbol, and ErrUnsupported for an
// end-of-band run, which image/jpeg reads as in a progressive scan.
func (h *huffTable) acEntry(acc uint64) (int32, error) {
	sym, l := h.symbol(acc)
	if l == 0 {
		return 0, errBadCode
	}
	run, s := int32(sym>>4), sym&15
	switch {
	case s != 0:
		v := extend(int32(acc<<l>>(64-s)), s)
		return v<<16 | run<<8 | int32(l+s), nil
	case run == 0:
		return 64<<8 | int32(l), nil // end of block
	case run == 15:
		return 15<<8 | int32(l), nil
	}
	return 0, ErrUnsupported
}

// dcDiff decodes a DC difference at the top of acc, which holds at least
// 32 bits: the difference and the bits it takes, or an error. The callers
// try fast first, inline.
func (h *huffTable) dcDiff(acc uint64) (diff int32, n int, err error) {
	t, l := h.symbol(acc)
	if l == 0 || t > 16 {
		return 0, 0, dcError(l)
	}
	if t == 0 {
		return 0, l, nil
	}
	return extend(int32(acc<<l>>(64-t)), t), l + t, nil
}

// dcError is dcDiff's error for a code of length l.
func dcError(l int) error {
	if l == 0 {
		return errBadCode
	}
	return errBadDC
}

// extend makes a signed value of the s bits v (JPEG's EXTEND).
func extend(v int32, s int) int32 {
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// bits reads a scan's entropy-coded data: acc holds nbits bits,
// left-aligned; pos is the next byte of data to read. The hot paths keep
// acc and nbits in locals and store them back.
type bits struct {
	data  []byte
	pos   int
	acc   uint64
	nbits int
	pad   int // zero bits put in acc past the end of the data
}

// fill tops acc (nbits bits, nbits < 57) up to at least 57 bits,
// unstuffing 0xFF 0x00, and padding with zeros at a marker or the end of
// the data.
func (r *bits) fill(acc uint64, nbits int) (uint64, int) {
	data, pos := r.data, r.pos
	if pos+8 <= len(data) {
		// Eight bytes at once when none is 0xFF.
		x := binary.BigEndian.Uint64(data[pos:])
		if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
			n := (64 - nbits) / 8
			if n < 8 {
				x &^= 1<<(64-8*n) - 1
			}
			r.pos = pos + n
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
		r.pad += 8
	}
	r.pos = pos
	return acc, nbits
}

// reset starts reading entropy-coded data at p.
func (r *bits) reset(p int) { r.pos, r.acc, r.nbits, r.pad = p, 0, 0, 0 }

// overrun reports whether decoding used bits past the scan's data.
func (r *bits) overrun() bool { return r.nbits < r.pad }

// restart reads the RSTn marker expected after interval i, and resets the
// bit reader. Bytes before it that are not a marker are skipped, as the
// standard library does; a marker out of place is left to the standard
// library, which resynchronises.
func (r *bits) restart(i int) error {
	if r.overrun() {
		return errShortData
	}
	p := r.pos // bytes the buffer did not take are the interval's last bits
	for p+1 < len(r.data) && (r.data[p] != 0xff || r.data[p+1] == 0) {
		p++
	}
	if p+1 >= len(r.data) || r.data[p+1] != 0xd0+byte(i%8) {
		return ErrUnsupported
	}
	r.reset(p + 2)
	return nil
}

// end checks what follows a frame's last scan: any bytes that are not a
// marker (the last bits' padding), then EOI. Anything else is left to the
// standard library.
func (r *bits) end() error {
	if r.overrun() {
		return errShortData
	}
	d, p := r.data, r.pos
	for p < len(d) && (d[p] != 0xff || (p+1 < len(d) && d[p+1] == 0)) {
		if d[p] == 0xff {
			p++ // a stuffed 0xFF 0x00
		}
		p++
	}
	for p < len(d) && d[p] == 0xff {
		p++
	}
	if p >= len(d) || d[p] != 0xd9 {
		return ErrUnsupported
	}
	return nil
}
