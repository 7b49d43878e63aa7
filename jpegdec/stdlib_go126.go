//go:build go1.26 && !go1.27

package jpegdec

// stdlibIDCT says that idct gives image/jpeg's pixels: Go 1.26's, checked
// against it; a later Go may change it again, and gets image/jpeg until
// checked.
const stdlibIDCT = true
