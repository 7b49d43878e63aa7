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
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "imgstream",
		Short:         "Record, replay, inspect and serve OpenMV image streams",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newInspect(), newRepair())
	return root
}
