package imageio

import (
	"image"

	"github.com/imgstream/imgstream/jpegdec"
)

// A Decoder converts frames to Go images as [Image.Decode] does, the same
// types and the same pixels, but into pictures it keeps from one frame to
// the next: for a stream of frames of one size, it allocates nothing after
// the first frame, JPEG included (a [jpegdec.Decoder] decodes it into
// planes it keeps), except for the JPEGs jpegdec leaves to image/jpeg
// (progressive, arithmetic coded), PNG frames (image/png allocates its
// own) and YUV422 frames (a new *image.YCbCr), which is what a player or
// an exporter that decodes frame after frame wants.
//
// The image Decode returns is the Decoder's: it is valid until the next
// call to Decode, which overwrites it. Copy it, or use [Image.Decode], to
// keep it longer. The zero value is ready to use. A Decoder is not safe
// for concurrent use; use one per goroutine.
type Decoder struct {
	jpeg jpegdec.Decoder
	rgba image.RGBA
	gray image.Gray
	sums []uint32 // jpegToRGBA's vertical chroma sums
}

// Decode converts m as [Image.Decode] does, into d's pictures.
func (d *Decoder) Decode(m *Image) (image.Image, error) {
	return m.decode(d)
}

// rgbaPicture returns a w x h RGBA picture: d's, reused, or a new one
// when d is nil. Its pixels are left as they were.
func (d *Decoder) rgbaPicture(w, h int) *image.RGBA {
	if d == nil {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	return reuseRGBA(&d.rgba, w, h)
}

// grayPicture returns a w x h Gray picture: d's, reused, or a new one
// when d is nil. Its pixels are left as they were.
func (d *Decoder) grayPicture(w, h int) *image.Gray {
	r := image.Rect(0, 0, w, h)
	if d == nil {
		return image.NewGray(r)
	}
	d.gray.Pix, d.gray.Stride, d.gray.Rect = grow(d.gray.Pix, w*h), w, r
	return &d.gray
}
