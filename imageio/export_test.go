package imageio

// NewJPEGEncoderYCbCr returns a JPEGEncoder that converts colour frames to
// 4:2:0 YCbCr planes, for the benchmark and the tests that compare it.
func NewJPEGEncoderYCbCr() *JPEGEncoder { return &JPEGEncoder{viaYCbCr: true} }
