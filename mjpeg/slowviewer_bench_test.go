package mjpeg_test

import (
	"context"
	"image/color"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
)

// frameOfSize returns a JPEG of about n bytes (a solid picture and a
// comment of filler, as a detailed 640x480 frame weighs) stamped with seq.
func frameOfSize(n int, seq uint64) []byte {
	base := testkit.StampJPEG(testkit.SolidJPEG(640, 480, color.RGBA{90, 120, 200, 255}), seq)
	out := append([]byte(nil), base[:14]...) // SOI and the stamp
	for fill := n - len(base); fill > 0; {
		k := min(fill, 65533-2)
		out = append(out, 0xff, 0xfe, byte((k+2)>>8), byte(k+2))
		out = append(out, make([]byte, k)...)
		fill -= k + 4
	}
	return append(out, base[14:]...)
}

// BenchmarkSlowViewer measures how old the frames a slow viewer sees are:
// a 30 fps stream of 39 KB JPEG frames (640x480 at quality 75), served on
// 127.0.0.1 by Serve, and a viewer that reads 10 frames a second with the
// kernel's default receive buffer, as a browser on a slow phone would. It
// reports the frames' age when read, median and maximum, after a warm-up of
// two seconds that fills the buffers: with sndbuf=default the send buffer
// that Serve asks for (DefaultSendBuffer), and with sndbuf=kernel the
// kernel's own autotuned one, which is what the default spares a viewer.
func BenchmarkSlowViewer(b *testing.B) {
	for _, c := range []struct {
		name string
		size int // 0: the kernel's autotuned buffer
	}{{"sndbuf=default", mjpeg.DefaultSendBuffer}, {"sndbuf=kernel", 0}} {
		b.Run(c.name, func(b *testing.B) {
			var ages []time.Duration
			for b.Loop() {
				ages = append(ages, slowViewerAges(b, c.size)...)
			}
			slices.Sort(ages)
			b.ReportMetric(ages[len(ages)/2].Seconds(), "age-p50-s")
			b.ReportMetric(ages[len(ages)-1].Seconds(), "age-max-s")
		})
	}
}

func slowViewerAges(b *testing.B, sndbuf int) []time.Duration {
	const fps, viewerFPS, frameSize = 30, 10, 39 << 10
	const warmup, window = 2 * time.Second, 4 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if sndbuf > 0 {
		l = mjpeg.LimitSendBuffer(l, sndbuf)
	}
	var s mjpeg.Server
	hs := &http.Server{Handler: s.Handler()}
	go hs.Serve(l)
	defer hs.Close()
	defer s.Close()

	var mu sync.Mutex
	published := map[uint64]time.Time{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		t := time.NewTicker(time.Second / fps)
		defer t.Stop()
		for seq := uint64(0); ; seq++ {
			f := frameOfSize(frameSize, seq)
			mu.Lock()
			published[seq] = time.Now()
			mu.Unlock()
			s.Publish(f)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	r, err := mjpeg.Dial(ctx, "http://"+l.Addr().String()+"/stream.mjpg")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var ages []time.Duration
	start := time.Now()
	for time.Since(start) < warmup+window {
		f, err := r.NextFrame()
		if err != nil {
			b.Fatal(err)
		}
		seq, _ := testkit.SeqOf(f)
		mu.Lock()
		at := published[seq]
		mu.Unlock()
		if time.Since(start) > warmup {
			ages = append(ages, time.Since(at))
		}
		time.Sleep(time.Second / viewerFPS)
	}
	return ages
}
