package motion

// Picture returns the grey picture the last analysed frame was reduced to.
func (d *Detector) Picture() []float32 { return d.cur }
