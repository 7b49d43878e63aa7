package imageio

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFancyUpsampling pins the reference converter (upsample_ref_test.go)
// to libjpeg's filter; TestJPEGToRGBAMatchesRef holds the fast one to it.
func TestFancyUpsampling(t *testing.T) {
	dst := make([]byte, 6)
	refFancy1(dst, []byte{100, 100, 100})
	assert.Equal(t, []byte{100, 100, 100, 100, 100, 100}, dst)
	refFancy1(dst, []byte{0, 0, 200})
	// Each output is 3/4 the nearer sample and 1/4 the next nearer.
	assert.Equal(t, []byte{0, 0, 0, 50, 150, 200}, dst)
	odd := make([]byte, 5) // an odd width drops the last half sample
	refFancy1(odd, []byte{0, 0, 200})
	assert.Equal(t, []byte{0, 0, 0, 50, 150}, odd)

	refFancy2(dst, []byte{0, 0, 200}, []byte{0, 0, 200})
	assert.Equal(t, []byte{0, 0, 0, 50, 150, 200}, dst, "identical rows: as fancy1")
	refFancy2(dst, []byte{160, 160, 160}, []byte{0, 0, 0})
	assert.Equal(t, []byte{120, 120, 120, 120, 120, 120}, dst, "vertically 3:1")
}

// BenchmarkJPEGToRGBA converts a decoded 640x480 4:2:0 picture to RGBA with
// the converter before ("ref") and now, into a new picture ("fast", as
// Image.Decode) and into a Decoder's reused one ("reused", as
// Decoder.Decode): the conversion alone, the part of BenchmarkDecodeJPEG
// that is not image/jpeg's.
func BenchmarkJPEGToRGBA(b *testing.B) {
	data, err := os.ReadFile("testdata/640x480-420.jpg")
	if err != nil {
		b.Fatal(err)
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	for _, c := range []struct {
		name string
		f    func(image.Image) image.Image
	}{
		{"ref", jpegToRGBARef},
		{"fast", func(m image.Image) image.Image { return jpegToRGBA(m, nil) }},
		{"reused", func(m image.Image) image.Image { return jpegToRGBA(m, &d) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(640 * 480 * 4)
			b.ReportAllocs()
			for b.Loop() {
				c.f(m)
			}
		})
	}
}
