package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/imageio"
)

func newRepair() *cobra.Command {
	return &cobra.Command{
		Use:   "repair FILE",
		Short: "Cut a damaged recording back to its last complete frame",
		Long: `Repair cuts FILE back to its last complete frame, so that every reader
accepts it whole, and says what it kept and dropped. A recording cut off by
a power loss or a killed recorder keeps every frame that was complete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := imageio.Repair(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rep.Dropped == 0 {
				fmt.Fprintf(out, "%s: %d frames, nothing to repair\n", args[0], rep.Frames)
				return nil
			}
			fmt.Fprintf(out, "%s: kept %d frames (%d bytes), dropped %d bytes after %v\n", args[0], rep.Frames, rep.Size, rep.Dropped, rep.Cause)
			return nil
		},
	}
}
