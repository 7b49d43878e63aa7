package jpegdec_test

import (
	"fmt"
	"image"
	"os"

	"github.com/imgstream/imgstream/jpegdec"
)

// A Decoder decodes frame after frame into the same planes: the picture
// is image/jpeg's, without its allocations.
func ExampleDecoder_Decode() {
	jpg, err := os.ReadFile("../imageio/testdata/640x480-420.jpg")
	if err != nil {
		panic(err)
	}
	var d jpegdec.Decoder
	for range 3 {
		img, err := d.Decode(jpg)
		if err != nil {
			panic(err)
		}
		m := img.(*image.YCbCr)
		fmt.Println(m.Rect.Dx(), m.Rect.Dy(), m.SubsampleRatio)
	}
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// 640 480 YCbCrSubsampleRatio420
	// 640 480 YCbCrSubsampleRatio420
	// 640 480 YCbCrSubsampleRatio420
	// {Read:3 Fallback:0}
}

// DecodeLuma gives the luma at the smallest scale that still has the
// pixels asked for: here 160x120 means of 4x4 squares.
func ExampleDecoder_DecodeLuma() {
	jpg, err := os.ReadFile("../imageio/testdata/640x480-420.jpg")
	if err != nil {
		panic(err)
	}
	var d jpegdec.Decoder
	l, err := d.DecodeLuma(jpg, 160, 120)
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Width, l.Height, l.Scale, l.Width/l.Scale, l.Height/l.Scale)
	// Output:
	// 640 480 4 160 120
}
