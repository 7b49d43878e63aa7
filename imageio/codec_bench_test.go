package imageio_test

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// jpegFiles are the test pictures of testdata (see its README), by size
// and chroma subsampling.
var jpegFiles = []struct {
	name string
	w, h int
}{
	{"640x480-420", 640, 480},
	{"1280x720-420", 1280, 720},
	{"640x480-422", 640, 480},
	{"640x480-444", 640, 480},
	{"640x480-grey", 640, 480},
}

func readJPEG(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkDecodeJPEG decodes each test picture with image/jpeg alone
// ("stdlib", the limit: Image.Decode wraps it); with image/jpeg and then
// image/draw into a new RGBA picture ("draw", what a user would write,
// which repeats each chroma sample); with Image.Decode, which also
// interpolates subsampled chroma into a new RGBA picture ("imageio"); and
// with a Decoder, the same into a reused picture ("decoder", a player or an
// exporter going through frames). The ratios to stdlib are what the
// conversion costs. "paired-NAME" times stdlib and NAME in each
// iteration, in turn, and reports NAME's time over stdlib's (x-stdlib),
// steadier on a shared machine.
func BenchmarkDecodeJPEG(b *testing.B) {
	for _, f := range jpegFiles {
		data := readJPEG(b, f.name)
		m := &imageio.Image{Width: f.w, Height: f.h, Format: container.JPEG, Data: data}
		var d imageio.Decoder
		ways := []struct {
			name   string
			decode func() error
		}{
			{"stdlib", func() error {
				_, err := jpeg.Decode(bytes.NewReader(data))
				return err
			}},
			{"draw", func() error {
				img, err := jpeg.Decode(bytes.NewReader(data))
				if err != nil {
					return err
				}
				r := img.Bounds()
				draw.Draw(image.NewRGBA(r), r, img, r.Min, draw.Src)
				return nil
			}},
			{"imageio", func() error {
				_, err := m.Decode()
				return err
			}},
			{"decoder", func() error {
				_, err := d.Decode(m)
				return err
			}},
		}
		b.Run(f.name, func(b *testing.B) {
			for _, w := range ways {
				b.Run(w.name, func(b *testing.B) {
					b.SetBytes(int64(len(data)))
					b.ReportAllocs()
					for b.Loop() {
						if err := w.decode(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			for _, w := range ways[1:] {
				b.Run("paired-"+w.name, func(b *testing.B) {
					testkit.Paired(b, int64(len(data)), "stdlib", ways[0].decode, w.decode)
				})
			}
		})
	}
}
