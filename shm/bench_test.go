//go:build linux

package shm_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/imgstream/imgstream/internal/benchdata"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/shm"
)

// frameBytes is a 1280x688 BGR frame, the "pass a video stream between
// processes" question's, whose Python shared-memory answer reports 700 fps.
const frameBytes = 1280 * 688 * 3

// BenchmarkFrame moves 1280x688x3 frames through a stream: the writer
// copies each in (Write); the reader takes it in place (Next: a view) or
// copies it out (NextInto). The limit beside them is a plain copy of the
// same bytes. 1e9 / ns/op is the frames per second.
func BenchmarkFrame(b *testing.B) {
	frame := benchdata.Payload(frameBytes)
	b.Run("copy", func(b *testing.B) { benchdata.CopyLimit(b, frame, 4*frameBytes) })
	setup := func(b *testing.B) (*shm.Writer, *shm.Reader) {
		name := uniqueName(b)
		w, err := shm.Create(name, frameBytes, 4)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { w.Close() })
		r, err := shm.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
		return w, r
	}
	h := header(frameBytes)
	b.Run("inplace", func(b *testing.B) {
		w, r := setup(b)
		b.SetBytes(frameBytes)
		b.ReportAllocs()
		for b.Loop() {
			if err := w.Write(h, frame); err != nil {
				b.Fatal(err)
			}
			f, err := r.Next(context.Background())
			if err != nil || len(f.Data) != frameBytes || !f.Valid() {
				b.Fatal(err)
			}
		}
	})
	b.Run("copyout", func(b *testing.B) {
		w, r := setup(b)
		buf := make([]byte, frameBytes)
		b.SetBytes(frameBytes)
		b.ReportAllocs()
		for b.Loop() {
			if err := w.Write(h, frame); err != nil {
				b.Fatal(err)
			}
			f, err := r.NextInto(context.Background(), buf)
			if err != nil || len(f.Data) != frameBytes {
				b.Fatal(err)
			}
		}
	})
}

type latencyResult struct {
	Micros  []float64 // publish to Next returning, per frame
	IdleCPU float64   // CPU seconds the reader used while it waited with no frames
	Idle    float64   // seconds it waited
}

// latencyReader is the child of BenchmarkWakeup: it waits idle for a while
// (measuring its CPU), then times each frame from publish to wake-up.
func latencyReader(name string) int {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	r, err := shm.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var res latencyResult
	cpu := func() float64 {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	c0, t0 := cpu(), time.Now()
	fmt.Fprintln(out, "waiting")
	out.Flush()
	for {
		f, err := r.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		now := time.Now()
		if f.Number == 1 { // the end of the idle wait
			res.IdleCPU, res.Idle = cpu()-c0, now.Sub(t0).Seconds()
		}
		res.Micros = append(res.Micros, float64(now.Sub(f.Time).Nanoseconds())/1e3)
	}
	json.NewEncoder(out).Encode(res)
	return 0
}

// BenchmarkWakeup measures, across processes, the time from Publish to the
// reader's Next returning, with the reader asleep on the futex each time
// (frames 2 ms apart), and the CPU an idle reader uses.
func BenchmarkWakeup(b *testing.B) {
	for b.Loop() {
		name := uniqueName(b)
		w, err := shm.Create(name, 64, 4)
		if err != nil {
			b.Fatal(err)
		}
		cmd := testkit.Child("latencyreader", "IMGSTREAM_SHM_NAME="+name)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(stdout)
		if line, err := br.ReadString('\n'); err != nil || line != "waiting\n" {
			b.Fatalf("reader: %q %v", line, err)
		}
		time.Sleep(2 * time.Second) // idle, with the writer alive
		p := make([]byte, 64)
		for range 1000 {
			if err := w.Write(header(64), p); err != nil {
				b.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		w.Close()
		var res latencyResult
		if err := json.NewDecoder(br).Decode(&res); err != nil {
			b.Fatal(err)
		}
		cmd.Wait()
		sort.Float64s(res.Micros)
		b.ReportMetric(res.Micros[len(res.Micros)/2], "p50-µs")
		b.ReportMetric(res.Micros[len(res.Micros)*99/100], "p99-µs")
		b.ReportMetric(100*res.IdleCPU/res.Idle, "idle-cpu-%")
	}
}

// BenchmarkWriterGone measures how long a waiting reader takes to report a
// writer killed with SIGKILL: the package doc's "about 100 ms".
func BenchmarkWriterGone(b *testing.B) {
	var total time.Duration
	for b.Loop() {
		name := uniqueName(b)
		writer := childCmd("killwriter", name, 4096, 1)
		stdout, _ := writer.StdoutPipe()
		if err := writer.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		for lines.Scan() && lines.Text() != "acquired" {
		}
		r, err := shm.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Next(context.Background()); err != nil {
			b.Fatal(err)
		}
		writer.Process.Kill()
		writer.Wait()
		killed := time.Now()
		_, err = r.Next(context.Background())
		total += time.Since(killed)
		if !errors.Is(err, shm.ErrWriterGone) {
			b.Fatalf("got %v, want ErrWriterGone", err)
		}
		r.Close()
		os.Remove(filepath.Join(shm.Dir, name))
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-notice")
}
