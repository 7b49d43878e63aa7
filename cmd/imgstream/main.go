// Command imgstream works with image sequences in OpenMV's OMV IMG STR
// files: it serves a recording live to a browser, inspects one, and repairs
// one that a power loss cut off.
//
//	imgstream serve testdata/sample.omv      # then open http://127.0.0.1:8080/
//	imgstream inspect recording.omv
//	imgstream repair recording.omv
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "imgstream:", err)
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// exitCode is 1 for a damaged recording, 2 for a usage error, 3 for
// anything else.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, errDamaged):
		return 1
	case errors.As(err, &ue):
		return 2
	}
	return 3
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "imgstream",
		Short:         "Record, replay, inspect and serve OpenMV image streams",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newInspect(), newRepair(), newShm())
	return root
}
