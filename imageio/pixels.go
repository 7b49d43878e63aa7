package imageio

import (
	"image"
	"image/color"

	"github.com/imgstream/imgstream/container"
)

// RGB565ToRGBA converts little-endian RGB565 pixels in src to opaque RGBA
// pixels in dst, which must hold 2 bytes for every 1 of src. Each channel is
// widened by repeating its top bits (r5<<3 | r5>>2), so 0 stays 0 and the
// maximum becomes 255.
func RGB565ToRGBA(dst, src []byte) {
	dst = dst[:len(src)*2]
	for i, j := 0, 0; i+1 < len(src); i, j = i+2, j+4 {
		v := uint16(src[i]) | uint16(src[i+1])<<8
		r, g, b := byte(v>>11), byte(v>>5)&63, byte(v)&31
		d := dst[j : j+4 : j+4]
		d[0] = r<<3 | r>>2
		d[1] = g<<2 | g>>4
		d[2] = b<<3 | b>>2
		d[3] = 0xff
	}
}

func rgbaToRGB565(dst []byte, src *image.RGBA) {
	for i, j := 0, 0; j+1 < len(dst); i, j = i+4, j+2 {
		s := src.Pix[i : i+3 : i+3]
		v := uint16(s[0]>>3)<<11 | uint16(s[1]>>2)<<5 | uint16(s[2]>>3)
		dst[j], dst[j+1] = byte(v), byte(v>>8)
	}
}

func rgbaToGray(dst []byte, src *image.RGBA) {
	for i, j := 0, 0; j < len(dst); i, j = i+4, j+1 {
		dst[j] = lumaRGB(src.Pix[i], src.Pix[i+1], src.Pix[i+2])
	}
}

// binaryWords returns the number of 32-bit words in a BINARY row.
func binaryWords(w int) int { return (w + 31) / 32 }

func binaryToGray(dst *image.Gray, data []byte) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	stride := binaryWords(w) * 4
	for y := range h {
		row := data[y*stride:]
		for x := range w {
			if row[x/8]>>(x%8)&1 != 0 {
				dst.Pix[y*dst.Stride+x] = 255
			}
		}
	}
}

func rgbaToBinary(dst []byte, src *image.RGBA) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	stride := binaryWords(w) * 4
	clear(dst)
	for y := range h {
		row := dst[y*stride:]
		for x := range w {
			p := src.Pix[y*src.Stride+4*x:]
			if lumaRGB(p[0], p[1], p[2]) >= 128 {
				// Bit x%32 of little-endian word x/32 is bit x%8 of byte x/8.
				row[x/8] |= 1 << (x % 8)
			}
		}
	}
}

// A bayer pattern gives the channel (0 red, 1 green, 2 blue) of the pixel at
// (x%2, y%2), indexed by (y%2)*2 + x%2.
type bayer [4]int

func bayerPattern(f container.PixFormat) bayer {
	switch f {
	case container.BayerGBRG:
		return bayer{1, 2, 0, 1}
	case container.BayerGRBG:
		return bayer{1, 0, 2, 1}
	case container.BayerRGGB:
		return bayer{0, 1, 1, 2}
	}
	return bayer{2, 1, 1, 0} // BGGR
}

// reflect maps a coordinate one step outside [0, n) back inside it, as a
// mirror at the edge does.
func reflect(i, n int) int {
	switch {
	case i < 0:
		i = -i
	case i >= n:
		i = 2*n - 2 - i
	}
	return min(max(i, 0), n-1)
}

// demosaic interpolates the Bayer mosaic in data bilinearly: each missing
// channel of a pixel is the mean of the pixels of that channel among its
// eight neighbours (mirrored at the edges).
func demosaic(dst *image.RGBA, data []byte, p bayer) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := range h {
		for x := range w {
			var sum [3]int
			var n [3]int
			own := p[(y&1)*2+x&1]
			for dy := -1; dy <= 1; dy++ {
				yy := reflect(y+dy, h)
				for dx := -1; dx <= 1; dx++ {
					xx := reflect(x+dx, w)
					c := p[(yy&1)*2+xx&1]
					if c == own {
						continue
					}
					sum[c] += int(data[yy*w+xx])
					n[c]++
				}
			}
			d := dst.Pix[y*dst.Stride+4*x:]
			for c := range 3 {
				switch {
				case c == own:
					d[c] = data[y*w+x]
				case n[c] > 0:
					d[c] = byte((sum[c] + n[c]/2) / n[c])
				}
			}
			d[3] = 0xff
		}
	}
}

func mosaic(dst []byte, src *image.RGBA, p bayer) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		for x := range w {
			dst[y*w+x] = src.Pix[y*src.Stride+4*x+p[(y&1)*2+x&1]]
		}
	}
}

// yuvToYCbCr splits OpenMV's YUV422 (Y0 U Y1 V) or YVU422 (Y0 V Y1 U) pixels
// into planes. The last pixel of an odd-width row has no second chroma byte;
// it gets the neutral 128.
func yuvToYCbCr(dst *image.YCbCr, data []byte, vu bool) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for y := range h {
		row := data[y*w*2:]
		for x := range w {
			dst.Y[y*dst.YStride+x] = row[2*x]
		}
		for cx := range (w + 1) / 2 {
			first := row[4*cx+1]
			second := byte(128)
			if 2*cx+1 < w {
				second = row[4*cx+3]
			}
			cb, cr := first, second
			if vu {
				cb, cr = second, first
			}
			dst.Cb[y*dst.CStride+cx] = cb
			dst.Cr[y*dst.CStride+cx] = cr
		}
	}
}

func rgbaToYUV(dst []byte, src *image.RGBA, vu bool) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		row := dst[y*w*2:]
		for x := 0; x < w; x += 2 {
			p := src.Pix[y*src.Stride+4*x:]
			y0, cb, cr := color.RGBToYCbCr(p[0], p[1], p[2])
			row[2*x] = y0
			if x+1 < w {
				y1, cb1, cr1 := color.RGBToYCbCr(p[4], p[5], p[6])
				row[2*x+2] = y1
				cb = byte((int(cb) + int(cb1) + 1) / 2)
				cr = byte((int(cr) + int(cr1) + 1) / 2)
			}
			first, second := cb, cr
			if vu {
				first, second = cr, cb
			}
			row[2*x+1] = first
			if x+1 < w {
				row[2*x+3] = second
			}
		}
	}
}

// rgb24ToRGBA widens 3-byte pixels (R, G, B, or B, G, R when bgr is set)
// to opaque RGBA.
func rgb24ToRGBA(dst, src []byte, bgr bool) {
	r, b := 0, 2
	if bgr {
		r, b = 2, 0
	}
	for i, j := 0, 0; i+2 < len(src); i, j = i+3, j+4 {
		dst[j], dst[j+1], dst[j+2], dst[j+3] = src[i+r], src[i+1], src[i+b], 0xff
	}
}

// rgbaToRGB24 drops the alpha of src's pixels into 3-byte ones.
func rgbaToRGB24(dst []byte, src *image.RGBA, bgr bool) {
	r, b := 0, 2
	if bgr {
		r, b = 2, 0
	}
	for i, j := 0, 0; j+2 < len(dst); i, j = i+4, j+3 {
		dst[j+r], dst[j+1], dst[j+b] = src.Pix[i], src.Pix[i+1], src.Pix[i+2]
	}
}
