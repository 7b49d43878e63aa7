package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"sync"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/jpegdec"
)

// An Image is one frame as OpenMV stores it: the pixels of Format in Data,
// row after row with no padding (RGB565 little-endian), or a whole JPEG or
// PNG file.
//
// Elapsed and Time are a frame's timing as a stream holds it; every read of
// a [Stream] fills them, and writes ignore them (a Stream times what it is
// given by its clock, or by [Stream.WriteAt]'s time).
type Image struct {
	Width, Height int
	Format        container.PixFormat
	Data          []byte

	// Elapsed is the interval stored with the frame: the time since the
	// previous frame (for a stream's first frame, since the stream was
	// opened), as in [container.Header].
	Elapsed time.Duration
	// Time is the frame's time since the stream's first frame. The first
	// frame's Elapsed does not count: see [container.Entry].
	Time time.Duration
}

// ImageOf returns the image of the frame that h describes, with data as its
// payload (not copied) and h's Elapsed; its Time is left 0.
func ImageOf(h *container.Header, data []byte) Image {
	return Image{Width: h.Width, Height: h.Height, Format: h.Format, Data: data, Elapsed: h.Elapsed}
}

// Header returns the frame header of m: its dimensions, format, Elapsed,
// and len(m.Data) as the size. It does not check them; a [container.Writer]
// does.
func (m *Image) Header() container.Header {
	return container.Header{Elapsed: m.Elapsed, Width: m.Width, Height: m.Height, Format: m.Format, Size: len(m.Data)}
}

// JPEGQuality is the quality SetImage encodes JPEG frames with.
const JPEGQuality = 90

// check reports whether m's Data has the size its format and dimensions say.
func (m *Image) check() error {
	if !m.Format.Defined() {
		return fmt.Errorf("%w: %v", container.ErrInvalidPixFormat, m.Format)
	}
	if n, ok := m.Format.PayloadSize(m.Width, m.Height); ok {
		if len(m.Data) != n {
			return fmt.Errorf("%w: %d bytes for a %dx%d %v image, want %d", container.ErrInvalidSize, len(m.Data), m.Width, m.Height, m.Format, n)
		}
	} else if m.Format.Compressed() {
		if len(m.Data) == 0 {
			return fmt.Errorf("%w: empty %v image", container.ErrInvalidSize, m.Format)
		}
	} else {
		return fmt.Errorf("%w: %dx%d", container.ErrInvalidDimensions, m.Width, m.Height)
	}
	return nil
}

// Decode converts m to a Go image: an *image.RGBA for RGB565 (each channel
// widened by repeating its top bits, as OpenMV does) and for the Bayer
// formats (bilinear demosaicing) and for RGB24 and BGR24, an *image.Gray
// for GRAYSCALE and BINARY
// (0 or 255), an *image.YCbCr with 4:2:2 subsampling for YUV422 and YVU422,
// an *image.RGBA for 4:2:0 and 4:2:2 colour JPEG (chroma interpolated as
// libjpeg does; see jpegToRGBA), the *image.YCbCr image/jpeg gives for
// other colour JPEG, and an *image.Gray for greyscale JPEG (decoded by
// [jpegdec], which gives image/jpeg's pictures faster), and whatever image/png
// returns for PNG. A JPEG or PNG whose own header gives another size than
// m's, or more than [MaxDecodePixels], is [container.ErrInvalidDimensions],
// found before anything is allocated for its pixels. The result does not
// share memory with m. To decode many frames, a [Decoder] gives the same
// pictures and reuses them.
func (m *Image) Decode() (image.Image, error) {
	return m.decode(nil)
}

// decode is Decode, into d's pictures when d is not nil.
func (m *Image) decode(d *Decoder) (image.Image, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	r := image.Rect(0, 0, m.Width, m.Height)
	switch m.Format {
	case container.RGB565:
		dst := d.rgbaPicture(m.Width, m.Height)
		RGB565ToRGBA(dst.Pix, m.Data)
		return dst, nil
	case container.Grayscale:
		dst := d.grayPicture(m.Width, m.Height)
		copy(dst.Pix, m.Data)
		return dst, nil
	case container.Binary:
		dst := d.grayPicture(m.Width, m.Height)
		clear(dst.Pix)
		binaryToGray(dst, m.Data)
		return dst, nil
	case container.BayerBGGR, container.BayerGBRG, container.BayerGRBG, container.BayerRGGB:
		dst := d.rgbaPicture(m.Width, m.Height)
		clear(dst.Pix)
		demosaic(dst, m.Data, bayerPattern(m.Format))
		return dst, nil
	case container.YUV422, container.YVU422:
		dst := image.NewYCbCr(r, image.YCbCrSubsampleRatio422)
		yuvToYCbCr(dst, m.Data, m.Format == container.YVU422)
		return dst, nil
	case container.RGB24, container.BGR24:
		dst := d.rgbaPicture(m.Width, m.Height)
		rgb24ToRGBA(dst.Pix, m.Data, m.Format == container.BGR24)
		return dst, nil
	case container.JPEG:
		var jd *jpegdec.Decoder
		if d != nil {
			jd = &d.jpeg
		} else {
			jd = jpegDecoders.Get().(*jpegdec.Decoder)
		}
		if err := m.checkDecode(jd.DecodeConfig(m.Data)); err != nil {
			return nil, err
		}
		img, err := jd.Decode(m.Data)
		if err != nil {
			return nil, err
		}
		out := jpegToRGBA(img, d)
		if d == nil && out != img {
			// The planes were converted into a new picture: the
			// jpegdec.Decoder can serve the next Decode. (Otherwise
			// they are the picture, and the caller's.)
			jpegDecoders.Put(jd)
		}
		return out, nil
	default: // PNG
		if err := m.checkDecode(png.DecodeConfig(bytes.NewReader(m.Data))); err != nil {
			return nil, err
		}
		return png.Decode(bytes.NewReader(m.Data))
	}
}

// jpegDecoders keep the JPEG planes of Image.Decode from one call to the
// next, for the frames it converts to a new RGBA picture.
var jpegDecoders = sync.Pool{New: func() any { return new(jpegdec.Decoder) }}

// MaxDecodePixels is the most pixels [Image.Decode] decodes a JPEG or PNG
// frame to: 64 Mpx (an 8192x8192 picture, 256 MiB as RGBA), four times a
// 4K frame. A compressed frame of a few bytes can declare 32767x32767,
// which would cost 4 GiB; its header is read first and such a frame
// refused.
const MaxDecodePixels = 1 << 26

// checkDecode takes the size a compressed frame declares in its own header
// (its decoder's DecodeConfig) and refuses to decode it when it is not the
// frame's, or over MaxDecodePixels.
func (m *Image) checkDecode(c image.Config, err error) error {
	if err != nil {
		return err
	}
	if c.Width != m.Width || c.Height != m.Height {
		return fmt.Errorf("%w: the %v data is %dx%d, the frame %dx%d", container.ErrInvalidDimensions, m.Format, c.Width, c.Height, m.Width, m.Height)
	}
	if c.Width*c.Height > MaxDecodePixels {
		return fmt.Errorf("%w: %dx%d is over %d pixels", container.ErrInvalidDimensions, c.Width, c.Height, MaxDecodePixels)
	}
	return nil
}

// Encode converts src to an Image of format f. See [Image.SetImage].
func Encode(src image.Image, f container.PixFormat) (*Image, error) {
	m := new(Image)
	if err := m.SetImage(src, f); err != nil {
		return nil, err
	}
	return m, nil
}

// SetImage makes m hold src in format f, reusing m.Data when it is large
// enough. Colours are reduced as OpenMV does: RGB565 keeps the top 5, 6
// and 5 bits; GRAYSCALE is the luma (as color.GrayModel); BINARY sets the
// pixels whose luma is 128 or more; a Bayer format samples each pixel's
// colour from its place in the mosaic; YUV422 and YVU422 keep the luma of
// each pixel and the mean chroma of each pair; RGB24 and BGR24 keep the 8
// bits of each channel; JPEG is encoded at quality
// [JPEGQuality]; PNG losslessly. It leaves Elapsed and Time as they are.
func (m *Image) SetImage(src image.Image, f container.PixFormat) error {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if !f.Defined() {
		return fmt.Errorf("%w: %v", container.ErrInvalidPixFormat, f)
	}
	if w < 1 || h < 1 || w > container.MaxDimension || h > container.MaxDimension {
		return fmt.Errorf("%w: %dx%d", container.ErrInvalidDimensions, w, h)
	}
	if f.Compressed() {
		var buf bytes.Buffer
		buf.Grow(w * h / 4)
		var err error
		if f == container.JPEG {
			err = jpeg.Encode(&buf, src, &jpeg.Options{Quality: JPEGQuality})
		} else {
			err = png.Encode(&buf, src)
		}
		if err != nil {
			return err
		}
		m.Width, m.Height, m.Format, m.Data = w, h, f, append(m.Data[:0], buf.Bytes()...)
		return nil
	}
	n, _ := f.PayloadSize(w, h)
	data := m.Data
	if cap(data) < n {
		data = make([]byte, n)
	}
	data = data[:n]
	m.Width, m.Height, m.Format, m.Data = w, h, f, data

	if g, ok := src.(*image.Gray); ok && f == container.Grayscale {
		for y := range h {
			copy(data[y*w:(y+1)*w], g.Pix[(y+b.Min.Y-g.Rect.Min.Y)*g.Stride+(b.Min.X-g.Rect.Min.X):])
		}
		return nil
	}
	rgba := toRGBA(src)
	switch f {
	case container.RGB565:
		rgbaToRGB565(data, rgba)
	case container.Grayscale:
		rgbaToGray(data, rgba)
	case container.Binary:
		rgbaToBinary(data, rgba)
	case container.YUV422, container.YVU422:
		rgbaToYUV(data, rgba, f == container.YVU422)
	case container.RGB24, container.BGR24:
		rgbaToRGB24(data, rgba, f == container.BGR24)
	default:
		mosaic(data, rgba, bayerPattern(f))
	}
	return nil
}

// toRGBA returns src as an *image.RGBA at the origin, converting it with
// image/draw (which has fast paths for the common types) unless it already
// is one.
func toRGBA(src image.Image) *image.RGBA {
	b := src.Bounds()
	if m, ok := src.(*image.RGBA); ok && b.Min == (image.Point{}) && m.Stride == 4*b.Dx() {
		return m
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	return dst
}

// lumaRGB is color.GrayModel's luma of 8-bit r, g, b.
func lumaRGB(r, g, b byte) byte {
	return byte((19595*uint32(r)*0x101 + 38470*uint32(g)*0x101 + 7471*uint32(b)*0x101 + 1<<15) >> 24)
}

// AppendJPEG appends m as a JPEG file to dst and returns the result, for
// MJPEG streaming and export: a JPEG frame passes through untouched, and any
// other is encoded once at [JPEGQuality] by a [JPEGEncoder] from a pool,
// so it allocates little beyond the growth of dst.
func (m *Image) AppendJPEG(dst []byte) ([]byte, error) {
	e := jpegEncoders.Get().(*JPEGEncoder)
	defer jpegEncoders.Put(e)
	return e.Append(dst, m)
}
