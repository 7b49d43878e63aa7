package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/gifenc"
)

// exportOptions are export's flags.
type exportOptions struct {
	frames, times, fps, scale, palette string
	quality, workers                   int
	segment                            int64
}

func newExport() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export FILE OUT",
		Short: "Export a recording as AVI, GIF, MP4/MKV/WebM (with ffmpeg), or PNG/JPEG pictures",
		Long: `Export writes the frames of FILE ("-" for stdin) in the form OUT's name says:

  OUT.avi                 MJPEG AVI, any length: JPEG frames pass through untouched,
                          others are encoded once, on every core
  OUT.gif                 animated GIF: delays in hundredths of a second with the
                          rounding carried, so the total stays within 10 ms; one
                          palette for the whole animation (--palette frame: one each)
  OUT.mp4, .mkv, .webm    through ffmpeg, if it is installed, fed JPEG frames
                          already placed on the frame-rate grid, so the timing is ours
  DIR/ or PATTERN         one picture a frame: DIR/00042.png, or a pattern such as
                          frames/%05d.png or frames/%05d.jpg (the frame's index)

Video plays at the recorded pace: each frame is placed on the output rate's
grid at its recorded time (--fps; by default the recording's mean rate), and
shown until the next one.`,
		Example: `  imgstream export recording.omv video.avi
  imgstream export --time 2s:10s --fps 30000/1001 recording.omv clip.avi
  imgstream export --scale 0.5 recording.omv preview.gif
  imgstream export recording.omv video.mp4
  imgstream export --frames 40:50 recording.omv frames/%05d.png`,
		Args: nArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return export(cmd, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.frames, "frames", "", "only frames FROM:TO (indexes from 0, TO excluded; either may be left out)")
	f.StringVar(&o.times, "time", "", "only frames in FROM:TO, times since the first frame such as 2s or 1m30s")
	f.StringVar(&o.fps, "fps", "", "output frame rate for video, such as 30, 29.97 or 30000/1001 (default: the recording's mean)")
	f.StringVar(&o.scale, "scale", "", "resize: a factor such as 0.5, or WIDTHxHEIGHT (0 keeps the aspect ratio)")
	f.IntVar(&o.quality, "quality", 90, "JPEG quality of frames that are encoded, 1 to 100")
	f.IntVar(&o.workers, "workers", 0, "frames encoded at once (default: one per core)")
	f.StringVar(&o.palette, "palette", "global", "GIF palette: global (one for the animation) or frame (one per frame)")
	f.Int64Var(&o.segment, "segment-size", 0, "AVI: the largest RIFF segment in bytes (default and most 1 GiB; files grow past it in OpenDML segments)")
	return cmd
}

// outputKind is what export writes.
type outputKind int

const (
	toAVI outputKind = iota
	toGIF
	toFFmpeg
	toPictures
)

func kindOf(out string) (outputKind, string, error) {
	if strings.Contains(out, "%") {
		return toPictures, out, nil
	}
	if fi, err := os.Stat(out); (err == nil && fi.IsDir()) || strings.HasSuffix(out, "/") {
		return toPictures, filepath.Join(out, "%05d.png"), nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".avi":
		return toAVI, out, nil
	case ".gif":
		return toGIF, out, nil
	case ".mp4", ".mkv", ".webm", ".mov":
		return toFFmpeg, out, nil
	}
	return 0, "", usageError{fmt.Errorf("%s: say what to export to with its name: .avi, .gif, .mp4, .mkv, .webm, a directory, or a pattern such as frames/%%05d.png", out)}
}

// recordingRate is the mean frame rate of the recording at path (see
// avi.MeanRate), for the default --fps, and its frame count (0 for stdin,
// which cannot be scanned ahead: 30 fps then).
func recordingRate(path string) (avi.Rate, int) {
	if path == "-" {
		return avi.MeanRate(0, 0), 0
	}
	f, err := os.Open(path)
	if err != nil {
		return avi.MeanRate(0, 0), 0
	}
	defer f.Close()
	x, _ := container.ReadIndex(f)
	if x == nil {
		return avi.MeanRate(0, 0), 0
	}
	var total time.Duration
	for i, e := range x.Entries {
		if i > 0 {
			total += e.Elapsed
		}
	}
	return avi.MeanRate(len(x.Entries), total), len(x.Entries)
}

// progress returns a bar on stderr for work over about a second, when
// stderr is a terminal and --quiet is not set; else a bar that draws
// nothing.
func progress(cmd *cobra.Command, total int, what string) *bar {
	if fi, err := os.Stderr.Stat(); quiet(cmd) || err != nil || fi.Mode()&os.ModeCharDevice == 0 || total < 30 {
		return nil
	}
	return &bar{progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())}
}

// bar is a progress bar, or nothing when nil (no terminal, or --quiet).
type bar struct{ pb *progressbar.ProgressBar }

// Add counts n frames done.
func (b *bar) Add(n int) {
	if b != nil {
		b.pb.Add(n)
	}
}

// Finish completes the bar.
func (b *bar) Finish() {
	if b != nil {
		b.pb.Finish()
	}
}

func export(cmd *cobra.Command, in, out string, o exportOptions) error {
	kind, target, err := kindOf(out)
	if err != nil {
		return err
	}
	sel, err := parseRange(o.frames, o.times)
	if err != nil {
		return err
	}
	sc, err := parseScale(o.scale)
	if err != nil {
		return err
	}
	if o.quality < 1 || o.quality > 100 {
		return usageError{fmt.Errorf("--quality %d: want 1 to 100", o.quality)}
	}
	if o.palette != "global" && o.palette != "frame" {
		return usageError{fmt.Errorf("--palette %q: want global or frame", o.palette)}
	}
	rate, total := recordingRate(in)
	if o.fps != "" {
		if rate, err = avi.ParseRate(o.fps); err != nil {
			return usageError{err}
		}
	}
	var ffmpeg string
	if kind == toFFmpeg {
		if ffmpeg, err = exec.LookPath("ffmpeg"); err != nil {
			return fmt.Errorf("export to %s needs ffmpeg, which is not installed (apt-get install ffmpeg); .avi and .gif need nothing", filepath.Ext(out))
		}
	}
	src, err := openSource(in)
	if err != nil {
		return err
	}
	defer src.Close()
	bar := progress(cmd, total, "exporting")
	defer bar.Finish()
	warn := cmd.ErrOrStderr()
	if quiet(cmd) {
		warn = io.Discard
	}
	switch kind {
	case toAVI:
		return exportAVI(src, sel, target, rate, sc, o, bar, warn)
	case toGIF:
		return exportGIF(src, sel, target, sc, o.palette == "frame", bar, warn)
	case toFFmpeg:
		return exportFFmpeg(src, sel, ffmpeg, target, rate, sc, o, bar, warn)
	default:
		return exportPictures(src, sel, target, sc, o, bar, warn)
	}
}

// jpegFrames calls emit with every selected frame as a JPEG and its time,
// in order: JPEG frames as they are (unless scaled), others encoded on
// every core.
func jpegFrames(src *source, sel selection, sc *scaler, o exportOptions, bar *bar, warn io.Writer, emit func(jpg []byte, at time.Duration) error) error {
	var p *pool
	put := func(m *imageio.Image, at time.Duration) error {
		bar.Add(1)
		// JPEG frames go straight out, as they are, until a frame needs
		// encoding; from then on every frame goes through the pool, to
		// stay in order.
		if m.Format == container.JPEG && sc == nil && p == nil {
			return emit(m.Data, at)
		}
		if p == nil {
			p = newPool(o.workers, func(m *imageio.Image, s *scratch) ([]byte, error) { return jpegWith(m, sc, o.quality, false, s) },
				func(b []byte, at int64) error { return emit(b, time.Duration(at)) })
		}
		p.put(m, int64(at))
		return nil
	}
	err := src.each(sel, warn, func(_ int, at time.Duration, m *imageio.Image) error { return put(m, at) })
	if p != nil {
		if perr := p.close(); err == nil {
			err = perr
		}
	}
	return err
}

func exportAVI(src *source, sel selection, out string, rate avi.Rate, sc *scaler, o exportOptions, bar *bar, warn io.Writer) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	bf := &bufferedFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	var w *avi.Writer
	err = jpegFrames(src, sel, sc, o, bar, warn, func(jpg []byte, at time.Duration) error {
		if w == nil {
			cfg, err := jpegConfig(jpg)
			if err != nil {
				return err
			}
			if w, err = avi.NewWriter(bf, avi.Config{Width: cfg.Width, Height: cfg.Height, Rate: rate, SegmentSize: o.segment}); err != nil {
				return err
			}
		}
		return w.WriteFrame(jpg, at)
	})
	if err != nil {
		return err
	}
	if w == nil {
		return fmt.Errorf("%s: no frames to export", src.path)
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bf.w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// bufferedFile is a file whose writes are buffered, flushed before each
// Seek: the AVI writer's two writes a frame become one system call every
// megabyte.
type bufferedFile struct {
	f *os.File
	w *bufio.Writer
}

// Write buffers small writes (chunk headers, index entries); a frame goes
// out as it is, after what the buffer holds.
func (b *bufferedFile) Write(p []byte) (int, error) {
	if len(p) >= 4<<10 {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
		return b.f.Write(p)
	}
	return b.w.Write(p)
}

func (b *bufferedFile) Seek(off int64, whence int) (int64, error) {
	if err := b.w.Flush(); err != nil {
		return 0, err
	}
	return b.f.Seek(off, whence)
}

func jpegConfig(b []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	return cfg, err
}

func exportFFmpeg(src *source, sel selection, ffmpeg, out string, rate avi.Rate, sc *scaler, o exportOptions, bar *bar, warn io.Writer) error {
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "mjpeg", "-framerate", rate.String(), "-i", "-",
		"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-r", rate.String()}
	if strings.HasSuffix(strings.ToLower(out), ".webm") {
		args = append(args, "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32")
	} else {
		args = append(args, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	}
	c := exec.Command(ffmpeg, append(args, out)...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	// Frames go to ffmpeg on the grid: a frame shown for several slots is
	// sent that many times, one that lands on a taken slot is left out.
	var last []byte
	var t0 time.Duration
	slot := int64(-1)
	werr := jpegFrames(src, sel, sc, o, bar, warn, func(jpg []byte, at time.Duration) error {
		if slot < 0 {
			t0 = at
		}
		s := rate.Slot(at - t0)
		if s <= slot {
			return nil
		}
		for ; slot >= 0 && slot < s-1; slot++ {
			if _, err := stdin.Write(last); err != nil {
				return err
			}
		}
		slot = s
		last = append(last[:0], jpg...)
		_, err := stdin.Write(jpg)
		return err
	})
	stdin.Close()
	err = c.Wait()
	if err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return werr
}

func exportPictures(src *source, sel selection, pattern string, sc *scaler, o exportOptions, bar *bar, warn io.Writer) error {
	ext := strings.ToLower(filepath.Ext(pattern))
	asJPEG := ext == ".jpg" || ext == ".jpeg"
	if !asJPEG && ext != ".png" {
		return usageError{fmt.Errorf("%s: pictures are .png or .jpg", pattern)}
	}
	if err := os.MkdirAll(filepath.Dir(pattern), 0o755); err != nil {
		return err
	}
	encode := func(m *imageio.Image, s *scratch) ([]byte, error) {
		if asJPEG {
			return jpegWith(m, sc, o.quality, false, s)
		}
		img, err := m.Decode()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		err = png.Encode(&b, sc.apply(img))
		return b.Bytes(), err
	}
	p := newPool(o.workers, encode, func(b []byte, i int64) error {
		return os.WriteFile(fmt.Sprintf(pattern, i), b, 0o644)
	})
	err := src.each(sel, warn, func(i int, _ time.Duration, m *imageio.Image) error {
		bar.Add(1)
		p.put(m, int64(i))
		return nil
	})
	if perr := p.close(); err == nil {
		err = perr
	}
	return err
}

func exportGIF(src *source, sel selection, out string, sc *scaler, perFrame bool, bar *bar, warn io.Writer) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	anim := gifenc.NewAnimation(bw, perFrame)
	err = src.each(sel, warn, func(i int, at time.Duration, m *imageio.Image) error {
		bar.Add(1)
		img, err := m.Decode()
		if err != nil {
			return err
		}
		return anim.Add(sc.apply(img), at)
	})
	if err != nil {
		return err
	}
	if anim.Frames() == 0 {
		return fmt.Errorf("%s: no frames to export", src.path)
	}
	if err := anim.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
