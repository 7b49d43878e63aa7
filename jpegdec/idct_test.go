package jpegdec

import (
	"math"
	"testing"
)

// TestIDCTConstants: the inverse DCT's constants are round(v * 2^bits) of
// the values they stand for.
func TestIDCTConstants(t *testing.T) {
	c6, s6 := math.Cos(6*math.Pi/16)/math.Sqrt2, math.Sin(6*math.Pi/16)/math.Sqrt2
	for _, c := range []struct {
		got  int32
		v    float64
		bits int
	}{
		{k6c18, c6, 18}, {k6s18, s6, 18}, {kr8, 1 / math.Sqrt2, 8},
		{k6c12, c6, 12}, {k6s12, s6, 12}, {kr14, 1 / math.Sqrt2, 14},
		{k3c12, math.Cos(3 * math.Pi / 16), 12}, {k3s12, math.Sin(3 * math.Pi / 16), 12},
		{k1c12, math.Cos(math.Pi / 16), 12}, {k1s12, math.Sin(math.Pi / 16), 12},
	} {
		if want := int32(math.Round(c.v * float64(int(1)<<c.bits))); c.got != want {
			t.Errorf("%d for %v at %d bits, want %d", c.got, c.v, c.bits, want)
		}
	}
}
