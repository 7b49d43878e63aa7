package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// benchFrames is the length of the recordings the benchmarks export: a
// second of video at 30 fps for raw frames, which are encoded, and ten for
// JPEG frames, which pass through (fixed costs, such as the file's
// headers, are then spread as over a real recording).
const benchFrames = 30

const jpegBenchFrames = 300

// benchScene is a 640x480 picture with detail, as a camera sees.
func benchScene(i int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			m.Set(x, y, color.RGBA{byte(x/3 + y/4 + (x*y)%23 + i), byte(100 + (x+i)%37), byte(140 - y%29), 255})
		}
	}
	return m
}

// benchRecording writes a recording of n 640x480 frames of format f (JPEG
// at quality 75, or RGB565) at 30 fps, and returns its path and the
// frames' payloads.
func benchRecording(b *testing.B, f container.PixFormat, n int) (string, [][]byte) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.omv")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := container.NewWriter(out)
	var payloads [][]byte
	scenes := map[int]*image.RGBA{}
	for i := range n {
		if scenes[i%benchFrames] == nil {
			scenes[i%benchFrames] = benchScene(i % benchFrames)
		}
		var data []byte
		if f == container.JPEG {
			var buf bytes.Buffer
			jpeg.Encode(&buf, scenes[i%benchFrames], &jpeg.Options{Quality: 75})
			data = buf.Bytes()
		} else {
			m, err := imageio.Encode(scenes[i%benchFrames], f)
			if err != nil {
				b.Fatal(err)
			}
			data = m.Data
		}
		payloads = append(payloads, data)
		h := container.Header{Elapsed: 33 * time.Millisecond, Width: 640, Height: 480, Format: f}
		if err := zw.WriteFrame(&h, data); err != nil {
			b.Fatal(err)
		}
	}
	zw.Close()
	out.Close()
	return path, payloads
}

func exportInProcess(b *testing.B, args ...string) {
	root := newRoot()
	root.SetArgs(append([]string{"export", "-q"}, args...))
	if err := root.ExecuteContext(context.Background()); err != nil {
		b.Fatal(err)
	}
}

func totalBytes(p [][]byte) int64 {
	var n int64
	for _, b := range p {
		n += int64(len(b))
	}
	return n
}

// BenchmarkExportAVIJPEG exports a 640x480 JPEG recording of ten seconds to AVI (frames
// pass through), beside raw: a plain copy of the same frames' bytes, read
// from the recording where they lie and written to a new file, in the same
// run. An op is the whole recording.
func BenchmarkExportAVIJPEG(b *testing.B) {
	in, payloads := benchRecording(b, container.JPEG, jpegBenchFrames)
	out := filepath.Join(b.TempDir(), "out.avi")
	f, err := os.Open(in)
	if err != nil {
		b.Fatal(err)
	}
	x, err := container.ReadIndex(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(totalBytes(payloads))
		buf := make([]byte, 0, 1<<20)
		for b.Loop() {
			src, err := os.Open(in)
			if err != nil {
				b.Fatal(err)
			}
			dst, err := os.Create(out)
			if err != nil {
				b.Fatal(err)
			}
			for i := range x.Entries {
				p := buf[:x.Entries[i].Size]
				src.ReadAt(p, x.DataOffset(i))
				dst.Write(p)
			}
			src.Close()
			dst.Close()
		}
	})
	b.Run("export", func(b *testing.B) {
		b.SetBytes(totalBytes(payloads))
		for b.Loop() {
			exportInProcess(b, in, out)
		}
	})
}

// BenchmarkExportAVIRGB565 exports a 640x480 RGB565 recording to AVI,
// every frame encoded to JPEG: on one worker, on every core, and with
// ffmpeg (rawvideo rgb565le to mjpeg) on the same frames, in the same run.
// An op is the whole recording; frames/s is benchFrames over an op.
func BenchmarkExportAVIRGB565(b *testing.B) {
	in, payloads := benchRecording(b, container.RGB565, benchFrames)
	out := filepath.Join(b.TempDir(), "out.avi")
	for _, w := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			b.SetBytes(totalBytes(payloads))
			for b.Loop() {
				exportInProcess(b, "--workers", fmt.Sprint(w), in, out)
			}
			b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return
	}
	raw := filepath.Join(b.TempDir(), "frames.raw")
	var all []byte
	for _, p := range payloads {
		all = append(all, p...)
	}
	os.WriteFile(raw, all, 0o644)
	b.Run("ffmpeg", func(b *testing.B) {
		b.SetBytes(totalBytes(payloads))
		for b.Loop() {
			c := exec.Command(ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb565le", "-s", "640x480", "-r", "30",
				"-i", raw, "-c:v", "mjpeg", "-q:v", "3", out)
			if o, err := c.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, o)
			}
		}
		b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}

// BenchmarkExportGIF exports the 640x480 JPEG recording as an animated GIF
// with one palette.
func BenchmarkExportGIF(b *testing.B) {
	in, _ := benchRecording(b, container.JPEG, benchFrames)
	out := filepath.Join(b.TempDir(), "out.gif")
	for b.Loop() {
		exportInProcess(b, in, out)
	}
	b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkExportFolder exports the frames of BenchmarkExportAVIJPEG's
// recording from a folder of ten clips of 30 frames each, a second apart
// (export DIR --from --to, across the clips, the gaps kept as time),
// beside the same frames from one file (export FILE), in the same run.
// An op is the whole range. The folder pays for finding the clips, reading
// their side files and indexes, and opening one clip after another.
func BenchmarkExportFolder(b *testing.B) {
	in, payloads := benchRecording(b, container.JPEG, jpegBenchFrames)
	f, err := os.Open(in)
	if err != nil {
		b.Fatal(err)
	}
	x, err := container.ReadIndex(f)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	const clips, per = 10, jpegBenchFrames / 10
	if err := os.MkdirAll(filepath.Join(dir, "door"), 0o755); err != nil {
		b.Fatal(err)
	}
	for c := range clips {
		name := filepath.Join(dir, "door", fmt.Sprintf("clip%02d.omv", c))
		out, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		zw := container.NewWriter(out)
		for i := c * per; i < (c+1)*per; i++ {
			data, err := x.ReadPayload(f, i, nil)
			if err != nil {
				b.Fatal(err)
			}
			h := x.Entries[i].Header
			if err := zw.WriteFrame(&h, data); err != nil {
				b.Fatal(err)
			}
		}
		zw.Close()
		out.Close()
		// each clip a second after the one before ends
		at := start.Add(time.Duration(c) * (time.Duration(per-1)*33*time.Millisecond + time.Second))
		os.WriteFile(name+".json", []byte(`{"start":"`+at.Format(time.RFC3339Nano)+`"}`), 0o644)
	}
	f.Close()
	out := filepath.Join(b.TempDir(), "out.avi")
	b.Run("file", func(b *testing.B) {
		b.SetBytes(totalBytes(payloads))
		b.ReportAllocs()
		for b.Loop() {
			exportInProcess(b, in, out)
		}
	})
	b.Run("folder", func(b *testing.B) {
		b.SetBytes(totalBytes(payloads))
		b.ReportAllocs()
		for b.Loop() {
			exportInProcess(b, dir, "--from", "2026-12-02T10:00:00Z", "--to", "11:00", out)
		}
	})
}
