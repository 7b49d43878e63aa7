//go:build !unix

package main

import "time"

// cpuTime reports that the process's CPU time is not measured here, which
// leaves GOMAXPROCS to Go.
func cpuTime() (time.Duration, bool) { return 0, false }
