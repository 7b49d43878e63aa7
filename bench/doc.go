// Package bench compares imgstream with the libraries a Go programmer would
// otherwise pick, in the same benchmark run and beside the physical limit
// (a plain copy). It is its own module so that no peer ever enters the
// library's go.mod.
//
//	cd bench && go test -run '^$' -bench . -count 6 | go run ../internal/benchratio -limit copy
package bench
