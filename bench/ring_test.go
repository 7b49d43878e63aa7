package bench

import (
	"io"
	"testing"
	"time"

	"github.com/armon/circbuf"
	"github.com/smallnest/ringbuffer"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/internal/benchdata"
)

// The ring workloads of issue 3: writes of 4 KiB, 64 KiB and 600 KiB into a
// full 64 MiB ring that keeps the newest bytes, and saving the newest 10
// writes. Each peer is used the way its users keep the newest data:
// armon/circbuf overwrites the oldest bytes itself; smallnest/ringbuffer
// refuses writes when full, so the oldest bytes are read off first.

const ringCap = benchdata.RingCap

var (
	sizes   = benchdata.RingSizes
	payload = benchdata.Payload
)

type ringWriter interface{ Write([]byte) (int, error) }

// smallnestKeepNewest makes smallnest/ringbuffer keep the newest bytes.
type smallnestKeepNewest struct {
	rb      *ringbuffer.RingBuffer
	discard []byte
}

func (s *smallnestKeepNewest) Write(p []byte) (int, error) {
	if need := len(p) - s.rb.Free(); need > 0 {
		if _, err := io.ReadFull(s.rb, s.discard[:need]); err != nil {
			return 0, err
		}
	}
	return s.rb.Write(p)
}

func newPeers(b *testing.B, n int) map[string]ringWriter {
	cb, err := circbuf.NewBuffer(ringCap)
	if err != nil {
		b.Fatal(err)
	}
	cr, err := circular.New(ringCap)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]ringWriter{
		"imgstream": cr,
		"armon":     cb,
		"smallnest": &smallnestKeepNewest{rb: ringbuffer.New(ringCap), discard: make([]byte, n)},
	}
}

func fill(b *testing.B, w ringWriter, p []byte) {
	for range ringCap/len(p) + 1 {
		if _, err := w.Write(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRingWrite(b *testing.B) {
	for _, sz := range sizes {
		p := payload(sz.N)
		b.Run(sz.Name+"/copy", func(b *testing.B) { benchdata.CopyLimit(b, p, benchdata.RingCap) })
		for _, name := range []string{"imgstream", "armon", "smallnest"} {
			b.Run(sz.Name+"/"+name, func(b *testing.B) {
				w := newPeers(b, sz.N)[name]
				fill(b, w, p)
				b.SetBytes(int64(sz.N))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := w.Write(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkRingNewest10 saves the newest 10 writes of a full ring.
func BenchmarkRingNewest10(b *testing.B) {
	for _, sz := range sizes {
		p := payload(sz.N)
		want := 10 * sz.N
		b.Run(sz.Name+"/copy", func(b *testing.B) {
			src, dst := payload(want), payload(want)
			b.SetBytes(int64(want))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
			}
		})
		b.Run(sz.Name+"/imgstream", func(b *testing.B) {
			fb, err := circular.NewFrameBuffer(circular.FrameConfig{Size: ringCap})
			if err != nil {
				b.Fatal(err)
			}
			for i := range ringCap/sz.N + 1 {
				fb.WriteFrame(p, circular.Delta, time.Duration(i))
			}
			b.SetBytes(int64(want))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := fb.CopyTo(io.Discard, circular.Limit{Frames: 10}, circular.AnyFrame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sz.Name+"/armon", func(b *testing.B) {
			cb, _ := circbuf.NewBuffer(ringCap)
			fill(b, cb, p)
			b.SetBytes(int64(want))
			b.ReportAllocs()
			for b.Loop() {
				all := cb.Bytes() // the whole ring, copied when it has wrapped
				io.Discard.Write(all[len(all)-want:])
			}
		})
		b.Run(sz.Name+"/smallnest", func(b *testing.B) {
			s := &smallnestKeepNewest{rb: ringbuffer.New(ringCap), discard: make([]byte, sz.N)}
			fill(b, s, p)
			dst := make([]byte, 0, ringCap)
			b.SetBytes(int64(want))
			b.ReportAllocs()
			for b.Loop() {
				all := s.rb.Bytes(dst) // the whole ring, copied
				io.Discard.Write(all[len(all)-want:])
			}
		})
	}
}
