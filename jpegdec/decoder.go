package jpegdec

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
)

// DefaultMaxPixels is the most pixels (width times height) a Decoder
// decodes when its MaxPixels is 0: 64 Mpx, an 8192x8192 picture, four
// times a 4K frame. A JPEG of a few bytes can declare 65535x65535, which
// would cost 6 GiB of planes; its header is read first and such a frame
// refused with ErrTooLarge.
const DefaultMaxPixels = 1 << 26

var (
	// ErrTooLarge says that a JPEG declares more pixels than the
	// Decoder's MaxPixels. Nothing was allocated for it.
	ErrTooLarge error = jpeg.UnsupportedError("frame larger than the decoder's MaxPixels")

	// ErrUnsupported says that DecodeLuma cannot read a JPEG that the
	// standard library's decoder may: progressive, arithmetic coded,
	// 12-bit, lossless, RGB or CMYK, a restart marker out of place, or a
	// header it does not expect. Decode never returns it: it gives such a
	// JPEG to image/jpeg.
	ErrUnsupported = errors.New("jpegdec: JPEG needs the standard library's decoder")
)

// Errors of DecodeLuma for entropy-coded data that no decoder reads. They
// are the standard library's types, so that callers match one type
// whichever decoder ran.
var (
	errShortData error = jpeg.FormatError("short Huffman data")
	errBadCode   error = jpeg.FormatError("bad Huffman code")
	errBadDC     error = jpeg.UnsupportedError("excessive DC component")
)

// A Decoder decodes baseline JPEG frames into pictures it keeps from one
// frame to the next. The zero value is ready to use. A Decoder is not safe
// for concurrent use; use one per goroutine.
type Decoder struct {
	// MaxPixels is the most pixels a frame may have; 0 means
	// DefaultMaxPixels.
	MaxPixels int

	header
	bits
	lumaState lumaState
	full      fullState
	stats     Stats
}

// Stats counts the frames a Decoder decoded, by the decoder that read
// them.
type Stats struct {
	// Read counts the frames this package decoded: baseline JPEGs,
	// 8-bit, Huffman coded, YCbCr or grey, whole.
	Read int64
	// Fallback counts the frames Decode gave to image/jpeg, and the
	// frames DecodeLuma returned ErrUnsupported for.
	Fallback int64
}

// Stats returns the counts of the frames decoded so far.
func (d *Decoder) Stats() Stats { return d.stats }

func (d *Decoder) limit() int {
	if d.MaxPixels > 0 {
		return d.MaxPixels
	}
	return DefaultMaxPixels
}

// begin checks jpg's SOI marker and readies d for a frame.
func (d *Decoder) begin(jpg []byte) error {
	d.start(d.limit())
	d.data = jpg
	if len(jpg) < 2 || jpg[0] != 0xff || jpg[1] != 0xd8 {
		return ErrUnsupported
	}
	return nil
}

// Decode decodes a JPEG as image/jpeg's Decode does, into a picture that
// the Decoder keeps: an *image.YCbCr for a colour JPEG, an *image.Gray for
// a grey one, with the same subsampling, bounds and pixels, bit for bit.
// The picture is valid until the next call to Decode, which overwrites it.
//
// It reads baseline and extended sequential Huffman-coded JPEGs, 8-bit,
// grey or YCbCr with the luma at full resolution and the two chroma
// components at one of image/jpeg's subsampling ratios (4:4:4, 4:2:2,
// 4:2:0, 4:4:0, 4:1:1, 4:1:0), in one interleaved scan, with or without
// restart intervals: what cameras send. It gives any other JPEG, and any
// it finds damaged, to image/jpeg (counted in Stats.Fallback), so it
// decodes what image/jpeg decodes and returns image/jpeg's errors for the
// rest, except a frame over MaxPixels, which is ErrTooLarge whichever
// decoder would read it.
//
// Bit-exactness needs image/jpeg's inverse DCT, which changed in Go 1.26;
// built with another Go than 1.26 (older, or newer and not yet checked),
// Decode gives every frame to image/jpeg.
func (d *Decoder) Decode(jpg []byte) (image.Image, error) {
	if !stdlibIDCT {
		return d.fallback(jpg)
	}
	err := d.begin(jpg)
	if err == nil {
		var m image.Image
		if m, err = d.decodeFull(jpg); err == nil {
			d.stats.Read++
			return m, nil
		}
	}
	if err == ErrTooLarge {
		return nil, err
	}
	return d.fallback(jpg)
}

// fallback decodes jpg with image/jpeg, after checking its size.
func (d *Decoder) fallback(jpg []byte) (image.Image, error) {
	d.stats.Fallback++
	c, err := jpeg.DecodeConfig(bytes.NewReader(jpg))
	if err == nil && int64(c.Width)*int64(c.Height) > int64(d.limit()) {
		return nil, ErrTooLarge
	}
	return jpeg.Decode(bytes.NewReader(jpg)) // its error, if any: DecodeConfig's may differ
}

// DecodeConfig returns a JPEG's colour model and size, as
// jpeg.DecodeConfig does, from its header read with the Decoder's tables:
// with no allocation for the JPEGs Decode reads itself. It reads the
// others with jpeg.DecodeConfig.
func (d *Decoder) DecodeConfig(jpg []byte) (image.Config, error) {
	if d.begin(jpg) == nil {
		if _, _, err := d.next(jpg, 2); err == nil {
			if d.ncomp == 1 {
				return image.Config{ColorModel: color.GrayModel, Width: d.width, Height: d.height}, nil
			}
			if _, ok := d.ratio(); ok {
				return image.Config{ColorModel: color.YCbCrModel, Width: d.width, Height: d.height}, nil
			}
		}
	}
	return jpeg.DecodeConfig(bytes.NewReader(jpg))
}

// A Luma is a frame's luma at a reduced size: each of its pixels the mean
// of a Scale x Scale square of the frame's.
type Luma struct {
	// Pix holds the means, row by row, Stride bytes apart. It holds at
	// least ceil(Width/Scale) x ceil(Height/Scale) of them; those past
	// them cover the padding of the frame's last blocks.
	Pix    []uint8
	Stride int
	// Scale is the side of the squares in pixels: 1, 2, 4 or 8.
	Scale int
	// Width and Height are the frame's size in pixels.
	Width, Height int
}

// DecodeLuma decodes only a JPEG's luma, reduced: each pixel the mean of a
// square of n x n pixels, n the largest of 8, 4, 2 and 1 that leaves at
// least minW x minH means (0, 0 for the full size). The means come from
// the DCT coefficients, without an inverse DCT, and the chroma
// components' codes are skipped, never dequantised: at 1/4 the size it
// costs a fifth of a full decode. A mean is within 2 grey levels of the
// mean of image/jpeg's pixels over its square, where none is clipped.
//
// It reads the JPEGs Decode reads, with any sampling factors and whatever
// scans the chroma is in; for the others it returns ErrUnsupported, and
// the caller decides (image/jpeg at full size is five times the work).
// Data cut short, or a code no table has, is an error of image/jpeg's
// types (jpeg.FormatError, jpeg.UnsupportedError), as image/jpeg would
// give, and a frame over MaxPixels is ErrTooLarge.
// The Luma is the Decoder's, valid until the next call to DecodeLuma.
func (d *Decoder) DecodeLuma(jpg []byte, minW, minH int) (*Luma, error) {
	err := d.begin(jpg)
	if err == nil {
		err = d.luma(jpg, minW, minH)
	}
	switch err {
	case nil:
		d.stats.Read++
		return &d.lumaState.out, nil
	case ErrUnsupported:
		d.stats.Fallback++
	}
	return nil, err
}

// grow returns b resliced to n bytes, reallocated only when its capacity
// is short. Its contents are left as they were.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
