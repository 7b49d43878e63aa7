package mjpeg_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

func TestDimensions(t *testing.T) {
	for _, size := range []image.Point{{64, 48}, {1, 1}, {640, 480}, {17, 5}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, image.NewGray(image.Rectangle{Max: size}), nil); err != nil {
			t.Fatal(err)
		}
		for _, jpg := range [][]byte{buf.Bytes(), testkit.StampJPEG(buf.Bytes(), 7), append(bytes.Clone(buf.Bytes()), "\r\n\x00"...)} {
			w, h, ok := mjpeg.Dimensions(jpg)
			if !ok || w != size.X || h != size.Y {
				t.Errorf("%v: got %dx%d, %v", size, w, h, ok)
			}
			// Cut anywhere, it is not whole.
			for n := range len(jpg) - 3 {
				if _, _, ok := mjpeg.Dimensions(jpg[:n]); ok {
					t.Fatalf("%v cut at %d of %d: reported whole", size, n, len(jpg))
				}
			}
		}
	}
	solid := testkit.SolidJPEG(8, 8, color.White)
	for _, bad := range [][]byte{nil, {0xff, 0xd8}, {0xff, 0xd8, 0xff, 0xd9}, []byte("not a jpeg at all"), append([]byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, solid[2:]...)} {
		if _, _, ok := mjpeg.Dimensions(bad); ok {
			t.Errorf("%q: reported whole", bad)
		}
	}
}

// FuzzJPEGSize: any bytes, no panic; what it accepts starts and ends as a
// JPEG does.
func FuzzDimensions(f *testing.F) {
	f.Add(testkit.SolidJPEG(16, 16, color.Black))
	f.Add(testkit.StampJPEG(testkit.SolidJPEG(3, 2, color.White), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, ok := mjpeg.Dimensions(data)
		if ok && (w <= 0 || h <= 0 || data[0] != 0xff || data[1] != 0xd8 || !bytes.Contains(data, []byte{0xff, 0xd9})) {
			t.Fatalf("accepted %q as %dx%d", data, w, h)
		}
	})
}
