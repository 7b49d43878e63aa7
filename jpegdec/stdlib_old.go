//go:build !go1.26

package jpegdec

// stdlibIDCT says that idct gives image/jpeg's pixels: not before Go
// 1.26, whose image/jpeg has another inverse DCT.
const stdlibIDCT = false
