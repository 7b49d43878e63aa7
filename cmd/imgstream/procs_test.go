package main

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestGovernorStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cores []float64
		want  []bool
	}{
		{"light load stays on one", []float64{0.01, 0.2, 0.49, 0.3}, []bool{false, false, false, false}},
		{"half a core takes all", []float64{0.1, 0.5, 0.1}, []bool{false, true, true}},
		{"ten quiet periods give one back",
			[]float64{0.9, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2},
			[]bool{true, true, true, true, true, true, true, true, true, true, false, false}},
		{"a busier period starts the quiet count again",
			[]float64{0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
			[]bool{true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, false}},
		{"between the thresholds, no change either way", []float64{0.4, 0.6, 0.4, 0.3, 0.26}, []bool{false, true, true, true, true}},
		{"up again after down", []float64{0.7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5}, []bool{true, true, true, true, true, true, true, true, true, true, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := governor{up: procsUp, down: procsDown, quiet: procsQuiet}
			for i, c := range tc.cores {
				if got := g.step(c); got != tc.want[i] {
					t.Fatalf("period %d (%.2f cores): all processors %v, want %v", i, c, got, tc.want[i])
				}
			}
		})
	}
}

// TestGovern runs the governor in this process, with short periods: all
// the processors at first, one once the process is quiet, all of them
// again once it keeps a core busy, and Go's default back when it stops.
func TestGovern(t *testing.T) {
	def := runtime.GOMAXPROCS(0)
	if def < 2 {
		t.Skip("one CPU: nothing to govern")
	}
	if _, ok := cpuTime(); !ok {
		t.Skip("no CPU time here")
	}
	const period = 50 * time.Millisecond
	waitFor := func(what string, ok func(n int) bool) {
		t.Helper()
		for deadline := time.Now().Add(400 * period); !ok(runtime.GOMAXPROCS(0)); time.Sleep(period / 5) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: GOMAXPROCS still %d after %v", what, runtime.GOMAXPROCS(0), 400*period)
			}
		}
	}
	// Thresholds low enough for a machine that other tests load.
	stop := govern(t.Context(), period, &governor{up: 0.2, down: 0.1, quiet: 3, all: true})
	defer stop()
	if n := runtime.GOMAXPROCS(0); n != def {
		t.Fatalf("at the start: GOMAXPROCS %d, want the default %d", n, def)
	}
	waitFor("quiet", func(n int) bool { return n == 1 })
	var quit atomic.Bool
	defer quit.Store(true)
	for range 2 {
		go func() {
			for x := 0; !quit.Load(); x++ {
				_ = x * x
			}
		}()
	}
	waitFor("a core busy", func(n int) bool { return n > 1 })
	if n := runtime.GOMAXPROCS(0); n != def {
		t.Errorf("under load: GOMAXPROCS %d, want the default %d", n, def)
	}
	quit.Store(true)
	waitFor("quiet again", func(n int) bool { return n == 1 })
	stop()
	if n := runtime.GOMAXPROCS(0); n != def {
		t.Errorf("after stop: GOMAXPROCS %d, want the default %d", n, def)
	}
}

func TestGovernorOff(t *testing.T) {
	def := runtime.GOMAXPROCS(0)
	stop := governProcs(context.Background()) // not marked: a test's context
	if n := runtime.GOMAXPROCS(0); n != def {
		t.Errorf("unmarked context: GOMAXPROCS %d, want it left at %d", n, def)
	}
	stop()
	t.Setenv("GOMAXPROCS", "2")
	if on, _ := withGovernor(context.Background()).Value(governedKey{}).(bool); on {
		t.Error("GOMAXPROCS set in the environment, and the governor is on")
	}
}
