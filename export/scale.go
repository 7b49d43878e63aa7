package export

import (
	"errors"
	"fmt"
	"image"
	"strconv"
	"strings"

	"golang.org/x/image/draw"

	"github.com/imgstream/imgstream/container"
)

// MaxScaleFactor is the largest factor a Scale enlarges by: 16, so that a
// 320x240 frame becomes at most 5120x3840 (75 MB as RGBA), and no factor
// asks for a picture past container.MaxDimension from a small frame by
// mistake.
const MaxScaleFactor = 16

// ErrInvalidScale is returned by ParseScale for a scale it cannot read.
var ErrInvalidScale = errors.New("export: invalid scale")

// A Scale resizes pictures: by a factor, or to a width and height (one of
// them 0 keeps the aspect ratio). The zero Scale keeps every size.
type Scale struct {
	factor float64
	w, h   int
}

// ScaleBy returns the Scale that multiplies each side by f, from more
// than 0 up to MaxScaleFactor (clamped into it).
func ScaleBy(f float64) Scale {
	if !(f >= 1.0/(1<<20)) { // NaN too
		f = 1.0 / (1 << 20)
	}
	return Scale{factor: min(f, MaxScaleFactor)}
}

// ScaleTo returns the Scale to w x h pixels; a side of 0 follows the
// other's aspect ratio, and both 0 keep the size.
func ScaleTo(w, h int) Scale { return Scale{w: max(w, 0), h: max(h, 0)} }

// ParseScale parses a factor ("0.5") or WIDTHxHEIGHT ("320x240", or
// "320x0" to keep the aspect ratio); "" is the zero Scale.
func ParseScale(s string) (Scale, error) {
	if s == "" {
		return Scale{}, nil
	}
	bad := fmt.Errorf("%w: %q: want a factor such as 0.5, or WIDTHxHEIGHT such as 320x240 (0 keeps the aspect ratio)", ErrInvalidScale, s)
	if a, b, ok := strings.Cut(s, "x"); ok {
		w, err1 := strconv.Atoi(a)
		h, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || w < 0 || h < 0 || (w == 0 && h == 0) || w > container.MaxDimension || h > container.MaxDimension {
			return Scale{}, bad
		}
		return ScaleTo(w, h), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0 && f <= MaxScaleFactor) {
		return Scale{}, bad
	}
	return ScaleBy(f), nil
}

// none reports whether s keeps every size.
func (s Scale) none() bool { return s.factor == 0 && s.w == 0 && s.h == 0 }

// Size returns the size of a w x h picture once scaled, each side at
// least 1, and at most MaxScaleFactor times its own and
// container.MaxDimension.
func (s Scale) Size(w, h int) (int, int) {
	if s.none() {
		return w, h
	}
	sw, sh := s.w, s.h
	if s.factor > 0 {
		sw, sh = int(float64(w)*s.factor+0.5), int(float64(h)*s.factor+0.5)
	} else {
		if sw == 0 {
			sw = (w*sh + h/2) / max(h, 1)
		}
		if sh == 0 {
			sh = (h*sw + w/2) / max(w, 1)
		}
	}
	return scaledSide(sw, w), scaledSide(sh, h)
}

// scaledSide is n, a side of side pixels once scaled, within the limits:
// from 1 to MaxScaleFactor times side, and to container.MaxDimension.
func scaledSide(n, side int) int {
	return max(1, min(n, MaxScaleFactor*max(side, 1), container.MaxDimension))
}

// Apply returns src scaled (bilinear), or src itself when its size stays.
func (s Scale) Apply(src image.Image) image.Image {
	if s.none() {
		return src
	}
	b := src.Bounds()
	w, h := s.Size(b.Dx(), b.Dy())
	if w == b.Dx() && h == b.Dy() {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Rect, src, b, draw.Src, nil)
	return dst
}
