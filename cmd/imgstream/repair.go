package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

func newRepair() *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "repair FILE",
		Short: "Cut a damaged recording back to its last complete frame",
		Long: `Repair cuts FILE back to its last complete frame, so that every reader
accepts it whole, and says what it kept and dropped. A recording cut off by
a power loss or a killed recorder keeps every frame that was complete. With
--dry-run it only says what it would do.`,
		Example: `  imgstream repair --dry-run recording.omv
  imgstream repair recording.omv`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			// Only a file can be cut: a FIFO or a device would be read,
			// or waited on, for ever.
			fi, err := os.Stat(args[0])
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s: %w: it is a %s, and repair cuts files", args[0], errNotRecording, kind(fi.Mode()))
			}
			if err := cmd.Context().Err(); err != nil {
				return context.Cause(cmd.Context())
			}
			var rep imageio.RepairReport
			if dry {
				rep, err = dryRepair(args[0])
			} else {
				rep, err = imageio.Repair(args[0])
			}
			if errors.Is(err, container.ErrBadMagic) || errors.Is(err, container.ErrUnsupportedVersion) {
				return fmt.Errorf("%w: %w", errNotRecording, err)
			}
			if err != nil {
				return err
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
	return cmd
}

// kind names a file's type, for a message.
func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "FIFO"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// dryRepair is what Repair would report, from the header index alone.
func dryRepair(path string) (imageio.RepairReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return imageio.RepairReport{}, err
	}
	defer f.Close()
	x, cause := container.ReadIndex(f)
	if x == nil {
		return imageio.RepairReport{}, fmt.Errorf("%s: %w", path, cause)
	}
	fi, err := f.Stat()
	if err != nil {
		return imageio.RepairReport{}, err
	}
	var fe *container.FrameError
	if cause != nil && !errors.As(cause, &fe) {
		return imageio.RepairReport{}, cause
	}
	return imageio.RepairReport{Frames: len(x.Entries), Size: x.End, Dropped: fi.Size() - x.End, Cause: cause}, nil
}
