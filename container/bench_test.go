package container_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/imgstream/imgstream/container"
)

// The benchmarks move 640x480 RGB565 frames to and from a file, beside the
// physical limit measured in the same run: a raw write or read of the same
// bytes (the frame's whole chunk) with one system call per frame. The file
// is rewound every benchFrames frames so it stays in the page cache.
const (
	benchW, benchH = 640, 480
	benchFrames    = 64
)

func benchFrame() (container.Header, []byte, []byte) {
	h := container.Header{Width: benchW, Height: benchH, Format: container.RGB565, Size: benchW * benchH * 2, Elapsed: 33}
	p := make([]byte, benchW*benchH*2)
	for i := range p {
		p[i] = byte(i * 7)
	}
	chunk := make([]byte, 32+len(p))
	if _, err := h.MarshalTo(container.V2_0, chunk); err != nil {
		panic(err)
	}
	copy(chunk[32:], p)
	return h, p, chunk
}

func benchFile(b *testing.B) *os.File {
	f, err := os.Create(filepath.Join(b.TempDir(), "bench.omv"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func BenchmarkWriteFile(b *testing.B) {
	h, p, chunk := benchFrame()
	b.Run("raw", func(b *testing.B) {
		f := benchFile(b)
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%benchFrames == 0 {
				if _, err := f.Seek(container.MagicSize, io.SeekStart); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := f.Write(chunk); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("container", func(b *testing.B) {
		f := benchFile(b)
		zw := container.NewWriter(f)
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%benchFrames == 0 {
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				zw.Reset(f)
			}
			if err := zw.WriteFrame(&h, p); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkReadFile(b *testing.B) {
	h, p, chunk := benchFrame()
	f := benchFile(b)
	zw := container.NewWriter(f)
	for range benchFrames {
		if err := zw.WriteFrame(&h, p); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("raw", func(b *testing.B) {
		buf := make([]byte, len(chunk))
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%benchFrames == 0 {
				if _, err := f.Seek(container.MagicSize, io.SeekStart); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := io.ReadFull(f, buf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("container", func(b *testing.B) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		zr, err := container.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, len(p))
		b.SetBytes(int64(len(chunk)))
		b.ReportAllocs()
		for b.Loop() {
			_, buf, err = zr.ReadFrame(buf)
			if err == io.EOF {
				if _, err = f.Seek(0, io.SeekStart); err == nil {
					err = zr.Reset(f)
				}
				if err == nil {
					_, buf, err = zr.ReadFrame(buf)
				}
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadIndex scans the headers of a 10 000-frame file.
func BenchmarkReadIndex(b *testing.B) {
	f := benchFile(b)
	zw := container.NewWriter(f)
	h := container.Header{Width: 32, Height: 32, Format: container.Grayscale}
	p := make([]byte, 32*32)
	for range 10000 {
		if err := zw.WriteFrame(&h, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		x, err := container.ReadIndex(f)
		if err != nil || len(x.Entries) != 10000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipe sends frames of 1280x688x3 bytes (the BGR frames of the
// "pass a video stream between processes" question) through an os.Pipe to a
// reader goroutine: with the container's framing, and as raw writes of the
// same bytes, in the same run. An OMV stream cannot say BGR (RGB24 and
// BGR24 pass between processes only, through shm), so the bytes travel as
// what they are in OMV terms: a grayscale frame three times as wide.
func BenchmarkPipe(b *testing.B) {
	const size = 1280 * 688 * 3
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	run := func(b *testing.B, write func(io.Writer) error, read func(io.Reader) error) {
		pr, pw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			defer pr.Close()
			done <- read(pr)
		}()
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if err := write(pw); err != nil {
				b.Fatal(err)
			}
		}
		pw.Close()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.Run("raw", func(b *testing.B) {
		buf := make([]byte, size)
		run(b, func(w io.Writer) error {
			_, err := w.Write(payload)
			return err
		}, func(r io.Reader) error {
			for {
				if _, err := io.ReadFull(r, buf); err != nil {
					if err == io.EOF {
						return nil
					}
					return err
				}
			}
		})
	})
	b.Run("container", func(b *testing.B) {
		h := container.Header{Width: 3 * 1280, Height: 688, Format: container.Grayscale, Size: size}
		var zw *container.Writer
		buf := make([]byte, size)
		run(b, func(w io.Writer) error {
			if zw == nil {
				zw = container.NewWriter(w)
			}
			return zw.WriteFrame(&h, payload)
		}, func(r io.Reader) error {
			zr, err := container.NewReader(r)
			if err != nil {
				return err
			}
			for {
				if _, buf, err = zr.ReadFrame(buf); err != nil {
					if err == io.EOF {
						return nil
					}
					return err
				}
			}
		})
	})
}
