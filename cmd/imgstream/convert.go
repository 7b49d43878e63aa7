package main

import (
	"bufio"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

func newConvert() *cobra.Command {
	var frames, times, ver, fps, scale string
	var speed float64
	var jpegQ int
	cmd := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Rewrite a recording: another version, a range, new timing, JPEG, another size",
		Long: `Convert reads IN ("-" for stdin) and writes OUT as an OMV IMG STR file of
--version 2.0 (what current firmware writes), 2.1 (microsecond times, read
by OpenMV IDE) or 1.1 (for old firmware), in the canonical form the strict
reader accepts. It can keep a range (--frames, --time), retime the frames
(--fps: a fixed rate; --speed: the recorded times divided by a factor),
compress raw frames to JPEG (--jpeg QUALITY), and resize (--scale).
Frames that the output version cannot hold (PNG or YUV in 1.1) need --jpeg.
A range that picks no frame is a usage error, and writes nothing; OUT is
written under a temporary name and renamed when complete, so an error or
Ctrl-C leaves nothing behind.`,
		Example: `  imgstream convert --version 1.1 --jpeg 85 recording.omv old-firmware.omv
  imgstream convert --time 10s:20s --speed 2 recording.omv fast.omv
  imgstream convert --version 2.1 --fps 30 recording.omv steady.omv`,
		Args: nArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := parseRange(frames, times)
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
			var period time.Duration
			if fps != "" {
				r, err := avi.ParseRate(fps)
				if err != nil {
					return usageError{err}
				}
				period = r.Period()
			}
			if speed < 0 || (speed > 0 && period > 0) {
				return usageError{fmt.Errorf("--speed wants a positive factor, and not with --fps")}
			}
			if jpegQ < 0 || jpegQ > 100 {
				return usageError{fmt.Errorf("--jpeg %d: want a quality from 1 to 100", jpegQ)}
			}
			scanned := scanRange(args[0], sel)
			if scanned != nil && len(scanned.at) == 0 {
				return noFrames(args[0], frames, times, scanned)
			}
			src, err := openSourceIn(cmd.Context(), args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer src.Close()
			f, err := createPartial(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			defer f.drop()
			bw := bufio.NewWriterSize(f, 1<<20)
			zw := container.NewWriter(bw)
			zw.Version = v
			bar := progress(cmd, scanned.count(), "converting")
			defer bar.Finish()
			var prevAt, firstAt time.Duration
			// written is the output's time so far: a retimed interval is
			// the rest of the way to the frame's retimed time, rounded to
			// the version's unit, so that rounding never adds up (67 ms
			// at --speed 2 alternates 33 and 34 ms).
			var written time.Duration
			unit := v.TimeUnit()
			n := 0
			// A gap longer than the version's time field holds (V2.1: 71.6
			// minutes of microseconds) is shortened to the longest it holds,
			// and the frames after it kept.
			longest := time.Duration(math.MaxUint32) * v.TimeUnit()
			clamped := 0
			var out imageio.Image
			ctx := cmd.Context()
			err = src.each(sel, cmd.ErrOrStderr(), func(i int, at time.Duration, m *imageio.Image) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				bar.Add(1)
				elapsed := at - prevAt
				if n > 0 && (period > 0 || speed > 0) {
					target := float64(n) * float64(period) // the frame's retimed time
					if speed > 0 {
						target = float64(at-firstAt) / speed
					}
					if rest := target - float64(written); rest <= float64(longest) {
						elapsed = max(time.Duration(rest).Round(unit), 0)
					} else {
						// Shortened below; the time after it counts from
						// this frame's retimed time.
						elapsed = longest + 1
						written = time.Duration(min(target, math.MaxInt64/4)) - longest
					}
				}
				switch {
				case n == 0:
					elapsed, firstAt = 0, at
				case elapsed > longest:
					elapsed = longest
					clamped++
				}
				if elapsed <= longest && written <= math.MaxInt64/4 {
					written += elapsed
				}
				prevAt = at
				img := m
				if sc != nil || (jpegQ > 0 && m.Format != container.JPEG) {
					dec, err := m.Decode()
					if err != nil {
						return fmt.Errorf("frame %d: %w", i, err)
					}
					dec = sc.apply(dec)
					if jpegQ > 0 && m.Format != container.JPEG {
						b, err := jpegOf(&imageio.Image{Width: m.Width, Height: m.Height, Format: m.Format, Data: m.Data}, sc, jpegQ, true)
						if err != nil {
							return err
						}
						w, h := sc.size(m.Width, m.Height)
						out = imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: b}
					} else if err := out.SetImage(dec, m.Format); err != nil {
						return fmt.Errorf("frame %d: %w", i, err)
					}
					img = &out
				}
				h := container.Header{Elapsed: elapsed, Width: img.Width, Height: img.Height, Format: img.Format}
				if err := zw.WriteFrame(&h, img.Data); err != nil {
					return fmt.Errorf("%s: frame %d: %w", args[1], i, err)
				}
				n++
				return nil
			})
			if err != nil {
				return err
			}
			if n == 0 {
				return noFrames(args[0], frames, times, nil)
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if err := f.keep(); err != nil {
				return err
			}
			if clamped > 0 && !quiet(cmd) {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: warning: %d gaps between frames longer than %v, the longest OMV IMG STR %s holds, shortened to it\n", clamped, longest, v)
			}
			if !quiet(cmd) {
				fmt.Fprintf(cmd.ErrOrStderr(), "imgstream: wrote %d frames to %s (OMV IMG STR %s)\n", n, args[1], v)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&frames, "frames", "", "only frames FROM:TO (indexes from 0, TO excluded)")
	f.StringVar(&times, "time", "", "only frames in FROM:TO, times since the first frame such as 2s")
	f.StringVar(&ver, "version", "2.0", "output version: 2.0, 2.1, 1.1 (or 1.0)")
	f.StringVar(&fps, "fps", "", "retime to a fixed rate, such as 30 or 30000/1001")
	f.Float64Var(&speed, "speed", 0, "retime by a factor: 2 plays twice as fast")
	f.IntVar(&jpegQ, "jpeg", 0, "compress raw frames to JPEG at this quality (1 to 100)")
	f.StringVar(&scale, "scale", "", "resize: a factor such as 0.5, or WIDTHxHEIGHT")
	return cmd
}
