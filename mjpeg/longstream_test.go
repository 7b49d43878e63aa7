package mjpeg_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/mjpeg"
)

// How a long-stream part states its length.
type lengthMode int

const (
	exactLength lengthMode = iota
	longLength             // 1 to 200 bytes too long, as some cameras send
	shortLength            // 1 to 200 bytes too short
	noLength
	mixedLength // each part one of the above, at random
)

func (m lengthMode) String() string {
	return [...]string{"exact", "too long", "too short", "missing", "mixed"}[m]
}

// longStream builds n parts of about size bytes each, in mode, ending with
// the closing boundary when closing is set and at the end of a part
// otherwise. Each body is random bytes between a JPEG's SOI and EOI, with
// line ends, dashes and near-boundaries sown in, as JPEG data can hold.
func longStream(seed uint64, n, size int, mode lengthMode, closing bool) (stream []byte, frames [][]byte) {
	rng := rand.New(rand.NewPCG(seed, 0))
	pool := make([]byte, 2*size)
	for j := range pool {
		pool[j] = byte(rng.UintN(256))
	}
	var b bytes.Buffer
	b.Grow(n * (size + 200))
	b.WriteString("--frame\r\n")
	for i := range n {
		f := make([]byte, size-50+rng.IntN(100))
		copy(f, pool[rng.IntN(size):])
		for range 8 {
			copy(f[rng.IntN(len(f)-16):], []string{"\r\n", "\n--", "\r\n--fram", "--frame-x", "\n\n"}[rng.IntN(5)])
		}
		f[0], f[1], f[len(f)-2], f[len(f)-1] = 0xff, 0xd8, 0xff, 0xd9
		frames = append(frames, f)
		m := mode
		if m == mixedLength {
			m = lengthMode(rng.IntN(int(mixedLength)))
		}
		b.WriteString("Content-Type: image/jpeg\r\n")
		switch m {
		case exactLength:
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(f))
		case longLength:
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(f)+1+rng.IntN(200))
		case shortLength:
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(f)-1-rng.IntN(200))
		}
		b.WriteString("\r\n")
		b.Write(f)
		switch {
		case i < n-1:
			b.WriteString("\r\n--frame\r\n")
		case closing:
			b.WriteString("\r\n--frame--\r\n")
		}
	}
	return b.Bytes(), frames
}

// TestReaderLongStream reads 4 000 frames in every Content-Length mode: every
// frame comes out byte for byte, the last one too, the heap stays within
// about one frame, and a frame costs at most a few allocations. A Reader
// that wrapped a new bufio.Reader for every too-long part grew by 64 KiB a
// frame here, and one that converted lines to strings allocated hundreds of
// times a frame.
func TestReaderLongStream(t *testing.T) {
	const n, size = 4000, 16 << 10
	for mode := exactLength; mode <= mixedLength; mode++ {
		for _, closing := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/closing=%v", mode, closing), func(t *testing.T) {
				stream, frames := longStream(uint64(mode)*2+map[bool]uint64{true: 1}[closing], n, size, mode, closing)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				r := mjpeg.NewReader(bytes.NewReader(stream), "frame")
				var maxHeap uint64
				for i, want := range frames {
					got, err := r.NextFrame()
					require.NoError(t, err, "frame %d", i)
					if !bytes.Equal(got, want) {
						require.Failf(t, "frame differs", "frame %d: got %d bytes, want %d", i, len(got), len(want))
					}
					if i%500 == 499 {
						var m runtime.MemStats
						runtime.GC()
						runtime.ReadMemStats(&m)
						maxHeap = max(maxHeap, m.HeapAlloc)
					}
				}
				_, err := r.NextFrame()
				assert.Equal(t, io.EOF, err)
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(r)

				grown := int64(maxHeap) - int64(before.HeapAlloc)
				t.Logf("heap grown by %d KiB over %d frames; %.2f allocs a frame",
					grown>>10, n, float64(after.Mallocs-before.Mallocs)/n)
				assert.Less(t, grown, int64(2*size+3*64<<10), "heap bounded by about one frame and the read buffers")
				assert.LessOrEqual(t, float64(after.Mallocs-before.Mallocs)/n, 4.0, "allocations a frame in steady state")
			})
		}
	}
}

// TestReaderLongStreamHostile reads the mixed stream through readers that
// return a byte at a time, half of what is asked, or data with io.EOF.
func TestReaderLongStreamHostile(t *testing.T) {
	stream, frames := longStream(99, 300, 4<<10, mixedLength, false)
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"onebyte": iotest.OneByteReader, "half": iotest.HalfReader, "dataerr": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readAllFrames(t, mjpeg.NewReader(wrap(bytes.NewReader(stream)), "frame"))
			require.NoError(t, err)
			require.Equal(t, len(frames), len(got))
			for i := range frames {
				require.True(t, bytes.Equal(frames[i], got[i]), "frame %d", i)
			}
		})
	}
}

// BenchmarkReader reads 16 KiB frames from a stream with and without
// Content-Length headers, against a plain copy of the same bytes.
func BenchmarkReader(b *testing.B) {
	const n, size = 256, 16 << 10
	for _, mode := range []lengthMode{exactLength, longLength, noLength} {
		stream, _ := longStream(7, n, size, mode, true)
		b.Run(mode.String(), func(b *testing.B) {
			b.SetBytes(int64(len(stream)) / n)
			b.ReportAllocs()
			src := bytes.NewReader(stream)
			r := mjpeg.NewReader(src, "frame")
			for b.Loop() {
				if _, err := r.NextFrame(); err == io.EOF {
					src.Reset(stream)
					r = mjpeg.NewReader(src, "frame")
				} else if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	stream, _ := longStream(7, n, size, exactLength, true)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(len(stream)) / n)
		b.ReportAllocs()
		dst := make([]byte, size+64)
		off := 0
		for b.Loop() {
			if off+len(dst) > len(stream) {
				off = 0
			}
			off += copy(dst, stream[off:off+len(dst)])
		}
	})
}
