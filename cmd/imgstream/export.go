package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
)

// exportOptions are export's flags.
type exportOptions struct {
	frames, times, fps, scale, palette string
	from, to, camera                   string
	quality, workers                   int
	segment                            int64
	json                               bool
}

func newExport() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export FILE|DIR OUT",
		Short: "Export a recording as AVI, GIF, MP4/MKV/WebM (with ffmpeg), or PNG/JPEG pictures",
		Long: `Export writes the frames of FILE ("-" for stdin) in the form OUT's name says:

  OUT.avi                 MJPEG AVI, any length: JPEG frames pass through untouched,
                          others are encoded once, on every core
  OUT.gif                 animated GIF: delays in hundredths of a second with the
                          rounding carried, so the total stays within 10 ms (a gap
                          over 655.35 s, GIF's longest, is shortened with a warning);
                          one palette for the whole animation (--palette frame: one each)
  OUT.omv                 OMV IMG STR V2.0, frames as they are, with their timing
  OUT.mp4, .mkv, .webm    through ffmpeg, if it is installed, fed JPEG frames
                          already placed on the frame-rate grid, so the timing is ours
  DIR/ or PATTERN         one picture a frame: DIR/00042.png, or a pattern such as
                          frames/%05d.png or frames/%05d.jpg (the frame's index)

Video plays at the recorded pace: each frame is placed on the output rate's
grid at its recorded time, and shown until the next one, for at most a
minute (a longer gap is shortened, with a warning). By default the rate is
one on whose grid no two frames share a slot, from their typical (median)
interval, so every frame is kept (stdin, a FIFO or a device is read into
a temporary file first, to know their times: up to the range's last frame,
and at most 4 GiB; --fps needs none); the player's /export.avi gives the
same. A --fps that leaves frames out says how many.

A folder of clips (DIR, as record writes them, one camera or many) is
exported by wall time: --from and --to pick the frames of every clip of
one camera (--camera) in the range, in order, with the gaps between clips
kept as time (a video shows the frame before a gap for its length, up to
a minute). Times are RFC 3339, local unless they carry a zone; --to may be
a time of day on --from's date. A clip's time is its first frame's wall
time from the side file the recorder writes (CLIP.omv.json), else the date
and time in its name (local), else its modification time less its length.

A range that picks no frame is a usage error, and writes nothing. A video
or GIF is written under a temporary name beside OUT and renamed when
complete, and pictures already written are removed on failure: an error or
Ctrl-C leaves nothing behind. A picture is never written over: a file that
has a picture's name already stops the export (and is left as it was). A
pattern's file name has exactly one %d (flags and width allowed: %05d),
and %% for a %.

It says what it wrote on stderr (imgstream: wrote 90 frames to video.avi
(MJPEG AVI at 15/1 fps)), and with --json as a JSON object on stdout:
{"file", "format", "frames", "rate", "dropped", "shortened"}.`,
		Example: `  imgstream export recording.omv video.avi
  imgstream export --time 2s:10s --fps 30000/1001 recording.omv clip.avi
  imgstream export --scale 0.5 recording.omv preview.gif
  imgstream export recording.omv video.mp4
  imgstream export --frames 40:50 recording.omv frames/%05d.png
  imgstream export clips --from 2026-12-02T10:02:00 --to 10:05:00 out.avi
  imgstream export /media/cams --camera door --from 2026-12-02T10:02:00Z --to 2026-12-02T10:05:00Z door.mp4`,
		Args: nArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, args[0], args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "a folder of clips (DIR): from this wall time, RFC 3339 such as 2026-12-02T10:02:00 (local unless it has a zone: Z, +01:00)")
	f.StringVar(&o.to, "to", "", "a folder of clips (DIR): to this wall time (excluded), a date and time as --from, or a time of day on --from's date (10:05:00)")
	f.StringVar(&o.camera, "camera", "", "a folder of clips (DIR): the camera (its folder, or its clips' name prefix); needed when the range has clips of several")
	f.StringVar(&o.frames, "frames", "", "only frames FROM:TO (indexes from 0, TO excluded; either may be left out)")
	f.StringVar(&o.times, "time", "", "only frames in FROM:TO, times since the first frame such as 2s or 1m30s")
	f.StringVar(&o.fps, "fps", "", "output frame rate for video, such as 30, 29.97 or 30000/1001 (default: one that keeps every frame)")
	f.StringVar(&o.scale, "scale", "", "resize: a factor such as 0.5, or WIDTHxHEIGHT (0 keeps the aspect ratio)")
	f.IntVar(&o.quality, "quality", 90, "JPEG quality of frames that are encoded, 1 to 100")
	f.IntVar(&o.workers, "workers", 0, "frames encoded at once (default: one per core)")
	f.StringVar(&o.palette, "palette", "global", "GIF palette: global (one for the animation) or frame (one per frame)")
	f.BoolVar(&o.json, "json", false, "say what was written as a JSON object on stdout: file, format, frames, rate, dropped, shortened")
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
	toOMV
)

func kindOf(out string) (outputKind, string, error) {
	if fi, err := os.Stat(out); (err == nil && fi.IsDir()) || strings.HasSuffix(out, "/") {
		return toPictures, filepath.Join(out, "%05d.png"), nil
	}
	if strings.Contains(filepath.Base(out), "%") {
		if err := export.CheckPattern(out); err != nil {
			return 0, "", usageError{err}
		}
		return toPictures, out, nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".avi":
		return toAVI, out, nil
	case ".gif":
		return toGIF, out, nil
	case ".omv":
		return toOMV, out, nil
	case ".mp4", ".mkv", ".webm", ".mov":
		return toFFmpeg, out, nil
	}
	return 0, "", usageError{fmt.Errorf("%s: say what to export to with its name: .avi, .gif, .omv, .mp4, .mkv, .webm, a directory, or a pattern such as frames/%%05d.png", out)}
}

func runExport(cmd *cobra.Command, in, out string, o exportOptions) error {
	kind, target, err := kindOf(out)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(in); err == nil && fi.IsDir() {
		return runExportFolder(cmd, in, out, kind, target, o)
	}
	if o.from != "" || o.to != "" || o.camera != "" {
		return usageError{fmt.Errorf("--from, --to and --camera pick the clips of a folder by wall time, and %s is no folder: for one recording, --time picks by time since its first frame", in)}
	}
	rng, err := parseRange(o.frames, o.times)
	if err != nil {
		return err
	}
	opts, err := o.options(kind, out)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	name := in
	warn := cmd.ErrOrStderr()
	if quiet(cmd) {
		warn = io.Discard
	}
	if !readTwice(in) && (kind == toAVI || kind == toFFmpeg) && o.fps == "" {
		// The rate that keeps every frame needs their times first: stdin,
		// a FIFO or a device is read into a temporary file, up to the
		// range's last frame, and exported from there.
		r, err := openInput(ctx, in, cmd.InOrStdin())
		if err != nil {
			return err
		}
		tmp, err := spool(ctx, name, r, rng, warn, MaxSpool)
		r.Close()
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		in = tmp
	}
	src, err := openRecording(ctx, in, cmd.InOrStdin())
	if err != nil {
		return err
	}
	defer src.Close()
	src.path = name
	picked := src.rec.Times(rng)
	if picked != nil && len(picked) == 0 {
		return noFrames(name, o.frames, o.times, src.rec)
	}
	bar := progress(cmd, len(picked), "exporting")
	defer bar.Finish()
	opts.Range, opts.Progress = rng, func(int) { bar.Add(1) }
	res, what, format, err := exportTo(ctx, kind, target, src.rec, opts)
	if errors.Is(err, export.ErrNoFrames) {
		return noFrames(name, o.frames, o.times, nil)
	}
	if err != nil {
		return src.readFailure(err)
	}
	src.damaged(rng, warn)
	return reportExport(cmd, kind, out, res, what, format, o, warn)
}

// exportTo writes the frames of rec that opts picks to target, as kind
// says; what and format name what it wrote.
func exportTo(ctx context.Context, kind outputKind, target string, rec *export.Recording, opts export.Options) (res *export.Result, what, format string, err error) {
	switch kind {
	case toAVI:
		what, format = "MJPEG AVI", "avi"
		res, err = toFile(ctx, target, func(f *os.File) (*export.Result, error) { return export.AVI(ctx, f, rec, opts) })
	case toGIF:
		what, format = "GIF", "gif"
		res, err = toFile(ctx, target, func(f *os.File) (*export.Result, error) { return export.GIF(ctx, f, rec, opts) })
	case toOMV:
		what, format = "OMV IMG STR V2.0", "omv"
		res, err = toFile(ctx, target, func(f *os.File) (*export.Result, error) {
			return export.Convert(ctx, f, rec, export.ConvertOptions{Range: opts.Range, Rate: opts.Rate, Scale: opts.Scale, Progress: opts.Progress})
		})
	case toFFmpeg:
		format = strings.ToLower(strings.TrimPrefix(filepath.Ext(target), "."))
		what = strings.ToUpper(format) + " through ffmpeg"
		res, err = toFile(ctx, target, func(f *os.File) (*export.Result, error) {
			f.Close() // ffmpeg writes it
			return export.Video(ctx, f.Name(), rec, opts)
		})
	default:
		what, format = "pictures", "pictures"
		res, err = export.Pictures(ctx, target, rec, opts)
		if errors.Is(err, export.ErrBadPattern) {
			err = usageError{err}
		}
	}
	return res, what, format, err
}

// reportExport warns of the frames an export left out and the gaps it
// shortened, and says what it wrote.
func reportExport(cmd *cobra.Command, kind outputKind, out string, res *export.Result, what, format string, o exportOptions, warn io.Writer) error {
	if res.Dropped > 0 {
		why := "leave --fps out to keep every frame"
		if o.fps == "" {
			why = fmt.Sprintf("no grid up to %d fps (1 ms) gives them a slot of their own: they were recorded at the same time as the frame before, or less than 1 ms after it", avi.MaxRateFor)
		}
		fmt.Fprintf(warn, "imgstream: warning: %d of %d frames left out at %v fps: each came within a frame period (%v) of the one before; %s\n",
			res.Dropped, res.Frames, res.Rate, res.Rate.Period(), why)
	}
	if res.Shortened > 0 {
		longest := avi.DefaultMaxHold
		switch kind {
		case toGIF:
			fmt.Fprintf(warn, "imgstream: warning: %d gaps between frames longer than %v, the longest a GIF shows a frame, shortened to it\n", res.Shortened, export.MaxGIFDelay)
		case toOMV:
			fmt.Fprintf(warn, "imgstream: warning: %d gaps between frames longer than V2.0's longest interval shortened to it\n", res.Shortened)
		default:
			fmt.Fprintf(warn, "imgstream: warning: %d gaps between frames longer than %v shortened to %v (the longest a frame is shown)\n",
				res.Shortened, longest, longest)
		}
	}
	if res.Rate.Num > 0 {
		what += fmt.Sprintf(" at %v fps", res.Rate)
	}
	return wrote(cmd, o.json, written{File: out, Format: format, Frames: res.Frames,
		Rate: rateString(res.Rate), Dropped: res.Dropped, Shortened: res.Shortened}, what)
}

// options checks the flags that say how frames are written, whatever
// they come from, and returns them as export.Options (no Range, no
// Progress). kind and out are the output's: ffmpeg is looked up for the
// kinds it writes.
func (o exportOptions) options(kind outputKind, out string) (export.Options, error) {
	sc, err := parseScale(o.scale)
	if err != nil {
		return export.Options{}, err
	}
	if o.quality < 1 || o.quality > 100 {
		return export.Options{}, usageError{fmt.Errorf("--quality %d: want 1 to 100", o.quality)}
	}
	if o.palette != "global" && o.palette != "frame" {
		return export.Options{}, usageError{fmt.Errorf("--palette %q: want global or frame", o.palette)}
	}
	var rate avi.Rate
	if o.fps != "" {
		if rate, err = avi.ParseRate(o.fps); err != nil {
			return export.Options{}, usageError{err}
		}
	}
	var ffmpeg string
	if kind == toFFmpeg {
		if ffmpeg, err = exec.LookPath("ffmpeg"); err != nil {
			return export.Options{}, fmt.Errorf("export to %s needs ffmpeg, which is not installed (apt-get install ffmpeg); .avi and .gif need nothing", filepath.Ext(out))
		}
	}
	return export.Options{Rate: rate, Scale: sc, Quality: o.quality, Workers: o.workers, SegmentSize: o.segment,
		PalettePerFrame: o.palette == "frame", FFmpeg: ffmpeg}, nil
}

// runExportFolder exports the frames of a folder's clips between --from
// and --to (export.Folder.Span).
func runExportFolder(cmd *cobra.Command, dir, out string, kind outputKind, target string, o exportOptions) error {
	if o.frames != "" || o.times != "" {
		return usageError{fmt.Errorf("%s is a folder of clips: pick its frames by wall time with --from and --to (--frames and --time are for one recording)", dir)}
	}
	if o.from == "" || o.to == "" {
		return usageError{fmt.Errorf("%s is a folder of clips: say which with --from and --to, such as --from 2026-12-02T10:02:00 --to 10:05:00", dir)}
	}
	from, to, err := export.ParseClockRange(o.from, o.to, nil)
	if err != nil {
		return usageError{err}
	}
	opts, err := o.options(kind, out)
	if err != nil {
		return err
	}
	f, err := export.OpenFolder(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	rec, picked, err := f.Span(o.camera, from, to)
	if errors.Is(err, export.ErrInvalidTime) || errors.Is(err, export.ErrCamera) || errors.Is(err, export.ErrNoClips) || errors.Is(err, export.ErrTooManyFrames) {
		return usageError{fmt.Errorf("%s: %w", dir, err)}
	}
	if err != nil {
		return err
	}
	defer rec.Close()
	warn := cmd.ErrOrStderr()
	if quiet(cmd) {
		warn = io.Discard
	}
	ctx := cmd.Context()
	bar := progress(cmd, picked.Frames, "exporting")
	defer bar.Finish()
	opts.Progress = func(int) { bar.Add(1) }
	res, what, format, err := exportTo(ctx, kind, target, rec, opts)
	if err != nil {
		return err
	}
	cam := ""
	if picked.Camera != "" {
		cam = fmt.Sprintf("camera %q, ", picked.Camera)
	}
	fmt.Fprintf(warn, "imgstream: %s%d frames of %d clips from %s to %s\n", cam, picked.Frames, picked.Clips,
		picked.First.Format("2006-01-02T15:04:05.000Z07:00"), picked.Last.Format("2006-01-02T15:04:05.000Z07:00"))
	return reportExport(cmd, kind, out, res, what, format, o, warn)
}

// MaxSpool is the most export reads of stdin, a FIFO or a device into a
// temporary file, to learn the frames' times before a video is written
// at the rate that keeps them all: an input that has more before the
// selection's last frame is refused (errSpoolFull), and --fps exports it
// without the temporary file.
const MaxSpool = 4 << 30

// errSpoolFull is the error of an input that needs more than MaxSpool
// bytes of temporary file.
var errSpoolFull = errors.New("over the temporary file's limit")

// readTwice reports whether the recording at path can be read twice, to
// learn the frames' times first: a regular file, or a path that cannot be
// opened (opening it again reports why). Stdin, a FIFO and a device give
// their bytes once.
func readTwice(path string) bool {
	if path == "-" {
		return false
	}
	fi, err := os.Stat(path)
	return err != nil || fi.Mode().IsRegular() || fi.IsDir()
}

// spool copies the recording r (named path) into a temporary file, up to
// the last frame sel can pick (so a live pipe need not end), whole frames
// as they were read, and returns the file's name; the caller removes it.
// The file holds at most limit bytes (errSpoolFull past it). Damage ends
// the copy with a warning on warn, as source.each does: the whole frames
// before it are kept.
func spool(ctx context.Context, path string, r io.Reader, sel export.Range, warn io.Writer, limit int64) (string, error) {
	f, err := os.CreateTemp("", "imgstream-stdin-*.omv")
	if err != nil {
		return "", err
	}
	err = spoolTo(ctx, f, path, r, sel, warn, limit)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// teeBuffer keeps what is read through it, until taken.
type teeBuffer struct {
	r   io.Reader
	buf bytes.Buffer
}

func (t *teeBuffer) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf.Write(p[:n])
	return n, err
}

func spoolTo(ctx context.Context, f *os.File, path string, r io.Reader, sel export.Range, warn io.Writer, limit int64) error {
	// The Reader reads exactly what each frame holds (not through a
	// bufio.Reader, which would read ahead): after each whole frame, tee
	// holds its bytes, padding included, as they came.
	tee := &teeBuffer{r: r}
	zr, err := container.NewReader(tee)
	if err != nil {
		return readerError(path, err)
	}
	var written int64
	flush := func() error { // what tee holds: the magic, or a whole frame
		if written+int64(tee.buf.Len()) > limit {
			return fmt.Errorf("%s: %w of %d bytes, before the last frame wanted: give --fps, or save the recording to a file first", path, errSpoolFull, limit)
		}
		n, err := tee.buf.WriteTo(f)
		written += n
		return err
	}
	var data []byte
	for i := 0; ; i++ {
		if err := flush(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		_, d, err := zr.ReadFrame(data)
		data = d
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if export.IsDamage(err) {
				fmt.Fprintf(warn, "imgstream: warning: %s is damaged at %v; using the %d frames before it\n", path, err, i)
				return nil
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if _, more := sel.Wants(i, zr.Time()); !more {
			return flush()
		}
	}
}
