package mjpeg_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"os"
	"testing"

	"github.com/imgstream/imgstream/mjpeg"
)

// BenchmarkSplit splits a stream of 640x480 camera JPEGs written back to
// back, as ffmpeg -f mjpeg writes them, beside "raw": a plain read of the
// same bytes into a buffer, the least any reader of the stream does. Each
// op is the 8 frames; b.SetBytes is their size, so MB/s compare directly.
//
//	go test -run '^$' -bench Split -count 6 ./mjpeg | go run ./internal/benchratio
func BenchmarkSplit(b *testing.B) {
	var frames [][]byte
	for i := range 8 {
		frames = append(frames, cameraJPEG(b, 640, 480, uint32(i)))
	}
	stream := bytes.Join(frames, nil)
	// From memory, the raw read is a copy from the cache; from a pipe, it
	// is what reading a camera program's stdout costs.
	sources := map[string]func(b *testing.B) io.Reader{
		"memory": func(b *testing.B) io.Reader {
			return &repeat{data: stream}
		},
		"pipe": func(b *testing.B) io.Reader {
			pr, pw, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for {
					if _, err := pw.Write(stream); err != nil {
						return
					}
				}
			}()
			b.Cleanup(func() { pr.Close(); pw.Close() })
			return pr
		},
	}
	for _, src := range []string{"memory", "pipe"} {
		b.Run(src+"/raw", func(b *testing.B) {
			r := sources[src](b)
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				for n := 0; n < len(stream); {
					k, err := r.Read(buf[:min(len(buf), len(stream)-n)])
					if err != nil {
						b.Fatal(err)
					}
					n += k
				}
			}
		})
		b.Run(src+"/split", func(b *testing.B) {
			s := mjpeg.NewSplitter(sources[src](b))
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				for range frames {
					if _, err := s.NextFrame(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// repeat reads data over and over.
type repeat struct {
	data []byte
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// cameraJPEG encodes a picture as a camera sees one: smooth light with
// sensor noise, whose entropy-coded data holds 0xFF about as often as a
// real frame's (a synthetic pattern holds it far more often).
func cameraJPEG(b *testing.B, w, h int, seed uint32) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	x := seed*2654435761 + 1
	noise := func() int {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return int(x%9) - 4
	}
	for y := range h {
		for i := range w {
			img.Y[y*img.YStride+i] = byte(min(max(64+i*128/w+y*64/h+noise(), 0), 255))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = byte(120+noise()), byte(136+noise())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
