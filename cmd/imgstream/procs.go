package main

import (
	"context"
	"os"
	"runtime"
	"time"
)

// A recorder of a few cameras does little work, in short bursts: a frame
// comes, is put in the ring, written, and every thread goes back to sleep.
// With more than one Go processor (P), each burst also wakes a second
// thread that looks for work to steal and finds none, and on this
// project's virtual machines the waking costs more than the work: one
// camera recorded with GOMAXPROCS=1 took 0.8x the CPU it took with two.
// With many cameras, or a heavy one (raw frames encoded as JPEG), one P is
// too few: the frames would wait for it.
//
// So record governs GOMAXPROCS: it starts with all the processors (Go's
// default), drops to one after procsQuiet periods in a row below
// procsDown of a core, and takes all of them again from the first period
// above procsUp. Starting with all of them, a recorder busy from its
// first second never waits for a processor. A GOMAXPROCS in the
// environment turns the governor off, as does a machine with one CPU.
const (
	procsPeriod = time.Second
	procsUp     = 0.5  // cores over one period that take all the processors
	procsDown   = 0.25 // cores under which, for procsQuiet periods, one is enough
	procsQuiet  = 10
)

// A governor decides GOMAXPROCS from the CPU the process used, one period
// at a time. It is only the decision: govern applies it.
type governor struct {
	up, down float64 // procsUp and procsDown
	quiet    int     // procsQuiet
	all      bool    // all the processors are on
	calm     int     // periods in a row under down while all are on
}

// step takes the cores the process used over the last period (1.5 is a
// core and a half) and reports whether all the processors should be on.
func (g *governor) step(cores float64) bool {
	switch {
	case !g.all && cores >= g.up:
		g.all, g.calm = true, 0
	case g.all && cores < g.down:
		g.calm++
		if g.calm >= g.quiet {
			g.all, g.calm = false, 0
		}
	case g.all:
		g.calm = 0
	}
	return g.all
}

// governedKey marks a context whose commands may govern GOMAXPROCS: main's,
// not a test's, whose other tests share the process.
type governedKey struct{}

// withGovernor returns ctx marked for governProcs, unless the environment
// sets GOMAXPROCS or the machine has one CPU.
func withGovernor(ctx context.Context) context.Context {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) < 2 {
		return ctx
	}
	if _, ok := cpuTime(); !ok {
		return ctx // no measure of the process's CPU here
	}
	return context.WithValue(ctx, governedKey{}, true)
}

// governProcs governs GOMAXPROCS, as the comment above procsPeriod says,
// if ctx is marked by withGovernor, until ctx is done or stop is called;
// stop gives back Go's default and waits for the governor to end.
func governProcs(ctx context.Context) (stop func()) {
	if on, _ := ctx.Value(governedKey{}).(bool); !on {
		return func() {}
	}
	return govern(ctx, procsPeriod, &governor{up: procsUp, down: procsDown, quiet: procsQuiet, all: true})
}

// govern applies g's decisions every period, from the process's CPU time,
// until ctx is done or stop is called.
func govern(ctx context.Context, period time.Duration, g *governor) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer runtime.SetDefaultGOMAXPROCS()
		t := time.NewTicker(period)
		defer t.Stop()
		cpu, _ := cpuTime()
		at := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				c, _ := cpuTime()
				was := g.all
				all := g.step(float64(c-cpu) / float64(now.Sub(at)))
				cpu, at = c, now
				switch {
				case all && !was:
					runtime.SetDefaultGOMAXPROCS()
				case !all && was:
					runtime.GOMAXPROCS(1)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
