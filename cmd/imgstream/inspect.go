package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
)

// frameInfo is one frame as info and frames report it: the fields of the
// golden files' manifest.
type frameInfo struct {
	Index   int    `json:"index"`
	Offset  int64  `json:"offset"`
	Elapsed int64  `json:"elapsed"`          // in the file's unit (time_unit)
	Time    int64  `json:"time_us"`          // since the stream's start, microseconds
	W       int    `json:"w"`                // width
	H       int    `json:"h"`                // height
	PixFmt  string `json:"pixfmt"`           // OpenMV's name, such as RGB565
	Size    int    `json:"size"`             // payload bytes
	SHA256  string `json:"sha256,omitempty"` // of the payload as a reader returns it
}

// scan reads the recording at path (or stdin for "-") frame by frame,
// calling fn for each, and returns the summary (export.Summary, the schema
// of the player's /api/info too). withHash reads every payload, for its
// SHA-256; without it payloads are skipped. It stops with ctx's cause when
// ctx is done, even in a read that waits on a FIFO or a pipe. Damage is
// reported in the summary; an input that is not a recording, and a
// failure to read, are errors.
func scan(ctx context.Context, stdin io.Reader, path string, strict, withHash bool, fn func(*frameInfo)) (*export.Summary, error) {
	in, err := openInput(ctx, path, stdin)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	zr, err := container.NewReader(in)
	if err != nil {
		return nil, readerError(path, err)
	}
	zr.Strict = strict
	unit := zr.Version().TimeUnit()
	s, err := export.ReadSummary(ctx, path, zr, withHash, func(f *export.Frame) {
		if fn == nil {
			return
		}
		h := f.Header
		fi := frameInfo{Index: f.Index, Offset: f.Offset, Elapsed: int64(h.Elapsed / unit), Time: f.Time.Microseconds(),
			W: h.Width, H: h.Height, PixFmt: h.Format.String(), Size: h.Size}
		if withHash {
			sum := sha256.Sum256(f.Payload)
			fi.SHA256 = hex.EncodeToString(sum[:])
		}
		fn(&fi)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A file's size and modification time, as the player's /api/info
	// gives them.
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			s.Size, s.Modified = fi.Size(), fi.ModTime()
		}
	}
	return s, nil
}

func newInfo() *cobra.Command {
	var asJSON, strict, list bool
	cmd := &cobra.Command{
		Use:     "info FILE",
		Aliases: []string{"inspect"},
		Short:   "Describe a recording: version, frames, formats, duration, frame rate, damage",
		Long: `Info describes FILE ("-" for stdin): its version, frame count, duration
(from the first frame to the last), mean, lowest and highest frame rate, the
formats it holds, and where it is damaged, if it is. A damaged recording
exits with code 1. With --list, every frame too. With --json, the summary
as JSON: the schema of the player's /api/info (file, version, time_unit,
count, duration_us, fps, min_fps, max_fps, width, height, bytes, formats,
size and modified for a file, damage).

--list was --frames before this release: --frames still works, for now.`,
		Example: `  imgstream info recording.omv
  imgstream info --json recording.omv | jq .fps`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			// A file's damage is known from its header index at once,
			// before a long listing: say so first. (Only a file's: a
			// FIFO's bytes would be read twice.)
			if fi, err := os.Stat(args[0]); err == nil && fi.Mode().IsRegular() && list && !quiet(cmd) {
				if s, err := imageio.Open(args[0], nil); err == nil {
					if d := s.Damage(); d != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: warning: %s is damaged at %v, after %d good frames\n", args[0], d, s.Count())
					}
					s.Close()
				}
			}
			tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			if list {
				fmt.Fprintln(tw, "frame\toffset\telapsed\tsize\tformat\tbytes")
			}
			s, err := scan(cmd.Context(), cmd.InOrStdin(), args[0], strict, false, func(f *frameInfo) {
				if list {
					fmt.Fprintf(tw, "%d\t%d\t%v\t%dx%d\t%s\t%d\n", f.Index, f.Offset, time.Duration(f.Time)*time.Microsecond, f.W, f.H, f.PixFmt, f.Size)
				}
			})
			if err != nil {
				return err
			}
			tw.Flush()
			if asJSON {
				if err := s.WriteJSON(out); err != nil {
					return err
				}
			} else {
				d := time.Duration(s.DurationUS) * time.Microsecond
				fmt.Fprintf(out, "%s: OMV IMG STR %s, %d frames, %v", s.File, s.Version, s.Count, d)
				if s.FPS > 0 {
					fmt.Fprintf(out, " (%.1f fps, %.1f to %.1f)", s.FPS, s.MinFPS, s.MaxFPS)
				}
				fmt.Fprintf(out, ", %d bytes of pixels\n", s.Bytes)
				for _, k := range slices.Sorted(maps.Keys(s.Formats)) {
					fmt.Fprintf(out, "  %d x %s\n", s.Formats[k], k)
				}
			}
			if s.Damage != nil {
				if !asJSON {
					fmt.Fprintf(out, "damaged: frame %d at offset %d: %s\n(imgstream repair cuts the file back to its %d complete frames)\n", s.Damage.Frame, s.Damage.Offset, s.Damage.Error, s.Count)
				}
				return fmt.Errorf("%s: %w at frame %d, offset %d", s.File, errDamaged, s.Damage.Frame, s.Damage.Offset)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.Flags().BoolVar(&list, "list", false, "list every frame too (see also: imgstream frames); was --frames")
	oldFlag(cmd, "list", "frames", "")
	cmd.Flags().BoolVar(&strict, "strict", false, "report non-zero reserved and padding bytes as damage")
	return cmd
}

func newFrames() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "frames FILE",
		Short: "List a recording's frames, one line each",
		Long: `Frames lists the frames of FILE ("-" for stdin): index, byte offset, elapsed
time since the previous frame in the file's unit, time since the first frame,
dimensions, format, payload size and the payload's SHA-256. With --json, one
JSON object a line, with the fields of the golden files' manifest.`,
		Example: `  imgstream frames recording.omv
  imgstream frames --json recording.omv | jq -r .sha256`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			e := json.NewEncoder(out)
			tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			if !asJSON {
				fmt.Fprintln(tw, "index\toffset\telapsed\ttime\tsize\tformat\tbytes\tsha256")
			}
			var werr error
			s, err := scan(cmd.Context(), cmd.InOrStdin(), args[0], false, true, func(f *frameInfo) {
				if asJSON {
					if err := e.Encode(f); err != nil && werr == nil {
						werr = err
					}
					return
				}
				fmt.Fprintf(tw, "%d\t%d\t%d\t%v\t%dx%d\t%s\t%d\t%s\n", f.Index, f.Offset, f.Elapsed, time.Duration(f.Time)*time.Microsecond, f.W, f.H, f.PixFmt, f.Size, f.SHA256)
			})
			if err != nil {
				return err
			}
			tw.Flush()
			if werr != nil {
				return werr
			}
			if s.Damage != nil {
				return fmt.Errorf("%s: %w at frame %d, offset %d: %s", s.File, errDamaged, s.Damage.Frame, s.Damage.Offset, s.Damage.Error)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object a frame")
	return cmd
}
