package record_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/record"
)

// vgaJPEG is a 640x480 JPEG of a noisy scene, about the size a camera
// sends (tens of KB).
var vgaJPEG = func() []byte {
	m := image.NewGray(image.Rect(0, 0, 640, 480))
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range m.Pix {
		m.Pix[i] = byte(i%640/3 + rng.IntN(24))
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, &jpeg.Options{Quality: 75})
	return b.Bytes()
}()

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCamera100fps offers 640x480 JPEG frames at 100 fps from the
// camera emulator on 127.0.0.1, and reports the share of them recorded
// and the CPU time per frame, of the whole process: "read" only reads the
// stream (the emulator and the HTTP client), "record" records it into a
// file; the difference is the recorder's cost.
func BenchmarkCamera100fps(b *testing.B) {
	for _, mode := range []string{"read", "record"} {
		b.Run(mode, func(b *testing.B) {
			cam := &camera{Interval: 10 * time.Millisecond, Frame: func(int) []byte { return vgaJPEG }}
			srv := httptest.NewServer(cam)
			defer srv.Close()
			b.SetBytes(int64(len(vgaJPEG)))
			b.ReportAllocs()
			cpu := cpuTime()
			b.ResetTimer()
			recorded := 0
			if mode == "read" {
				r, err := mjpeg.Dial(context.Background(), srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				for range b.N {
					if _, err := r.NextFrame(); err != nil {
						b.Fatal(err)
					}
					recorded++
				}
				r.Close()
			} else {
				rec, err := record.New(record.Config{Source: record.MJPEG(nil, srv.URL), Pattern: filepath.Join(b.TempDir(), "rec.omv"), Frames: b.N})
				if err != nil {
					b.Fatal(err)
				}
				if err := rec.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				recorded = int(rec.Status().FramesIn)
			}
			b.StopTimer()
			offered := len(cam.Sent())
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/frame")
			b.ReportMetric(float64(recorded)/float64(max(offered, 1)), "recorded/offered")
		})
	}
}

// BenchmarkRecord records 640x480 JPEG frames as fast as a source gives
// them into a file, and reports its speed as a ratio to the limit measured
// in the same run over the same number of frames: os.File.Write of the
// same bytes into a new file, before and after ("vs-raw-write", 1 is as
// fast). Both do the same fsyncs: "sync-at-close" (Sync -1) fsyncs once,
// when the file is closed, "sync-1s" (DefaultSync) also every second; the
// raw write creates, fsyncs and closes its file as the recorder does.
func BenchmarkRecord(b *testing.B) {
	for _, c := range []struct {
		name string
		sync time.Duration
	}{{"sync-at-close", -1}, {"sync-1s", time.Second}} {
		b.Run(c.name, func(b *testing.B) { benchRecord(b, c.sync) })
	}
}

func benchRecord(b *testing.B, sync time.Duration) {
	b.SetBytes(int64(len(vgaJPEG)))
	b.ReportAllocs()
	dir := b.TempDir()
	// The limit, outside the timer: before the recording and after it, as
	// the page cache's state changes what a write costs.
	rawWrite := func() time.Duration {
		start := time.Now()
		f, err := os.Create(filepath.Join(dir, "raw"))
		if err != nil {
			b.Fatal(err)
		}
		defer os.Remove(f.Name())
		last := start
		for range b.N {
			if _, err := f.Write(vgaJPEG); err != nil {
				b.Fatal(err)
			}
			if now := time.Now(); sync > 0 && now.Sub(last) >= sync {
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				last = now
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	raw := rawWrite()

	src := record.SourceFunc(func(ctx context.Context, emit func(*record.Frame) error) error {
		f := &record.Frame{Image: imageio.Image{Width: 640, Height: 480, Format: container.JPEG, Data: vgaJPEG}}
		for {
			if err := emit(f); err != nil {
				return err
			}
		}
	})
	rec, err := record.New(record.Config{Source: src, Pattern: filepath.Join(dir, "rec.omv"), Frames: b.N, Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := rec.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	os.Remove(filepath.Join(dir, "rec.omv"))
	raw = (raw + rawWrite()) / 2
	b.ReportMetric(raw.Seconds()/took.Seconds(), "vs-raw-write")
}
