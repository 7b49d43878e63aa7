package imageio_test

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
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
// ("stdlib", the limit: Image.Decode wraps it) and with Image.Decode, which
// also interpolates subsampled chroma into an RGBA picture ("imageio"). The
// ratio of the two is what the conversion costs; "paired" times both in
// each iteration and reports the ratio (x-stdlib), steadier on a shared
// machine.
func BenchmarkDecodeJPEG(b *testing.B) {
	for _, f := range jpegFiles {
		data := readJPEG(b, f.name)
		b.Run(f.name, func(b *testing.B) {
			b.Run("stdlib", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("imageio", func(b *testing.B) {
				m := &imageio.Image{Width: f.w, Height: f.h, Format: container.JPEG, Data: data}
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Decode(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("paired", func(b *testing.B) {
				// Both, alternately, in each iteration, so a busy machine
				// slows them alike: x-stdlib is imageio's time over
				// image/jpeg's.
				m := &imageio.Image{Width: f.w, Height: f.h, Format: container.JPEG, Data: data}
				var std, ours time.Duration
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					t0 := time.Now()
					if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := m.Decode(); err != nil {
						b.Fatal(err)
					}
					std, ours = std+t1.Sub(t0), ours+time.Since(t1)
				}
				b.ReportMetric(ours.Seconds()/std.Seconds(), "x-stdlib")
			})
		})
	}
}
