package jpegdec

// SetScale makes DecodeLuma give means of n x n squares (n = 1, 2, 4, 8)
// whatever the frame's size, for tests.
func (d *Decoder) SetScale(n int) { d.lumaState.fixedS = 8 / n }
