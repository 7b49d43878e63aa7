//go:build unix

package rtsp_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// cpu returns the user and system CPU time of rusage who.
func cpu(b *testing.B, who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCPUPerFrame measures the CPU a frame costs: ffmpeg publishes
// testsrc at 640x480, 30 frames a second, and the source receives b.N
// frames. "cpu-ms/frame" is this process: the source, and the test's
// RTSP server relaying the packets; "ffmpeg-ms/frame" is the decoder
// process of H.264 and H.265 (the publishing ffmpeg is reaped after the
// measure, so it does not count). The time per op is the camera's pace,
// not a cost; "total-ms/s" is both per second of stream. h264-fps5 limits the source to 5 frames a second: ffmpeg
// decodes every frame but encodes one in 6.
func BenchmarkCPUPerFrame(b *testing.B) {
	for _, bc := range []struct {
		name string
		args []string
		fps  float64
	}{{"mjpeg", mjpegArgs, 0}, {"h264", h264Args, 0}, {"h265", h265Args, 0}, {"h264-fps5", h264Args, 5}} {
		b.Run(bc.name, func(b *testing.B) {
			cs := startServer(b, "")
			cs.publishAt("640x480", 30, bc.args...)
			cs.waitAnnounced()
			src := &rtsp.Source{URL: cs.url(""), FPS: bc.fps}
			enough := errors.New("enough")
			n := 0
			self, child := cpu(b, syscall.RUSAGE_SELF), cpu(b, syscall.RUSAGE_CHILDREN)
			b.ResetTimer()
			start := time.Now()
			err := src.Run(context.Background(), func(*record.Frame) error {
				if n++; n == b.N {
					return enough
				}
				return nil
			})
			b.StopTimer()
			wall := time.Since(start).Seconds()
			if !errors.Is(err, enough) {
				b.Fatal(err)
			}
			self, child = cpu(b, syscall.RUSAGE_SELF)-self, cpu(b, syscall.RUSAGE_CHILDREN)-child
			b.ReportMetric(float64(self)/float64(time.Millisecond)/float64(n), "cpu-ms/frame")
			b.ReportMetric(float64(child)/float64(time.Millisecond)/float64(n), "ffmpeg-ms/frame")
			b.ReportMetric(float64(self+child)/float64(time.Millisecond)/wall, "total-ms/s")
		})
	}
}
