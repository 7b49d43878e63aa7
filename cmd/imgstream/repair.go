package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// repairInfo is what repair --json reports, with the field names of info
// --json.
type repairInfo struct {
	File         string         `json:"file"`
	DryRun       bool           `json:"dry_run"`       // nothing was changed
	Count        int            `json:"count"`         // complete frames kept
	KeptBytes    int64          `json:"kept_bytes"`    // the file's size after the repair
	DroppedBytes int64          `json:"dropped_bytes"` // bytes cut off the end (0: nothing to repair)
	Damage       *export.Damage `json:"damage"`        // what was cut, from its first byte; null when whole
}

func newRepair() *cobra.Command {
	var dry, asJSON bool
	cmd := &cobra.Command{
		Use:   "repair FILE",
		Short: "Cut a damaged recording back to its last complete frame",
		Long: `Repair cuts FILE back to its last complete frame, so that every reader
accepts it whole, and says what it kept and dropped. A recording cut off by
a power loss or a killed recorder keeps every frame that was complete. With
--dry-run it only says what it would do. With --json, the report is a JSON
object: file, dry_run, count (frames kept), kept_bytes, dropped_bytes, and
damage (frame, offset, error; null when the file is whole).`,
		Example: `  imgstream repair --dry-run recording.omv
  imgstream repair recording.omv
  imgstream repair --json recording.omv | jq .dropped_bytes`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if err := cmd.Context().Err(); err != nil {
				return context.Cause(cmd.Context())
			}
			var (
				rep imageio.RepairReport
				err error
			)
			if dry {
				rep, err = imageio.DryRepair(args[0])
			} else {
				rep, err = imageio.Repair(args[0])
			}
			if errors.Is(err, container.ErrBadMagic) || errors.Is(err, container.ErrUnsupportedVersion) {
				return fmt.Errorf("%w: %w", errNotRecording, err)
			}
			if errors.Is(err, imageio.ErrNotRegular) {
				// Only a file can be cut: imageio opens nothing else (a FIFO
				// or a device would be read, or waited on, for ever).
				return fmt.Errorf("%w: %w, and repair cuts files", errNotRecording, err)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(out, repairInfo{File: args[0], DryRun: dry, Count: rep.Frames, KeptBytes: rep.Size, DroppedBytes: rep.Dropped, Damage: export.DamageOf(rep.Frames, rep.Cause)})
			}
			if rep.Dropped == 0 {
				fmt.Fprintf(out, "%s: %d frames, nothing to repair\n", args[0], rep.Frames)
				return nil
			}
			verb := "kept"
			if dry {
				verb = "would keep"
			}
			fmt.Fprintf(out, "%s: %s %d frames (%d bytes), dropping %d bytes after %v\n", args[0], verb, rep.Frames, rep.Size, rep.Dropped, rep.Cause)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&dry, "dry-run", "n", false, "say what would be cut, and change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
