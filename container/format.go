package container

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// Version is the version of an OMV IMG STR stream, as written in its magic:
// the major number in the high byte, the minor in the low byte.
type Version uint16

// The versions OpenMV firmware and OpenMV IDE have written.
const (
	V1_0 Version = 0x0100 // old firmware; 16-byte headers, ms, RGB565 stored big-endian
	V1_1 Version = 0x0101 // old firmware; 16-byte headers, ms
	V2_0 Version = 0x0200 // current firmware (default); 32-byte headers, ms
	V2_1 Version = 0x0201 // read by OpenMV IDE; 32-byte headers, µs
)

// MagicSize is the length of the magic that starts every stream.
const MagicSize = 16

const magicPrefix = "OMV IMG STR V"

// String returns the version as it appears in the magic, such as "V2.0".
func (v Version) String() string {
	return fmt.Sprintf("V%d.%d", v>>8, v&0xff)
}

// Supported reports whether v is one of [V1_0], [V1_1], [V2_0] and [V2_1].
func (v Version) Supported() bool {
	switch v {
	case V1_0, V1_1, V2_0, V2_1:
		return true
	}
	return false
}

// HeaderSize returns the size in bytes of a frame header in a stream of
// version v: 16 for V1.x and 32 for V2.x.
func (v Version) HeaderSize() int {
	if v>>8 == 1 {
		return 16
	}
	return 32
}

// TimeUnit returns the unit of the elapsed-time field in a stream of
// version v: a microsecond for V2.1, a millisecond otherwise.
func (v Version) TimeUnit() time.Duration {
	if v == V2_1 {
		return time.Microsecond
	}
	return time.Millisecond
}

// Magic returns the 16 bytes that start a stream of version v.
func (v Version) Magic() [MagicSize]byte {
	var m [MagicSize]byte
	copy(m[:], magicPrefix)
	m[13] = '0' + byte(v>>8)%10
	m[14] = '.'
	m[15] = '0' + byte(v)%10
	return m
}

// parseMagic checks the n bytes of magic that were read. It reports
// ErrBadMagic as soon as a byte present is wrong, so that a short file with a
// wrong byte is a bad magic rather than a truncated one.
func parseMagic(b []byte) (Version, error) {
	for i, c := range b {
		ok := false
		switch {
		case i < len(magicPrefix):
			ok = c == magicPrefix[i]
		case i == 13 || i == 15:
			ok = '0' <= c && c <= '9'
		case i == 14:
			ok = c == '.'
		}
		if !ok {
			return 0, fmt.Errorf("%w: %q", ErrBadMagic, b)
		}
	}
	if len(b) < MagicSize {
		return 0, ErrTruncatedHeader
	}
	v := Version(b[13]-'0')<<8 | Version(b[15]-'0')
	if !v.Supported() {
		return v, fmt.Errorf("%w: %s", ErrUnsupportedVersion, v)
	}
	return v, nil
}

// PixFormat is an OpenMV pixel-format code, as stored in a V2.x frame header:
// flags | id<<16 | subformat<<8 | bytes per pixel.
type PixFormat uint32

// The pixel formats a stream can carry, with OpenMV's exact codes.
const (
	Binary    PixFormat = 0x08010000 // 1 bit per pixel, rows of little-endian uint32 words
	Grayscale PixFormat = 0x08020001 // 1 byte per pixel
	RGB565    PixFormat = 0x0C030002 // little-endian uint16 RRRRRGGGGGGBBBBB
	BayerBGGR PixFormat = 0x05040001 // raw sensor bytes, BGGR mosaic
	BayerGBRG PixFormat = 0x05040101 // raw sensor bytes, GBRG mosaic
	BayerGRBG PixFormat = 0x05040201 // raw sensor bytes, GRBG mosaic
	BayerRGGB PixFormat = 0x05040301 // raw sensor bytes, RGGB mosaic
	YUV422    PixFormat = 0x14050002 // Y0 U Y1 V
	YVU422    PixFormat = 0x14050102 // Y0 V Y1 U
	JPEG      PixFormat = 0x06060000 // a JPEG file of the header's size
	PNG       PixFormat = 0x06070000 // a PNG file of the header's size
)

// Formats that OMV IMG STR files cannot hold, for frames passed between
// processes (package shm): the 3-byte pixels of OpenCV's BGR images and of
// numpy's RGB arrays, rows top to bottom, no padding. Their codes follow
// OpenMV's scheme (colour and mutable flags, 3 bytes per pixel) with an id,
// 0x80, that OpenMV does not use. Valid reports false for them, so a Writer
// refuses them and a Reader reports them as [ErrInvalidPixFormat]: to
// record such frames, convert them to RGB565 or JPEG. [PixFormat.Defined]
// and PayloadSize know them.
const (
	RGB24 PixFormat = 0x0C800003 // R, G, B bytes per pixel (numpy's RGB, PIL's "RGB")
	BGR24 PixFormat = 0x0C800103 // B, G, R bytes per pixel (OpenCV's default)
)

// flagCompressed is OpenMV's compressed flag (1<<25).
const flagCompressed = 1 << 25

var pixFormatNames = map[PixFormat]string{
	Binary:    "BINARY",
	Grayscale: "GRAYSCALE",
	RGB565:    "RGB565",
	BayerBGGR: "BAYER_BGGR",
	BayerGBRG: "BAYER_GBRG",
	BayerGRBG: "BAYER_GRBG",
	BayerRGGB: "BAYER_RGGB",
	YUV422:    "YUV422",
	YVU422:    "YVU422",
	JPEG:      "JPEG",
	PNG:       "PNG",
}

var streamOnlyNames = map[PixFormat]string{RGB24: "RGB24", BGR24: "BGR24"}

// String returns OpenMV's name for f, such as "RGB565", or the code in
// hexadecimal for an unknown format.
func (f PixFormat) String() string {
	if s, ok := pixFormatNames[f]; ok {
		return s
	}
	if s, ok := streamOnlyNames[f]; ok {
		return s
	}
	return fmt.Sprintf("PixFormat(%#08x)", uint32(f))
}

// Valid reports whether f is one of the eleven formats a stream can carry.
// OpenMV's ARGB8 (0x0C080004) is not: the firmware gives it no payload size.
func (f PixFormat) Valid() bool {
	switch f { // not pixFormatNames: a switch costs no map lookup a frame
	case Binary, Grayscale, RGB565, BayerBGGR, BayerGBRG, BayerGRBG, BayerRGGB, YUV422, YVU422, JPEG, PNG:
		return true
	}
	return false
}

// Defined reports whether f is a format of this package: one a stream can
// carry (Valid), or RGB24 or BGR24, which only pass between processes.
func (f PixFormat) Defined() bool {
	return f == RGB24 || f == BGR24 || f.Valid()
}

// Compressed reports whether f is JPEG or PNG, whose payload size is stored
// in the frame header rather than derived from the dimensions.
func (f PixFormat) Compressed() bool {
	return f.Valid() && f&flagCompressed != 0
}

// Bayer reports whether f is one of the four raw Bayer mosaics.
func (f PixFormat) Bayer() bool {
	switch f {
	case BayerBGGR, BayerGBRG, BayerGRBG, BayerRGGB:
		return true
	}
	return false
}

// PayloadSize returns the number of payload bytes of an uncompressed frame of
// format f and the given dimensions. It reports false for compressed and
// undefined formats, and for dimensions outside 1..[MaxDimension]. The
// result is computed without overflow on 32-bit platforms.
func (f PixFormat) PayloadSize(width, height int) (int, bool) {
	if !f.Defined() || f.Compressed() || !validDimension(width) || !validDimension(height) {
		return 0, false
	}
	w, h := int64(width), int64(height)
	var n int64
	switch f {
	case Binary:
		n = (w + 31) / 32 * 4 * h
	default:
		n = w * h * int64(f&0xff)
	}
	if n > math.MaxInt {
		return 0, false
	}
	return int(n), true
}

// MaxDimension is the largest width or height of a frame: OpenMV IDE rejects
// larger frames as corrupt, and the firmware's image sizes are 16-bit.
const MaxDimension = 32767

func validDimension(n int) bool { return 1 <= n && n <= MaxDimension }

// DefaultMaxFrameSize is the largest payload a [Reader] accepts unless its
// MaxFrameSize says otherwise: 64 MiB, twice an uncompressed 4096x4096 RGB565
// frame and six times the largest frame of any OpenMV sensor (5 MP RGB565).
// It exists so that a corrupt size field cannot make a program that buffers
// frames allocate gigabytes.
const DefaultMaxFrameSize = 64 << 20

// Header describes one frame.
type Header struct {
	// Elapsed is the time since the previous frame; for the first frame, the
	// time between opening the stream and writing the frame. Streams store it
	// in milliseconds (microseconds in V2.1), as a uint32.
	Elapsed time.Duration
	// Width and Height are the frame's dimensions in pixels, 1..MaxDimension.
	Width, Height int
	// Format is the pixel format.
	Format PixFormat
	// Size is the number of payload bytes: derived from the dimensions for
	// uncompressed formats, stored in the header for JPEG and PNG.
	Size int
}

// Padding returns the number of zero bytes that follow a payload of size
// bytes, to bring the chunk to a multiple of 16 bytes.
func Padding(size int) int { return -size & 15 }

// v1 bpp codes.
const (
	v1Binary    = 0
	v1Grayscale = 1
	v1RGB565    = 2
	v1Bayer     = 3
)

// check validates h for a stream of version v and returns its payload size.
// It is the writer's check; the reader makes the same checks in file order.
func (h *Header) check(v Version) (int, error) {
	if !h.Format.Valid() {
		return 0, fmt.Errorf("%w: %v", ErrInvalidPixFormat, h.Format)
	}
	if !validDimension(h.Width) || !validDimension(h.Height) {
		return 0, fmt.Errorf("%w: %dx%d", ErrInvalidDimensions, h.Width, h.Height)
	}
	size := h.Size
	if n, ok := h.Format.PayloadSize(h.Width, h.Height); ok {
		if size != n {
			return 0, fmt.Errorf("%w: %d bytes for a %dx%d %v frame, want %d", ErrInvalidSize, size, h.Width, h.Height, h.Format, n)
		}
	} else if size <= 0 || int64(size) > math.MaxUint32 {
		return 0, fmt.Errorf("%w: %d bytes of %v", ErrInvalidSize, size, h.Format)
	}
	if v.HeaderSize() == 16 {
		if _, err := v1Code(h.Format, size); err != nil {
			return 0, err
		}
	}
	if _, err := elapsedUnits(h.Elapsed, v); err != nil {
		return 0, err
	}
	return size, nil
}

func v1Code(f PixFormat, size int) (uint32, error) {
	switch f {
	case Binary:
		return v1Binary, nil
	case Grayscale:
		return v1Grayscale, nil
	case RGB565:
		return v1RGB565, nil
	case BayerBGGR:
		return v1Bayer, nil
	case JPEG:
		if size >= 4 {
			return uint32(size), nil
		}
		return 0, fmt.Errorf("%w: a %d-byte JPEG frame cannot be stored in a V1.x stream", ErrInvalidSize, size)
	}
	return 0, fmt.Errorf("%w: %v cannot be stored in a V1.x stream", ErrInvalidPixFormat, f)
}

// elapsedUnits converts d to the stream's time unit, rounding to the nearest.
func elapsedUnits(d time.Duration, v Version) (uint32, error) {
	unit := v.TimeUnit()
	if d < 0 {
		return 0, fmt.Errorf("%w: %v is negative", ErrInvalidElapsed, d)
	}
	n := d/unit + (d%unit+unit/2)/unit
	if n > math.MaxUint32 {
		return 0, fmt.Errorf("%w: %v does not fit in a uint32 of %v", ErrInvalidElapsed, d, unit)
	}
	return uint32(n), nil
}

// MarshalTo writes h as a frame header of version v into buf, which must hold
// v.HeaderSize() bytes, and returns the number of bytes written. It returns
// an error if h is not a valid frame for v, and [io.ErrShortBuffer] if buf
// is too small. The size field of uncompressed V2.x frames is written as 0,
// as canonical writers do.
//
// Layout of a V2.x header (little-endian uint32 fields):
//
//	0        4        8        12       16       20                32
//	+--------+--------+--------+--------+--------+-----------------+
//	|elapsed | width  | height | pixfmt |  size  | 12 zero bytes   |
//	+--------+--------+--------+--------+--------+-----------------+
//
// A V1.x header has the first four fields only, the fourth being a
// bytes-per-pixel code: 0 binary, 1 grayscale, 2 RGB565, 3 Bayer (BGGR),
// and for JPEG the payload size (>= 4).
func (h *Header) MarshalTo(v Version, buf []byte) (int, error) {
	if !v.Supported() {
		return 0, fmt.Errorf("%w: %s", ErrUnsupportedVersion, v)
	}
	size, err := h.check(v)
	if err != nil {
		return 0, err
	}
	n := v.HeaderSize()
	if len(buf) < n {
		return 0, io.ErrShortBuffer
	}
	t, _ := elapsedUnits(h.Elapsed, v)
	le := binary.LittleEndian
	le.PutUint32(buf[0:], t)
	le.PutUint32(buf[4:], uint32(h.Width))
	le.PutUint32(buf[8:], uint32(h.Height))
	if n == 16 {
		code, _ := v1Code(h.Format, size)
		le.PutUint32(buf[12:], code)
		return n, nil
	}
	le.PutUint32(buf[12:], uint32(h.Format))
	if h.Format.Compressed() {
		le.PutUint32(buf[16:], uint32(size))
	} else {
		le.PutUint32(buf[16:], 0)
	}
	clear(buf[20:32])
	return n, nil
}

// Unmarshal parses a frame header of version v from buf, which must hold
// v.HeaderSize() bytes. It makes the checks OpenMV IDE makes (pixel format,
// dimensions, a compressed frame's size) and returns [ErrInvalidPixFormat],
// [ErrInvalidDimensions] or [ErrInvalidSize] wrapped with the details. It
// ignores the reserved bytes of a V2.x header; see [NonZeroReserved].
func (h *Header) Unmarshal(v Version, buf []byte) error {
	n := v.HeaderSize()
	if !v.Supported() {
		return fmt.Errorf("%w: %s", ErrUnsupportedVersion, v)
	}
	if len(buf) < n {
		return io.ErrShortBuffer
	}
	le := binary.LittleEndian
	elapsed := le.Uint32(buf[0:])
	w, ht := le.Uint32(buf[4:]), le.Uint32(buf[8:])
	code := le.Uint32(buf[12:])
	var f PixFormat
	var size uint32
	if n == 16 {
		switch code {
		case v1Binary:
			f = Binary
		case v1Grayscale:
			f = Grayscale
		case v1RGB565:
			f = RGB565
		case v1Bayer:
			f = BayerBGGR
		default:
			f, size = JPEG, code
		}
	} else {
		f, size = PixFormat(code), le.Uint32(buf[16:])
		if !f.Valid() {
			return fmt.Errorf("%w: %v", ErrInvalidPixFormat, f)
		}
	}
	if w < 1 || w > MaxDimension || ht < 1 || ht > MaxDimension {
		return fmt.Errorf("%w: %dx%d", ErrInvalidDimensions, w, ht)
	}
	if p, ok := f.PayloadSize(int(w), int(ht)); ok {
		size = uint32(p)
	} else if size == 0 {
		return fmt.Errorf("%w: a %v frame of 0 bytes", ErrInvalidSize, f)
	} else if uint64(size) > math.MaxInt {
		return fmt.Errorf("%w: %d bytes of %v", ErrInvalidSize, size, f)
	}
	*h = Header{
		Elapsed: time.Duration(elapsed) * v.TimeUnit(),
		Width:   int(w),
		Height:  int(ht),
		Format:  f,
		Size:    int(size),
	}
	return nil
}

// NonZeroReserved reports whether the 12 reserved bytes of a V2.x frame header
// in buf are not all zero. The firmware ignores them; strict readers do not.
// It reports false for V1.x headers, which have none.
func NonZeroReserved(v Version, buf []byte) bool {
	if v.HeaderSize() != 32 || len(buf) < 32 {
		return false
	}
	return !allZero(buf[20:32])
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// swap16 swaps the bytes of each 16-bit word of b, whose length is even.
// swapsRGB565 reports whether frames of format f are stored byte-swapped
// in version v: V1.0 stored RGB565 pixels big-endian, and every reader and
// writer here swaps them, so that RGB565 comes out little-endian whatever
// the version.
func (v Version) swapsRGB565(f PixFormat) bool { return v == V1_0 && f == RGB565 }

func swap16(b []byte) {
	for i := 0; i+1 < len(b); i += 2 {
		b[i], b[i+1] = b[i+1], b[i]
	}
}
