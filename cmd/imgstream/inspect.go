package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

func newInspect() *cobra.Command {
	var frames, strict bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Describe a recording: version, frames, formats, duration, damage",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Damage is known from the header index before any listing.
			if s, err := imageio.Open(args[0], nil); err == nil {
				if d := s.Damage(); d != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: warning: %s is damaged at %v, after %d good frames\n", args[0], d, s.Count())
				}
				s.Close()
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			zr, err := container.NewReader(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			zr.Strict = strict
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
			if frames {
				fmt.Fprintln(tw, "frame\toffset\telapsed\tsize\tformat\tbytes")
			}
			var (
				n       int
				total   time.Duration
				bytes   int64
				formats = map[string]int{}
				damage  error
			)
			for {
				h, err := zr.Next()
				if err != nil {
					if !errors.Is(err, io.EOF) {
						damage = err
					}
					break
				}
				if frames {
					fmt.Fprintf(tw, "%d\t%d\t%v\t%dx%d\t%v\t%d\n", n, zr.Offset(), h.Elapsed, h.Width, h.Height, h.Format, h.Size)
				}
				n++
				total += h.Elapsed
				bytes += int64(h.Size)
				formats[fmt.Sprintf("%v %dx%d", h.Format, h.Width, h.Height)]++
			}
			tw.Flush()
			fmt.Fprintf(out, "%s: OMV IMG STR %s, %d frames, %v", args[0], zr.Version(), n, total)
			if n > 1 && total > 0 {
				fmt.Fprintf(out, " (%.1f fps)", float64(n)/total.Seconds())
			}
			fmt.Fprintf(out, ", %d bytes of pixels\n", bytes)
			for _, k := range slices.Sorted(maps.Keys(formats)) {
				fmt.Fprintf(out, "  %d x %s\n", formats[k], k)
			}
			if damage != nil {
				fmt.Fprintf(out, "damaged: %v\n(imgstream repair cuts the file back to its %d complete frames)\n", damage, n)
				return errDamaged
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&frames, "frames", false, "list every frame")
	cmd.Flags().BoolVar(&strict, "strict", false, "report non-zero reserved and padding bytes as damage")
	return cmd
}

var errDamaged = errors.New("the recording is damaged")
