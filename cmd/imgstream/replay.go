package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/natsbus"
)

func newReplay() *cobra.Command {
	var n natsFlags
	var since, until time.Duration
	var out string
	var fast bool
	cmd := &cobra.Command{
		Use:   "replay CAMERA",
		Short: "Replay a camera that JetStream recorded (publish --keep): as an OMV file, or on stdout",
		Long: `Replay reads what JetStream recorded of CAMERA, from --since ago (all of it
when not given) to --until ago or the newest frame.

With -o FILE it writes an OMV recording (V2.1, microsecond timing) at once.
Without, it writes the OMV stream on stdout at the recorded pace (--fast: as
fast as it can), for imgstream serve - or a program of your own.`,
		Example: `  imgstream replay door --since 10m -o door.omv
  imgstream replay --nats nats://nats.local:4222 door --since 1h | imgstream serve -`,
		Args: nArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nc, err := n.connect("")
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			o := natsbus.ReplayOptions{Paced: !fast}
			now := time.Now()
			if since > 0 {
				o.Since = now.Add(-since)
			}
			if until > 0 {
				o.Until = now.Add(-until)
			}
			ctx := cmd.Context()
			if out != "" {
				// Written under a temporary name and named when whole: a
				// failed or empty replay leaves nothing behind, and a file
				// of that name as it was.
				f, err := createPartial(ctx, out)
				if err != nil {
					return err
				}
				defer f.drop()
				st, err := natsbus.Export(ctx, js, args[0], o, f)
				if err == nil && st.Frames == 0 {
					err = usageError{fmt.Errorf("%s: nothing is recorded in that range: nothing written", args[0])}
				}
				if err == nil {
					err = f.keep()
				}
				if err != nil {
					return replayError(err, args[0])
				}
				if !quiet(cmd) {
					fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: %s: %d frames%s\n", out, st.Frames, exportNotes(st))
				}
				return nil
			}
			zw := container.NewWriter(cmd.OutOrStdout())
			var (
				last time.Time
				jpg  []byte
				st   natsbus.ExportStats // what the stream could not carry as it came
			)
			err = natsbus.Replay(ctx, js, args[0], o, func(f *natsbus.Frame) error {
				h, data := f.Header, f.Data
				if h.Format == container.RGB24 || h.Format == container.BGR24 {
					// An OMV stream cannot carry them: JPEG, as replay -o.
					m := imageio.ImageOf(&h, data)
					var err error
					if jpg, err = m.AppendJPEG(jpg[:0]); err != nil {
						st.Skipped++
						return nil
					}
					h.Format, h.Size, data = container.JPEG, len(jpg), jpg
					st.Converted++
				}
				h.Elapsed = 0
				if !last.IsZero() && f.Time.After(last) {
					h.Elapsed = f.Time.Sub(last)
				}
				if h.Elapsed > maxElapsedV20 {
					h.Elapsed = maxElapsedV20
					st.Clamped++
				}
				err := zw.WriteFrame(&h, data)
				if errors.Is(err, container.ErrInvalidPixFormat) || errors.Is(err, container.ErrInvalidSize) || errors.Is(err, container.ErrInvalidDimensions) {
					st.Skipped++ // written nothing: the stream goes on
					return nil
				}
				last = f.Time
				st.Frames++
				return err
			})
			if notes := exportNotes(st); notes != "" && !quiet(cmd) {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: %d frames%s\n", st.Frames, notes)
			}
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return replayError(err, args[0])
		},
	}
	n.add(cmd)
	cmd.Flags().DurationVar(&since, "since", 0, "start this long ago")
	cmd.Flags().DurationVar(&until, "until", 0, "end this long ago")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write an OMV file instead of the stream on stdout")
	cmd.Flags().BoolVar(&fast, "fast", false, "on stdout: as fast as possible, not at the recorded pace")
	return cmd
}

// replayError says what a replay's error means for camera.
func replayError(err error, camera string) error {
	if errors.Is(err, natsbus.ErrNotRecorded) {
		return plainError{fmt.Sprintf("nothing is recorded for %s: publish with --keep", camera), err}
	}
	return err
}

// plainError is an error told in words of the command line, which still
// matches the error it stands for.
type plainError struct {
	msg string
	err error
}

func (e plainError) Error() string { return e.msg }
func (e plainError) Unwrap() error { return e.err }

// maxElapsedV20 is the longest interval of a V2.0 stream: a uint32 of
// milliseconds, about 49.7 days.
const maxElapsedV20 = math.MaxUint32 * time.Millisecond

// exportNotes tells what an export could not write as it came, or "".
func exportNotes(st natsbus.ExportStats) string {
	var notes []string
	add := func(n int, what string) {
		if n > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(st.Converted, "RGB24/BGR24 converted to JPEG")
	add(st.Clamped, "gaps longer than the file's time field holds shortened to it")
	add(st.Skipped, "left out (a format OMV cannot hold, or a clock that stepped back)")
	add(st.Lost, "lost (a chunk missing)")
	add(st.Invalid, "messages that are not frames")
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, ", ")
}
