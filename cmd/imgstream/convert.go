package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

func newConvert() *cobra.Command {
	var frames, times, ver, fps, scale string
	var speed float64
	var quality int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Rewrite a recording: another version, a range, new timing, JPEG, another size",
		Long: `Convert reads IN ("-" for stdin) and writes OUT as an OMV IMG STR file of
--version 2.0 (what current firmware writes), 2.1 (microsecond times, read
by OpenMV IDE) or 1.1 (for old firmware), in the canonical form the strict
reader accepts. It can keep a range (--frames, --time), retime the frames
(--fps: a fixed rate; --speed: the recorded times divided by a factor),
compress raw frames to JPEG (--quality QUALITY), and resize (--scale).
Frames that the output version cannot hold (PNG or YUV in 1.1) need
--quality. A range that picks no frame is a usage error, and writes
nothing; OUT is written under a temporary name and renamed when complete,
so an error or Ctrl-C leaves nothing behind. It says what it wrote on
stderr, and with --json as a JSON object on stdout.

--quality was --jpeg before this release: --jpeg still works, for now.`,
		Example: `  imgstream convert --version 1.1 --quality 85 recording.omv old-firmware.omv
  imgstream convert --time 10s:20s --speed 2 recording.omv fast.omv
  imgstream convert --version 2.1 --fps 30 recording.omv steady.omv`,
		Args: nArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rng, err := parseRange(frames, times)
			if err != nil {
				return err
			}
			sc, err := parseScale(scale)
			if err != nil {
				return err
			}
			v := map[string]container.Version{"2.0": container.V2_0, "2.1": container.V2_1, "1.1": container.V1_1, "1.0": container.V1_0}[ver]
			if v == 0 {
				return usageError{fmt.Errorf("--version %q: want 2.0, 2.1, 1.1 or 1.0", ver)}
			}
			var rate avi.Rate
			if fps != "" {
				if rate, err = avi.ParseRate(fps); err != nil {
					return usageError{err}
				}
			}
			if speed < 0 || (speed > 0 && fps != "") {
				return usageError{fmt.Errorf("--speed wants a positive factor, and not with --fps")}
			}
			if quality < 0 || quality > 100 {
				return usageError{fmt.Errorf("--quality %d: want a quality from 1 to 100", quality)}
			}
			ctx := cmd.Context()
			src, err := openRecording(ctx, args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer src.Close()
			picked := src.rec.Times(rng)
			if picked != nil && len(picked) == 0 {
				return noFrames(args[0], frames, times, src.rec)
			}
			bar := progress(cmd, len(picked), "converting")
			defer bar.Finish()
			o := export.ConvertOptions{Range: rng, Version: v, Rate: rate, Speed: speed, Quality: quality, Scale: sc,
				Progress: func(int) { bar.Add(1) }}
			res, err := toFile(ctx, args[1], func(f *os.File) (*export.Result, error) { return export.Convert(ctx, f, src.rec, o) })
			if errors.Is(err, export.ErrNoFrames) {
				return noFrames(args[0], frames, times, nil)
			}
			if err != nil {
				var fe *container.FrameError
				if errors.As(err, &fe) && src.rec.Damage() == nil {
					return src.readFailure(err)
				}
				return fmt.Errorf("%s: %w", args[1], err)
			}
			warn := cmd.ErrOrStderr()
			if !quiet(cmd) {
				src.damaged(rng, warn)
				if res.Shortened > 0 {
					longest := time.Duration(1<<32-1) * v.TimeUnit()
					fmt.Fprintf(warn, "imgstream: warning: %d gaps between frames longer than %v, the longest OMV IMG STR %s holds, shortened to it\n", res.Shortened, longest, v)
				}
			}
			return wrote(cmd, asJSON, written{File: args[1], Format: "omv", Version: v.String(), Frames: res.Frames, Shortened: res.Shortened},
				"OMV IMG STR "+v.String())
		},
	}
	f := cmd.Flags()
	f.StringVar(&frames, "frames", "", "only frames FROM:TO (indexes from 0, TO excluded)")
	f.StringVar(&times, "time", "", "only frames in FROM:TO, times since the first frame such as 2s")
	f.StringVar(&ver, "version", "2.0", "output version: 2.0, 2.1, 1.1 (or 1.0)")
	f.StringVar(&fps, "fps", "", "retime to a fixed rate, such as 30 or 30000/1001")
	f.Float64Var(&speed, "speed", 0, "retime by a factor: 2 plays twice as fast")
	f.IntVar(&quality, "quality", 0, "compress raw frames to JPEG at this quality (1 to 100; was --jpeg)")
	f.StringVar(&scale, "scale", "", "resize: a factor such as 0.5, or WIDTHxHEIGHT")
	f.BoolVar(&asJSON, "json", false, "say what was written as a JSON object on stdout: file, format, version, frames, shortened")
	oldFlag(cmd, "quality", "jpeg", "")
	return cmd
}
