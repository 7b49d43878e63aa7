package jpegdec

// SetScale makes DecodeLuma give means of n x n squares (n = 1, 2, 4, 8)
// whatever the frame's size, for tests.
func (d *Decoder) SetScale(n int) { d.lumaState.fixedS = 8 / n }

// PlaneBytes returns the capacity of the planes Decode keeps.
func (d *Decoder) PlaneBytes() int {
	n := 0
	for _, p := range d.full.planes {
		n += cap(p)
	}
	return n
}
