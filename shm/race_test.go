//go:build linux && race

package shm_test

// raceEnabled is set when the race detector is on: its children start
// slowly, so the tests that spawn hundreds of them spawn fewer, and
// `make test` runs them again without it at full count.
const raceEnabled = true
