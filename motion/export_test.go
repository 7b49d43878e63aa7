package motion

// DecodeLuma decodes jpg's luma as means of n x n pixels (n = 1, 2, 4, 8),
// for tests. ok is false when the JPEG needs the standard library.
func DecodeLuma(jpg []byte, n int) (plane []uint8, stride, w, h int, ok bool, err error) {
	var d lumaDecoder
	d.fixedS = 8 / n
	w, h, err = d.decode(jpg)
	if err == errFallback {
		return nil, 0, w, h, false, nil
	}
	return d.plane, d.pw, w, h, true, err
}

// Picture returns the grey picture the last analysed frame was reduced to.
func (d *Detector) Picture() []float32 { return d.cur }
