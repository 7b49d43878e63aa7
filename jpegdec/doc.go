// Package jpegdec decodes the JPEG frames cameras send (baseline,
// Huffman-coded, 8-bit, YCbCr or grey) faster than image/jpeg and with no
// allocation per frame, giving image/jpeg's pictures bit for bit; and it
// decodes only a frame's luma, reduced, for what needs no more (motion
// detection, thumbnails).
//
// # Decode: image/jpeg's pictures, in half its time
//
// [Decoder.Decode] returns what jpeg.Decode returns: an *image.YCbCr of
// the same subsampling, or an *image.Gray, with the same bounds and the
// same samples. The difference is how it gets there:
//   - a Huffman decoder that reads 64 bits of data at a time and decodes a
//     code with its value bits in one table lookup (9 bits of lookahead,
//     as libjpeg-turbo does), end of block and runs of zeros included;
//   - an inverse DCT that skips what is zero: a block with only its DC
//     coefficient (most of a camera frame's chroma) is one value, and
//     rows or columns with no coefficient are not transformed; the
//     arithmetic of the others is image/jpeg's (Go 1.26's
//     Loeffler-Ligtenberg-Moschytz factorisation, its fixed point and
//     its rounding), so that the pixels are too;
//   - the planes are the Decoder's, reused from frame to frame.
//
// Anything else (progressive, arithmetic coded, 12-bit, lossless, RGB or
// CMYK, sampling factors image/jpeg reads but cameras do not send, several
// scans, damaged data) goes to image/jpeg, counted in Stats.Fallback, so
// that Decode reads what image/jpeg reads and fails where it fails, with
// its errors. TestDecodeMatchesStdlib and FuzzDecode check it, picture for
// picture and error for error. Built with another Go than 1.26 (an older
// one's image/jpeg has another inverse DCT; a newer one's is not checked
// yet), Decode gives every frame to image/jpeg.
//
// Measured (2 shared cores) with
//
//	go test -run '^$' -bench 'Decode/.*/paired' -benchtime 100x -count 6 ./jpegdec
//
// which times image/jpeg and a Decoder alternately on the same frames:
//
//	640x480 4:2:0 camera frame (motion/testdata)   0.55x jpeg.Decode's time, 0 allocs (image/jpeg: 5, 480 kB)
//	1280x720 4:2:0 camera frame                    0.53x
//	640x480 4:2:2, 4:4:4                           0.48x, 0.46x
//	640x480 grey                                   0.54x
//
// (medians of 6; imageio.Decoder turns a 4:2:0 frame into RGBA, with
// libjpeg's chroma upsampling, in 0.76x jpeg.Decode's time alone).
//
// # DecodeLuma: only what motion needs
//
// [Decoder.DecodeLuma] decodes the luma blocks' coefficients and skips the
// chroma's, never dequantising them, and makes each luma block s x s means
// of its n x n squares (n = 8/s) from the coefficients, with no inverse
// DCT: the means of a 1/2, 1/4 or 1/8 scaled decode, exact rather than
// approximated. At 640x480 into 160x120 it costs a fifth of a full decode;
// the motion package measures it against libjpeg-turbo's scaled grey
// decode.
//
// # Limits
//
// A frame of more than MaxPixels (DefaultMaxPixels, 64 Mpx, when 0) is
// ErrTooLarge, from its header, before anything is allocated for it,
// whichever decoder would have read it. A Decoder is not safe for
// concurrent use.
package jpegdec
