package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/shm"
)

// shmInfo is a stream as shm ls --json reports it, with the field names of
// info --json.
type shmInfo struct {
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	State     string    `json:"state"`      // live (a writer holds it), closed or stale
	Slots     int       `json:"slots"`      // frames it holds at once
	FrameSize int       `json:"frame_size"` // largest frame, in bytes
	Count     uint64    `json:"count"`      // frames published so far
	WriterPID int       `json:"writer_pid"` // the process that created it
	Size      int64     `json:"size"`       // bytes of the file
	ModTime   time.Time `json:"mod_time"`   // the file's last change
}

// shmList is what shm ls --json reports.
type shmList struct {
	Streams []shmInfo `json:"streams"`
}

// shmState says whether a writer holds a stream (live), closed it, or left
// it (stale).
func shmState(in *shm.Info) string {
	switch {
	case in.Alive:
		return "live"
	case in.Closed:
		return "closed"
	}
	return "stale"
}

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
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the shared-memory streams",
		Long: `ls lists the shared-memory streams and whether a writer holds each. With
--json, one JSON object: streams, each with name, path, state (live,
closed or stale), slots, frame_size, count (frames published), writer_pid,
size and mod_time.`,
		Example: "  imgstream shm ls\n  imgstream shm ls --json | jq -r '.streams[] | select(.state == \"stale\") | .name'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := shm.List()
			if err != nil {
				return err
			}
			if asJSON {
				r := shmList{Streams: []shmInfo{}}
				for _, in := range list {
					r.Streams = append(r.Streams, shmInfo{Name: in.Name, Path: in.Path, State: shmState(&in), Slots: in.Slots, FrameSize: in.FrameSize,
						Count: in.Frames, WriterPID: in.WriterPID, Size: in.Size, ModTime: in.ModTime})
				}
				return writeJSON(cmd.OutOrStdout(), r)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tSLOTS\tFRAME SIZE\tFRAMES\tWRITER PID\tSIZE")
			for _, in := range list {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", in.Name, shmState(&in), in.Slots, in.FrameSize, in.Frames, in.WriterPID, in.Size)
			}
			return tw.Flush()
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
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
