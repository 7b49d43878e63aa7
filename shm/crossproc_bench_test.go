//go:build linux

package shm_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/internal/benchdata"
	"github.com/imgstream/imgstream/shm"
)

// The children of the cross-process benchmarks (see TestMain).
var benchRoles = map[string]func() int{
	"benchwriter": benchWriter,
	"ratewriter":  rateWriter,
	"idlereader":  idleReader,
}

// stamps is how many places of a frame stampEnds writes its number in:
// the start, the end, and evenly between, so that a frame that mixes two
// writes anywhere is caught.
const stamps = 17

func stampAt(p []byte, i int) []byte {
	off := (len(p) - 8) * i / (stamps - 1) &^ 7
	return p[off : off+8]
}

// stampEnds writes n at the stamps' places of p.
func stampEnds(p []byte, n uint64) {
	for i := range stamps {
		binary.LittleEndian.PutUint64(stampAt(p, i), n)
	}
}

// endsMatch returns the number at the start of p and whether every stamp
// holds it: whether p is one frame, whole.
func endsMatch(p []byte) (uint64, bool) {
	n := binary.LittleEndian.Uint64(p)
	for i := 1; i < stamps; i++ {
		if binary.LittleEndian.Uint64(stampAt(p, i)) != n {
			return n, false
		}
	}
	return n, true
}

// benchWriter publishes IMGSTREAM_SHM_FRAMES frames of frameBytes with Write
// (one copy each) as fast as it can once told "go", prints the time that
// took in nanoseconds, and closes the stream.
func benchWriter() int {
	frames, _ := strconv.Atoi(os.Getenv("IMGSTREAM_SHM_FRAMES"))
	w, err := shm.Create(os.Getenv("IMGSTREAM_SHM_NAME"), frameBytes, 4)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	frame := benchdata.Payload(frameBytes)
	h := header(frameBytes)
	write := func() error { return w.Write(h, frame) }
	if os.Getenv("IMGSTREAM_SHM_HEAP") != "" {
		// The same copies into the Go heap instead: the limit, measured in
		// the writer's own process.
		heap := benchdata.Payload(4 * frameBytes)
		i := 0
		write = func() error { copy(heap[i*frameBytes:], frame); i = (i + 1) % 4; return nil }
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	start := time.Now()
	for n := 1; n <= frames; n++ {
		stampEnds(frame, uint64(n))
		if err := write(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println(time.Since(start).Nanoseconds())
	w.Close()
	return 0
}

// BenchmarkCrossProcess moves 1280x688x3 frames from a writer process,
// which copies each in with Write as fast as it can, to a reader in this
// process, which takes each newest frame in place: with reader=touch it
// reads one word of every 64-byte line of the frame (bringing the frame
// into its core's cache, as a consumer does), with reader=ends it checks
// the frame's two ends only. The time is the writer's, per frame it
// published; received-pct is the share of frames the reader got, torn the
// frames it accepted that were not whole (0 is the only right answer). The
// limit beside them is one plain copy of a frame in one process.
func BenchmarkCrossProcess(b *testing.B) {
	frame := benchdata.Payload(frameBytes)
	b.Run("copy", func(b *testing.B) { benchdata.CopyLimit(b, frame, 4*frameBytes) })
	for _, mode := range []string{"reader=touch", "reader=ends", "reader=none", "heap"} {
		touch := mode == "reader=touch"
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(frameBytes)
			sname := uniqueName(b)
			writer := childCmd("benchwriter", sname, 0, uint64(b.N))
			if mode == "heap" {
				writer.Env = append(writer.Env, "IMGSTREAM_SHM_HEAP=1")
			}
			stdin, _ := writer.StdinPipe()
			stdout, _ := writer.StdoutPipe()
			if err := writer.Start(); err != nil {
				b.Fatal(err)
			}
			defer writer.Process.Kill()
			lines := bufio.NewScanner(stdout)
			lines.Scan()
			r, err := shm.Open(sname)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			var got, torn uint64
			var sink uint64
			done := make(chan struct{})
			go func() {
				defer close(done)
				for mode != "reader=none" && mode != "heap" {
					f, err := r.Next(context.Background())
					if err != nil {
						return
					}
					if touch {
						for i := 0; i+8 <= len(f.Data); i += 64 {
							sink += *(*uint64)(unsafe.Pointer(&f.Data[i]))
						}
					}
					n, whole := endsMatch(f.Data)
					if !f.Valid() {
						continue
					}
					if !whole || n != f.Number {
						torn++
					}
					got++
				}
			}()
			b.ResetTimer()
			io.WriteString(stdin, "go\n")
			lines.Scan()
			ns, _ := strconv.ParseInt(lines.Text(), 10, 64)
			writer.Wait()
			<-done
			b.StopTimer()
			b.ReportMetric(float64(ns)/float64(b.N), "writer-ns/frame")
			b.ReportMetric(100*float64(got)/float64(b.N), "received-pct")
			b.ReportMetric(float64(torn), "torn")
			_ = sink
		})
	}
}

// rateWriter copies frames of frameBytes, stamped at both ends, at
// IMGSTREAM_SHM_FPS frames a second (0: as fast as it can) until stdin
// closes: into a shm stream, or with IMGSTREAM_SHM_NAIVE set as the thread
// the package answers does it, into one shared buffer with no
// synchronisation at all (shm_array[:] = frame).
func rateWriter() int {
	fps, _ := strconv.ParseFloat(os.Getenv("IMGSTREAM_SHM_FPS"), 64)
	name := os.Getenv("IMGSTREAM_SHM_NAME")
	var publish func(frame []byte) error
	if os.Getenv("IMGSTREAM_SHM_NAIVE") != "" {
		p := filepath.Join(shm.Dir, name)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return 1
		}
		defer os.Remove(p)
		f.Truncate(frameBytes)
		mem, err := unix.Mmap(int(f.Fd()), 0, frameBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return 1
		}
		publish = func(frame []byte) error { copy(mem, frame); return nil }
	} else {
		w, err := shm.Create(name, frameBytes, 4)
		if err != nil {
			return 1
		}
		defer w.Close()
		h := header(frameBytes)
		publish = func(frame []byte) error { return w.Write(h, frame) }
	}
	frame := benchdata.Payload(frameBytes)
	var stopped atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); stopped.Store(true) }()
	fmt.Println("ready")
	start := time.Now()
	for n := uint64(1); !stopped.Load(); n++ {
		stampEnds(frame, n)
		if err := publish(frame); err != nil {
			return 1
		}
		if fps > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(n) * float64(time.Second) / fps))))
		}
	}
	return 0
}

// BenchmarkTornFrames counts the torn frames a reader accepts, in the same
// run: from the thread's approach (naive: one shared buffer the writer
// copies into and the reader copies out of, with no synchronisation) and
// from a shm stream (NextInto), each with a writer process at the thread's
// 700 frames a second and free-running. Each op is one new frame read.
func BenchmarkTornFrames(b *testing.B) {
	for _, fps := range []float64{700, 0} {
		rate := "free"
		if fps > 0 {
			rate = fmt.Sprint(fps)
		}
		for _, naive := range []bool{true, false} {
			kind := map[bool]string{true: "naive", false: "shm"}[naive]
			b.Run(kind+"/fps="+rate, func(b *testing.B) {
				name := uniqueName(b)
				writer := childCmd("ratewriter", name, 0, 0)
				writer.Env = append(writer.Env, fmt.Sprintf("IMGSTREAM_SHM_FPS=%g", fps))
				if naive {
					writer.Env = append(writer.Env, "IMGSTREAM_SHM_NAIVE=1")
				}
				stdin, _ := writer.StdinPipe()
				stdout, _ := writer.StdoutPipe()
				if err := writer.Start(); err != nil {
					b.Fatal(err)
				}
				defer func() { stdin.Close(); writer.Wait() }()
				bufio.NewScanner(stdout).Scan()
				var next func() []byte
				if naive {
					next = naiveReader(b, name)
				} else {
					r, err := shm.Open(name)
					if err != nil {
						b.Fatal(err)
					}
					defer r.Close()
					buf := make([]byte, frameBytes)
					next = func() []byte {
						f, err := r.NextInto(context.Background(), buf)
						if err != nil {
							b.Fatal(err)
						}
						return f.Data
					}
				}
				var torn, reads uint64
				b.SetBytes(frameBytes)
				for b.Loop() {
					if _, whole := endsMatch(next()); !whole {
						torn++
					}
					reads++
				}
				b.ReportMetric(100*float64(torn)/float64(reads), "torn-pct")
			})
		}
	}
}

// naiveReader returns the thread's reader of the naive writer's buffer:
// frame = shm_array.copy(), whenever the frame number at its start changed.
func naiveReader(b *testing.B, name string) func() []byte {
	f, err := os.Open(filepath.Join(shm.Dir, name))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	mem, err := unix.Mmap(int(f.Fd()), 0, frameBytes, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Munmap(mem) })
	buf := make([]byte, frameBytes)
	var last uint64
	return func() []byte {
		for {
			copy(buf, mem)
			if n := binary.LittleEndian.Uint64(buf); n != last {
				last = n
				return buf
			}
		}
	}
}

// idleReader waits for frames on an idle stream for two seconds, and
// prints the CPU it used, as a percentage of one core: with
// IMGSTREAM_SHM_SPIN set it polls the stream's latest frame number in a
// loop instead, as a reader without a futex does.
func idleReader() int {
	r, err := shm.Open(os.Getenv("IMGSTREAM_SHM_NAME"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer r.Close()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if _, err := r.Next(context.Background()); err != nil { // the one frame there is
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	const idle = 2 * time.Second
	c0, t0 := cpu(), time.Now()
	if os.Getenv("IMGSTREAM_SHM_SPIN") != "" {
		var spins atomic.Uint64
		for time.Since(t0) < idle {
			if _, err := r.Latest(); err == nil {
				spins.Add(1)
			}
		}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), idle)
		r.Next(ctx)
		cancel()
	}
	fmt.Println(100 * float64(cpu()-c0) / float64(time.Since(t0)))
	return 0
}

// BenchmarkIdleCPU measures the CPU a reader process uses while it waits
// two seconds for a frame from a live writer that publishes none: sleeping
// on the futex (go-futex, python-futex) and polling (go-spin).
func BenchmarkIdleCPU(b *testing.B) {
	for _, kind := range []string{"go-futex", "go-spin", "python-futex"} {
		b.Run(kind, func(b *testing.B) {
			var total float64
			for b.Loop() {
				name := uniqueName(b)
				w, err := shm.Create(name, 64, 2)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Write(header(64), make([]byte, 64)); err != nil {
					b.Fatal(err)
				}
				var out []byte
				if kind == "python-futex" {
					out, err = peer(b, "idle", name).Output()
				} else {
					cmd := childCmd("idlereader", name, 0, 0)
					if kind == "go-spin" {
						cmd.Env = append(cmd.Env, "IMGSTREAM_SHM_SPIN=1")
					}
					out, err = cmd.Output()
				}
				w.Close()
				if err != nil {
					b.Fatal(err)
				}
				pct, err := strconv.ParseFloat(string(out[:len(out)-1]), 64)
				if err != nil {
					b.Fatalf("%q: %v", out, err)
				}
				total += pct
			}
			b.ReportMetric(total/float64(b.N), "cpu-pct")
		})
	}
}

// BenchmarkPython measures the Python package across processes with
// 1280x688x3-byte frames: writer, a Python writer publishing as fast as it
// can (numpy array in, one copy) to a Go reader; reader, a Python reader
// copying frames out (numpy) from a free-running Go writer. Each reports
// the frames per second of its Python end, and reader the torn frames it
// accepted.
func BenchmarkPython(b *testing.B) {
	b.Run("writer", func(b *testing.B) {
		var fps float64
		for b.Loop() {
			name := uniqueName(b)
			w := peer(b, "bench-write", name, "300", strconv.Itoa(frameBytes))
			stdin, _ := w.StdinPipe()
			stdout, _ := w.StdoutPipe()
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			lines.Scan()
			r, err := shm.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					if _, err := r.Next(context.Background()); err != nil {
						return
					}
				}
			}()
			io.WriteString(stdin, "go\n")
			lines.Scan()
			fps, _ = strconv.ParseFloat(lines.Text(), 64)
			w.Wait()
			<-done
			r.Close()
		}
		b.ReportMetric(fps, "frames/s")
	})
	b.Run("reader", func(b *testing.B) {
		var fps, torn float64
		for b.Loop() {
			name := uniqueName(b)
			writer := childCmd("benchwriter", name, 0, 3000)
			wstdin, _ := writer.StdinPipe()
			wout, _ := writer.StdoutPipe()
			if err := writer.Start(); err != nil {
				b.Fatal(err)
			}
			bufio.NewScanner(wout).Scan()
			reader := peer(b, "bench-read", name)
			rout, _ := reader.StdoutPipe()
			if err := reader.Start(); err != nil {
				b.Fatal(err)
			}
			lines := bufio.NewScanner(rout)
			lines.Scan() // ready
			io.WriteString(wstdin, "go\n")
			lines.Scan()
			fmt.Sscan(lines.Text(), &fps, &torn)
			reader.Wait()
			writer.Wait()
		}
		b.ReportMetric(fps, "frames/s")
		b.ReportMetric(torn, "torn")
	})
}
