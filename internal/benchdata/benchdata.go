// Package benchdata holds the workloads that the library's benchmarks and
// the peer benchmarks in bench/ share, so both measure the same thing.
package benchdata

import "testing"

// A Size is one write or frame size of a benchmark workload.
type Size struct {
	Name string
	N    int
}

// RingSizes are the write sizes of the ring-buffer workloads: a small
// encoded frame, a medium one, and a 640x480 RGB565 frame.
var RingSizes = []Size{{"4KiB", 4 << 10}, {"64KiB", 64 << 10}, {"600KiB", 600 << 10}}

// RingCap is the capacity of the ring-buffer workloads.
const RingCap = 64 << 20

// Payload returns n bytes of non-zero data. Benchmarks must copy real data:
// pages never written all map the kernel's zero page and read faster than
// any memory.
func Payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return p
}

// CopyLimit is the physical limit of a stream write benchmark: it copies p
// into successive places of a preallocated slice of capacity bytes, wrapping
// at its end, as b.Loop runs.
func CopyLimit(b *testing.B, p []byte, capacity int) {
	dst := Payload(capacity)
	off := 0
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if off+len(p) > len(dst) {
			off = 0
		}
		copy(dst[off:], p)
		off += len(p)
	}
}
