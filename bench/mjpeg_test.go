package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	mattn "github.com/mattn/go-mjpeg"

	"github.com/imgstream/imgstream/mjpeg"
)

// The MJPEG workload of issue 5: 640x480 JPEG frames published at 30 fps
// to N viewers on 127.0.0.1. The server runs in the benchmark's process and
// the viewers in a child process, so the process's CPU time is the
// server's (and the publisher's, the same for both servers). Each frame
// carries its publish time in a JPEG comment, so viewers measure how old
// the frames they get are, whatever the server.
//
//	cd bench && go test -run '^$' -bench MJPEG -benchtime 1x

const (
	viewersEnv = "IMGSTREAM_BENCH_VIEWERS"
	fps        = 30
	warmup     = 1500 * time.Millisecond
	window     = 3 * time.Second
	// slowRate is what the slow viewer reads, in frames' worth of bytes
	// a second: a third of the stream, as over a poor link.
	slowRate = 10
)

func TestMain(m *testing.M) {
	if os.Getenv(viewersEnv) != "" {
		os.Exit(viewersMain())
	}
	os.Exit(m.Run())
}

// baseFrame is a 640x480 JPEG of a synthetic scene, about what a camera
// sends at quality 75.
func baseFrame() []byte {
	m := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for y := range 480 {
		for x := range 640 {
			m.Y[y*m.YStride+x] = byte(x/3 + y/4 + (x*y)%23)
		}
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = byte(100+i%37), byte(140-i%29)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, m, &jpeg.Options{Quality: 75})
	return b.Bytes()
}

const stampMagic = "imgstream-ts:"

// stamp returns base with a comment segment holding t, after the SOI.
func stamp(base []byte, t time.Time) []byte {
	seg := make([]byte, 0, 4+len(stampMagic)+8)
	seg = append(seg, 0xff, 0xfe, 0, byte(2+len(stampMagic)+8))
	seg = append(seg, stampMagic...)
	seg = binary.BigEndian.AppendUint64(seg, uint64(t.UnixNano()))
	out := make([]byte, 0, len(base)+len(seg))
	out = append(out, base[:2]...)
	out = append(out, seg...)
	return append(out, base[2:]...)
}

func stampOf(frame []byte) (time.Time, bool) {
	i := bytes.Index(frame[:min(len(frame), 64)], []byte(stampMagic))
	if i < 0 || i+len(stampMagic)+8 > len(frame) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(frame[i+len(stampMagic):]))), true
}

type result struct {
	FPS     []float64 `json:"fps"`      // per fast viewer, over the window
	SlowFPS float64   `json:"slow_fps"` // the slow viewer's, if any
	SlowAge []float64 `json:"slow_age"` // ages in seconds of the frames the slow viewer got
	Errors  int       `json:"errors"`
}

// viewersMain is the child process: it watches the stream with n viewers
// (one of them slow when asked) and prints a result.
func viewersMain() int {
	url := os.Getenv(viewersEnv)
	n, _ := strconv.Atoi(os.Getenv("IMGSTREAM_BENCH_N"))
	slow := os.Getenv("IMGSTREAM_BENCH_SLOW") == "1"
	frameSize, _ := strconv.Atoi(os.Getenv("IMGSTREAM_BENCH_FRAMESIZE"))
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n, DisableCompression: true}
	client := &http.Client{Transport: tr}
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+window)
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	for i := range n {
		isSlow := slow && i == 0
		wg.Go(func() {
			ctx, cancel := context.WithDeadline(context.Background(), to)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := client.Do(req)
			if err != nil {
				mu.Lock()
				res.Errors++
				mu.Unlock()
				return
			}
			defer resp.Body.Close()
			var body io.Reader = resp.Body
			if isSlow {
				body = &throttled{r: resp.Body, rate: slowRate * frameSize, start: time.Now()}
			}
			r := mjpeg.NewReader(body, "")
			count := 0
			var ages []float64
			for {
				f, err := r.NextFrame()
				if err != nil {
					break
				}
				now := time.Now()
				if now.Before(from) {
					continue
				}
				if now.After(to) {
					break
				}
				count++
				if ts, ok := stampOf(f); ok && isSlow {
					ages = append(ages, now.Sub(ts).Seconds())
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if isSlow {
				res.SlowFPS, res.SlowAge = float64(count)/window.Seconds(), ages
			} else {
				res.FPS = append(res.FPS, float64(count)/window.Seconds())
			}
		})
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// throttled reads at most rate bytes a second.
type throttled struct {
	r     io.Reader
	rate  int
	start time.Time
	read  int
}

func (t *throttled) Read(p []byte) (int, error) {
	allowed := int(time.Since(t.start).Seconds()*float64(t.rate)) - t.read
	for allowed <= 0 {
		time.Sleep(10 * time.Millisecond)
		allowed = int(time.Since(t.start).Seconds()*float64(t.rate)) - t.read
	}
	n, err := t.r.Read(p[:min(len(p), allowed, 16<<10)])
	t.read += n
	return n, err
}

// serverUnderTest starts a server of the named kind on 127.0.0.1 and
// returns its stream URL and a function that publishes a frame.
func serverUnderTest(b *testing.B, kind string) (string, func([]byte), func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var publish func([]byte)
	switch kind {
	case "imgstream":
		s := &mjpeg.Server{}
		publish = func(f []byte) { s.Publish(f) }
		go func() { defer close(done); mjpeg.Serve(ctx, l, s.Handler(), s) }()
	case "mattn":
		// As its README serves it: the Stream as a handler of a plain
		// http.Server.
		st := mattn.NewStream()
		publish = func(f []byte) { st.Update(f) }
		mux := http.NewServeMux()
		mux.Handle("/stream.mjpg", st)
		hs := &http.Server{Handler: mux}
		go func() { defer close(done); hs.Serve(l) }()
		go func() { <-ctx.Done(); st.Close(); hs.Close() }()
	}
	return "http://" + l.Addr().String() + "/stream.mjpg", publish, func() { cancel(); <-done }
}

// cpu is the process's CPU time so far, in user space and in the kernel.
type cpu struct{ user, sys time.Duration }

func cpuTime() cpu {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpu{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

// runScenario serves n viewers (one slow when slow is set) and reports.
func runScenario(b *testing.B, kind string, n int, slow bool) {
	base := baseFrame()
	url, publish, stop := serverUnderTest(b, kind)
	defer stop()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), viewersEnv+"="+url, "IMGSTREAM_BENCH_N="+strconv.Itoa(n),
		"IMGSTREAM_BENCH_FRAMESIZE="+strconv.Itoa(len(base)+32))
	if slow {
		cmd.Env = append(cmd.Env, "IMGSTREAM_BENCH_SLOW=1")
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	start := time.Now()
	tick := time.NewTicker(time.Second / fps)
	defer tick.Stop()
	var cpu0, cpu1 cpu
	var heap uint64
	var ms runtime.MemStats
	measuring, finished := false, false
	for !finished {
		select {
		case t := <-tick.C:
			publish(stamp(base, t))
			el := time.Since(start)
			if !measuring && el >= warmup {
				measuring, cpu0 = true, cpuTime()
			}
			if measuring && cpu1 == (cpu{}) && el >= warmup+window {
				cpu1 = cpuTime()
				runtime.ReadMemStats(&ms)
				heap = ms.HeapInuse
			}
		case err := <-waited:
			if err != nil {
				b.Fatal(err)
			}
			finished = true
		}
	}
	if cpu1 == (cpu{}) {
		cpu1 = cpuTime()
	}
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		b.Fatalf("viewers: %v: %s", err, out.String())
	}
	sort.Float64s(res.FPS)
	delivered := 0.0
	for _, f := range res.FPS {
		delivered += f * window.Seconds()
	}
	delivered += res.SlowFPS * window.Seconds()
	b.ReportMetric(res.FPS[0], "min-fps")
	b.ReportMetric(mean(res.FPS), "mean-fps")
	perFrame := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / math.Max(delivered, 1) }
	b.ReportMetric(perFrame(cpu1.user-cpu0.user+cpu1.sys-cpu0.sys), "cpu-ns/frame")
	b.ReportMetric(perFrame(cpu1.user-cpu0.user), "user-ns/frame")
	b.ReportMetric(perFrame(cpu1.sys-cpu0.sys), "sys-ns/frame")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
	if res.Errors > 0 {
		b.ReportMetric(float64(res.Errors), "errors")
	}
	if slow {
		sort.Float64s(res.SlowAge)
		b.ReportMetric(res.SlowFPS, "slow-fps")
		if len(res.SlowAge) > 0 {
			b.ReportMetric(res.SlowAge[len(res.SlowAge)/2], "slow-age-p50-s")
			b.ReportMetric(res.SlowAge[len(res.SlowAge)-1], "slow-age-max-s")
		}
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / math.Max(float64(len(xs)), 1)
}

func BenchmarkMJPEG(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		for _, kind := range []string{"imgstream", "mattn"} {
			b.Run(fmt.Sprintf("viewers=%d/%s", n, kind), func(b *testing.B) {
				for b.Loop() {
					runScenario(b, kind, n, false)
				}
			})
		}
	}
	for _, kind := range []string{"imgstream", "mattn"} {
		b.Run("slow1of10/"+kind, func(b *testing.B) {
			for b.Loop() {
				runScenario(b, kind, 10, true)
			}
		})
	}
}
