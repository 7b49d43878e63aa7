//go:build linux

package rtsp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// selfCPU returns the user and system CPU time of this process.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// decoderCPU returns the CPU time of the ffmpeg process that decodes for
// the source (the child reading pipe:0), from /proc: 0 if there is none.
func decoderCPU(b *testing.B) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		stat, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime: fields 14 and 15.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "cmdline"))
		if !bytes.Contains(cmdline, []byte("pipe:0")) {
			continue // the publishing ffmpeg
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
	}
	return 0
}

// BenchmarkCPUPerFrame measures the CPU a frame costs: ffmpeg publishes
// testsrc at 640x480, 30 frames a second, and the source receives b.N
// frames, measured from the first: "cpu-ms/frame" is this process (the
// source, and the test's RTSP server relaying the packets),
// "ffmpeg-ms/frame" the decoder process of H.264 and H.265, and
// "ffmpeg-start-ms" what that process spent up to the first frame, once
// per Run. The time per op is the camera's pace, not a cost. h264-fps5
// limits the source to 5 frames a second: ffmpeg decodes every frame but
// encodes one in 6.
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
			var (
				n                      int
				self0, dec0, self, dec time.Duration
			)
			b.ResetTimer()
			err := src.Run(context.Background(), func(*record.Frame) error {
				n++
				if n == 1 {
					self0, dec0 = selfCPU(b), decoderCPU(b)
				}
				if n == b.N+1 {
					self, dec = selfCPU(b)-self0, decoderCPU(b)-dec0
					return enough
				}
				return nil
			})
			b.StopTimer()
			if !errors.Is(err, enough) {
				b.Fatal(err)
			}
			b.ReportMetric(float64(self)/float64(time.Millisecond)/float64(b.N), "cpu-ms/frame")
			b.ReportMetric(float64(dec)/float64(time.Millisecond)/float64(b.N), "ffmpeg-ms/frame")
			b.ReportMetric(float64(dec0)/float64(time.Millisecond), "ffmpeg-start-ms")
		})
	}
}
