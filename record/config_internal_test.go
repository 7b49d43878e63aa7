package record

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPreSizeMemory: a pre-trigger ring over a quarter of the machine's
// memory is a configuration error, not a runtime crash when New
// allocates it; one under it is made, and so is the default on any
// machine.
func TestPreSizeMemory(t *testing.T) {
	orig := physicalMemory
	t.Cleanup(func() { physicalMemory = orig })
	physicalMemory = func() uint64 { return 256 << 20 }
	src := SourceFunc(func(context.Context, func(*Frame) error) error { return nil })
	_, err := New(Config{Source: src, Mode: Events, PreSize: 65 << 20})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "256 MiB of memory") {
		t.Errorf("PreSize 65 MiB of 256: %v", err)
	}
	for _, size := range []int{0, 64 << 20} {
		if _, err := New(Config{Source: src, Mode: Events, PreSize: size}); err != nil {
			t.Errorf("PreSize %d of 256 MiB: %v", size, err)
		}
	}
	physicalMemory = func() uint64 { return 0 } // unknown: MaxPreSize alone
	if _, err := New(Config{Source: src, Mode: Events, PreSize: MaxPreSize + 1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("PreSize over MaxPreSize: %v", err)
	}
}
