package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/shm"
)

func newShm() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "shm",
		Short:   "List and clean up shared-memory streams in /dev/shm",
		Example: "  imgstream shm ls\n  imgstream shm rm --stale",
		Long: `A shared-memory stream whose writer was killed stays in /dev/shm until its
name is used again. ls shows the streams and whether a writer holds each;
rm removes streams that no writer holds, and never a live one or a file
that is not a stream.`,
		// Runnable, so that a word that is no subcommand is a usage error
		// rather than the help and exit code 0.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
			}
			return cmd.Help()
		},
	}
	ls := &cobra.Command{
		Use:     "ls",
		Short:   "List the shared-memory streams",
		Example: "  imgstream shm ls",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := shm.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tSLOTS\tFRAME SIZE\tFRAMES\tWRITER PID\tSIZE")
			for _, in := range list {
				state := "stale"
				switch {
				case in.Alive:
					state = "live"
				case in.Closed:
					state = "closed"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", in.Name, state, in.Slots, in.FrameSize, in.Frames, in.WriterPID, in.Size)
			}
			return tw.Flush()
		},
	}
	var stale bool
	rm := &cobra.Command{
		Use:   "rm [NAME...]",
		Short: "Remove shared-memory streams that no writer holds",
		Example: `  imgstream shm rm camera0
  imgstream shm rm --stale`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case stale && len(args) > 0:
				return usageError{errors.New("give stream names or --stale, not both")}
			case !stale && len(args) == 0:
				return usageError{errors.New("say which streams to remove: their names (see imgstream shm ls), or --stale for every one that no writer holds")}
			}
			out := cmd.OutOrStdout()
			if stale {
				removed, err := shm.RemoveStale()
				for _, name := range removed {
					fmt.Fprintln(out, "removed", name)
				}
				return err
			}
			var errs []error
			for _, name := range args {
				if err := shm.Remove(name); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", name, err))
					continue
				}
				fmt.Fprintln(out, "removed", name)
			}
			return errors.Join(errs...)
		},
	}
	rm.Flags().BoolVar(&stale, "stale", false, "remove every stream that no writer holds")
	cmd.AddCommand(ls, rm)
	return cmd
}
