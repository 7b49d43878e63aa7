package bufferio_test

import (
	"io"
	"testing"

	"github.com/imgstream/imgstream/bufferio"
	"github.com/imgstream/imgstream/internal/benchdata"
)

// BenchmarkBufferio writes and reads 64 KiB blocks through a 64 MiB Buffer,
// beside a plain copy of the same bytes in the same run.
func BenchmarkBufferio(b *testing.B) {
	const size, block = 64 << 20, 64 << 10
	p := benchdata.Payload(block)
	mem := benchdata.Payload(size)
	b.Run("copy", func(b *testing.B) { benchdata.CopyLimit(b, p, size) })
	b.Run("write", func(b *testing.B) {
		buf := bufferio.New(mem)
		b.SetBytes(block)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := buf.Write(p); err != nil {
				buf.Seek(0, io.SeekStart)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		buf := bufferio.NewReadOnly(mem)
		b.SetBytes(block)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := buf.Read(p); err != nil {
				buf.Seek(0, io.SeekStart)
			}
		}
	})
}
