package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/export"
)

// verifyInfo is what verify --json reports, with the field names of info
// --json.
type verifyInfo struct {
	File    string         `json:"file"`
	Version string         `json:"version"`
	Count   int            `json:"count"`  // frames read whole before any damage
	OK      bool           `json:"ok"`     // every frame valid, strictly
	Damage  *export.Damage `json:"damage"` // the first problem; null when ok
}

func newVerify() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a recording strictly: every frame, every padding byte",
		Long: `Verify reads every frame of FILE with the strict reader: valid headers,
sizes, pixel formats and dimensions, whole payloads, and zero reserved and
padding bytes. It exits with code 0 and says so if all is well, and with
code 1 and the first problem's frame and offset otherwise. With --json, the
report is a JSON object: file, version, count, ok, and damage (frame,
offset, error; null when ok).`,
		Example: `  imgstream verify recording.omv && echo ok
  imgstream verify --json recording.omv | jq .damage`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scan(cmd.Context(), cmd.InOrStdin(), args[0], true, true, nil)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), verifyInfo{File: s.File, Version: s.Version, Count: s.Count, OK: s.Damage == nil, Damage: s.Damage}); err != nil {
					return err
				}
			}
			if s.Damage != nil {
				return fmt.Errorf("%s: %w: frame %d at offset %d: %s", s.File, errDamaged, s.Damage.Frame, s.Damage.Offset, s.Damage.Error)
			}
			if !asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok, %d frames, OMV IMG STR %s\n", s.File, s.Count, s.Version)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
