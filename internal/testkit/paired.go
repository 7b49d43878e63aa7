package testkit

import (
	"testing"
	"time"
)

// Paired times base and other alternately, each first in every other
// iteration, so that a busy machine slows them alike, and reports other's
// time over base's as the metric "x-"+baseName: steadier on a shared
// machine than two benchmarks run one after the other. bytes is what one
// call processes, for b.SetBytes.
func Paired(b *testing.B, bytes int64, baseName string, base, other func() error) {
	var spent [2]time.Duration
	pair := [2]func() error{base, other}
	b.SetBytes(bytes)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for k := range 2 {
			j := (i + k) % 2
			t0 := time.Now()
			if err := pair[j](); err != nil {
				b.Fatal(err)
			}
			spent[j] += time.Since(t0)
		}
		i++
	}
	b.ReportMetric(spent[1].Seconds()/spent[0].Seconds(), "x-"+baseName)
}
