package export

// The GIF writer writes animated GIFs frame by frame, so that a long
// recording never has to be held in memory whole (image/gif's EncodeAll
// needs every frame at once), and maps pictures to a palette through a
// lookup table.

import (
	"bufio"
	"compress/lzw"
	"encoding/binary"
	"image"
	"image/color"
	"io"
	"sort"
)

// A gifWriter writes an animated GIF that loops for ever. Frames are
// *image.Paletted of the screen's size; a frame whose palette is the global
// one carries no local table. A gifWriter is not safe for concurrent use.
type gifWriter struct {
	w      *bufio.Writer
	global color.Palette
	err    error
	blocks blockWriter
}

// newGIFWriter starts a GIF of width x height on w, with the global palette
// (nil: every frame brings its own).
func newGIFWriter(w io.Writer, width, height int, global color.Palette) *gifWriter {
	g := &gifWriter{w: bufio.NewWriterSize(w, 64<<10), global: global}
	g.blocks.w = g.w
	g.write([]byte("GIF89a"))
	var lsd [7]byte
	binary.LittleEndian.PutUint16(lsd[0:], uint16(width))
	binary.LittleEndian.PutUint16(lsd[2:], uint16(height))
	if global != nil {
		lsd[4] = 0x80 | 0x70 | tableBits(len(global)) // global table, 8-bit colour resolution
	}
	g.write(lsd[:])
	if global != nil {
		g.table(global)
	}
	// Loop for ever (the NETSCAPE2.0 extension).
	g.write([]byte{0x21, 0xff, 0x0b, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 3, 1, 0, 0, 0})
	return g
}

func (g *gifWriter) write(b []byte) {
	if g.err == nil {
		_, g.err = g.w.Write(b)
	}
}

// tableBits is the GIF size code of a colour table of n entries: 2^(code+1)
// entries at least n.
func tableBits(n int) byte {
	b := byte(0)
	for 2<<b < n {
		b++
	}
	return b
}

func (g *gifWriter) table(p color.Palette) {
	n := 2 << tableBits(len(p))
	t := make([]byte, 3*n)
	for i, c := range p {
		r, gg, b, _ := c.RGBA()
		t[3*i], t[3*i+1], t[3*i+2] = byte(r>>8), byte(gg>>8), byte(b>>8)
	}
	g.write(t)
}

// Frame adds m, shown for delay hundredths of a second.
func (g *gifWriter) Frame(m *image.Paletted, delay int) {
	var gce = [8]byte{0x21, 0xf9, 4, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(gce[4:], uint16(min(delay, 65535)))
	g.write(gce[:])
	var id [10]byte
	id[0] = 0x2c
	b := m.Bounds()
	binary.LittleEndian.PutUint16(id[5:], uint16(b.Dx()))
	binary.LittleEndian.PutUint16(id[7:], uint16(b.Dy()))
	local := !samePalette(m.Palette, g.global)
	if local {
		id[9] = 0x80 | tableBits(len(m.Palette))
	}
	g.write(id[:])
	if local {
		g.table(m.Palette)
	}
	lit := max(2, int(tableBits(len(m.Palette)))+1)
	g.write([]byte{byte(lit)})
	if g.err != nil {
		return
	}
	lw := lzw.NewWriter(&g.blocks, lzw.LSB, lit)
	for y := b.Min.Y; y < b.Max.Y && g.err == nil; y++ {
		i := m.PixOffset(b.Min.X, y)
		if _, err := lw.Write(m.Pix[i : i+b.Dx()]); err != nil {
			g.err = err
		}
	}
	if err := lw.Close(); err != nil && g.err == nil {
		g.err = err
	}
	g.blocks.flush()
	if g.blocks.err != nil && g.err == nil {
		g.err = g.blocks.err
	}
	g.write([]byte{0}) // block terminator
}

// Close ends the GIF and flushes it; it does not close the io.Writer.
func (g *gifWriter) Close() error {
	g.write([]byte{0x3b})
	if g.err == nil {
		g.err = g.w.Flush()
	}
	return g.err
}

func samePalette(a, b color.Palette) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// blockWriter cuts LZW output into GIF sub-blocks of up to 255 bytes.
type blockWriter struct {
	w   *bufio.Writer
	buf [256]byte
	n   int
	err error
}

func (b *blockWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		b.buf[1+b.n] = c
		b.n++
		if b.n == 255 {
			b.flush()
		}
	}
	return len(p), b.err
}

func (b *blockWriter) flush() {
	if b.n == 0 || b.err != nil {
		b.n = 0 // after a write error, drop the bytes, never overrun buf
		return
	}
	b.buf[0] = byte(b.n)
	_, b.err = b.w.Write(b.buf[:1+b.n])
	b.n = 0
}

// A quantizer maps colours to a palette of up to 256 through a lookup
// table of 15-bit colours, built once: mapping a pixel is one table load.
// It is safe for concurrent use once made.
type quantizer struct {
	Palette color.Palette
	lut     [1 << 15]uint8
}

// newQuantizer chooses a palette for the images: the 256 most common 15-bit
// colours among their pixels (each kept at its bin's mean), or fewer if
// fewer occur, and fills the table with each colour's nearest entry.
func newQuantizer(imgs []*image.RGBA) *quantizer {
	var count [1 << 15]uint32
	var sum [1 << 15][3]uint64
	for _, m := range imgs {
		for i := 0; i+3 < len(m.Pix); i += 4 {
			k := key15(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
			count[k]++
			sum[k][0] += uint64(m.Pix[i])
			sum[k][1] += uint64(m.Pix[i+1])
			sum[k][2] += uint64(m.Pix[i+2])
		}
	}
	var used []int
	for k, c := range count {
		if c > 0 {
			used = append(used, k)
		}
	}
	sort.Slice(used, func(i, j int) bool {
		if count[used[i]] != count[used[j]] {
			return count[used[i]] > count[used[j]]
		}
		return used[i] < used[j]
	})
	used = used[:min(len(used), 256)]
	q := &quantizer{}
	for _, k := range used {
		c := count[k]
		q.Palette = append(q.Palette, color.RGBA{byte(sum[k][0] / uint64(c)), byte(sum[k][1] / uint64(c)), byte(sum[k][2] / uint64(c)), 255})
	}
	if len(q.Palette) == 0 {
		q.Palette = color.Palette{color.RGBA{0, 0, 0, 255}}
	}
	for k := range q.lut {
		r, g, b := int(k>>10&31)<<3|4, int(k>>5&31)<<3|4, int(k&31)<<3|4
		best, bestD := 0, 1<<30
		for i, c := range q.Palette {
			p := c.(color.RGBA)
			dr, dg, db := r-int(p.R), g-int(p.G), b-int(p.B)
			if d := 2*dr*dr + 4*dg*dg + 3*db*db; d < bestD {
				best, bestD = i, d
			}
		}
		q.lut[k] = uint8(best)
	}
	return q
}

func key15(r, g, b byte) int { return int(r>>3)<<10 | int(g>>3)<<5 | int(b>>3) }

// Paletted maps m through the table.
func (q *quantizer) Paletted(m *image.RGBA) *image.Paletted {
	b := m.Bounds()
	p := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), q.Palette)
	for y := 0; y < b.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+4*b.Dx()]
		dst := p.Pix[y*p.Stride : y*p.Stride+b.Dx()]
		for x := range dst {
			dst[x] = q.lut[key15(src[4*x], src[4*x+1], src[4*x+2])]
		}
	}
	return p
}
