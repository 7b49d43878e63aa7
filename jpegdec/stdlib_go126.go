//go:build go1.26

package jpegdec

// stdlibIDCT says that idct gives image/jpeg's pixels: Go 1.26's.
const stdlibIDCT = true
