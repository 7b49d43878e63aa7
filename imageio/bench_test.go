package imageio_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/benchdata"
)

const benchW, benchH = 640, 480

// benchFrames is how many frames a file benchmark writes before rewinding,
// so the file stays in the page cache.
const benchFrames = 64

func benchImage() *imageio.Image {
	return &imageio.Image{Width: benchW, Height: benchH, Format: container.RGB565, Data: benchdata.Payload(benchW * benchH * 2)}
}

// writeWindow is how many frames the write benchmarks write before they
// rewind and cut their file: cutting frees page-cache pages that the next
// writes must get again, a cost to spread over many frames.
const writeWindow = 512

// BenchmarkFileWrite records 640x480 RGB565 frames beside a raw write of
// the same chunk bytes to the same kind of file, in the same run; both
// rewind and cut their file every writeWindow frames.
func BenchmarkFileWrite(b *testing.B) {
	img := benchImage()
	chunk := benchdata.Payload(32 + len(img.Data))
	b.Run("raw", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%writeWindow == 0 {
				// Rewind and cut, as the stream does below.
				f.Seek(16, io.SeekStart)
				f.Truncate(16)
			}
			if _, err := f.Write(chunk); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("stream", func(b *testing.B) {
		s, err := imageio.Create(filepath.Join(b.TempDir(), "s.omv"), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%writeWindow == 0 {
				s.Seek(0) // the next write replaces frame 0 and cuts the file after it
			}
			if err := s.Write(img); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFileRead replays 640x480 RGB565 frames into a reused Image beside
// a raw read of the same chunk bytes.
func BenchmarkFileRead(b *testing.B) {
	img := benchImage()
	path := filepath.Join(b.TempDir(), "s.omv")
	s, err := imageio.Create(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	for range benchFrames {
		if err := s.Write(img); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	b.Run("raw", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 32+len(img.Data))
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%benchFrames == 0 {
				f.Seek(16, io.SeekStart)
			}
			if _, err := io.ReadFull(f, buf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("stream", func(b *testing.B) {
		s, err := imageio.Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		m := &imageio.Image{Data: make([]byte, len(img.Data))}
		b.SetBytes(int64(32 + len(img.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := s.ReadInto(m, imageio.ReadOptions{Loop: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemory writes and reads 640x480 RGB565 frames through a memory
// stream of 16 slots, and through a ring stream of as many frames
// (ring-write, ring-read), beside a plain copy of the same bytes.
func BenchmarkMemory(b *testing.B) {
	img := benchImage()
	const slots = 16
	b.Run("copy", func(b *testing.B) { benchdata.CopyLimit(b, img.Data, slots*len(img.Data)) })
	s, err := imageio.NewMemory(benchW, benchH, container.RGB565, slots, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		b.SetBytes(int64(len(img.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if s.Offset() == slots {
				s.Seek(0)
			}
			if err := s.Write(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		m := &imageio.Image{Data: make([]byte, len(img.Data))}
		b.SetBytes(int64(len(img.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := s.ReadInto(m, imageio.ReadOptions{Loop: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	chunk := container.V2_0.HeaderSize() + len(img.Data) + container.Padding(len(img.Data))
	ring, err := imageio.NewRing(circular.FrameConfig{Size: slots * chunk}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ring-write", func(b *testing.B) {
		b.SetBytes(int64(len(img.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := ring.Write(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring-read", func(b *testing.B) {
		m := &imageio.Image{Data: make([]byte, len(img.Data))}
		b.SetBytes(int64(len(img.Data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := ring.ReadInto(m, imageio.ReadOptions{Loop: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSeek reads frame 9 999 of a 10 000-frame file: through Seek,
// which uses the index made when the file was opened, and by rescanning the
// headers from the start, as OpenMV's firmware seek does.
func BenchmarkSeek(b *testing.B) {
	path := filepath.Join(b.TempDir(), "long.omv")
	s, err := imageio.Create(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	frame := &imageio.Image{Width: 32, Height: 32, Format: container.Grayscale, Data: benchdata.Payload(32 * 32)}
	for range 10000 {
		if err := s.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	const target = 9999
	b.Run("rescan", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 32*32)
		b.ReportAllocs()
		for b.Loop() {
			f.Seek(0, io.SeekStart)
			zr, err := container.NewReader(f)
			if err != nil {
				b.Fatal(err)
			}
			for range target {
				if _, err := zr.Next(); err != nil {
					b.Fatal(err)
				}
			}
			if _, buf, err = zr.ReadFrame(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("index", func(b *testing.B) {
		s, err := imageio.Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		m := &imageio.Image{Data: make([]byte, 32*32)}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Seek(target); err != nil {
				b.Fatal(err)
			}
			if err := s.ReadInto(m, imageio.ReadOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRGB565ToRGBA converts a 640x480 frame; ns/op / 307200 is the
// cost per pixel.
func BenchmarkRGB565ToRGBA(b *testing.B) {
	src := benchdata.Payload(benchW * benchH * 2)
	dst := make([]byte, benchW*benchH*4)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		imageio.RGB565ToRGBA(dst, src)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(benchW*benchH), "ns/pixel")
}
