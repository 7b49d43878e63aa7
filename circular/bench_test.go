package circular_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/internal/benchdata"
)

// The benchmarks run each workload beside its physical limit in the same
// run: a plain copy of the same bytes into a preallocated slice.

const benchCap = benchdata.RingCap

var (
	benchSizes   = benchdata.RingSizes
	benchPayload = benchdata.Payload
)

// BenchmarkWrite appends writes to a full 64 MiB ring, so every write
// drops old ones.
func BenchmarkWrite(b *testing.B) {
	for _, sz := range benchSizes {
		p := benchPayload(sz.N)
		b.Run(sz.Name+"/copy", func(b *testing.B) { benchdata.CopyLimit(b, p, benchdata.RingCap) })
		b.Run(sz.Name+"/circular", func(b *testing.B) {
			rb, err := circular.New(benchCap)
			if err != nil {
				b.Fatal(err)
			}
			for rb.Len()+sz.N <= benchCap {
				rb.Write(p)
			}
			b.SetBytes(int64(sz.N))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rb.Write(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sz.Name+"/frames", func(b *testing.B) {
			fb, err := circular.NewFrameBuffer(circular.FrameConfig{Size: benchCap})
			if err != nil {
				b.Fatal(err)
			}
			ts := time.Duration(0)
			for fb.Len()+sz.N <= benchCap {
				ts += time.Millisecond
				fb.WriteFrame(p, circular.Delta, ts)
			}
			b.SetBytes(int64(sz.N))
			b.ReportAllocs()
			for b.Loop() {
				ts += time.Millisecond
				if err := fb.WriteFrame(p, circular.Delta, ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCopyNewest10 saves the newest 10 frames of a full ring, for rings
// holding few and many frames: the cost must not grow with the frames held.
func BenchmarkCopyNewest10(b *testing.B) {
	for _, sz := range benchSizes {
		p := benchPayload(sz.N)
		b.Run(sz.Name+"/copy", func(b *testing.B) {
			src, dst := benchPayload(10*sz.N), benchPayload(10*sz.N)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
			}
		})
		for _, capacity := range []int{12 * sz.N, benchCap} {
			fb, err := circular.NewFrameBuffer(circular.FrameConfig{Size: capacity})
			if err != nil {
				b.Fatal(err)
			}
			ts := time.Duration(0)
			for fb.Len()+sz.N <= capacity {
				ts += time.Millisecond
				fb.WriteFrame(p, circular.Delta, ts)
			}
			b.Run(fmt.Sprintf("%s/held%d", sz.Name, fb.Frames()), func(b *testing.B) {
				b.SetBytes(int64(10 * sz.N))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := fb.CopyTo(io.Discard, circular.Limit{Frames: 10}, circular.AnyFrame); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
