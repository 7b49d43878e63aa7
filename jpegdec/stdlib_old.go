//go:build !go1.26 || go1.27

package jpegdec

// stdlibIDCT says that idct gives image/jpeg's pixels: not before Go
// 1.26, whose image/jpeg has another inverse DCT, and not taken for granted
// after it, until TestDecodeMatchesStdlib has checked that Go.
const stdlibIDCT = false
