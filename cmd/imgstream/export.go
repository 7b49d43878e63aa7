package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
                          rounding carried, so the total stays within 10 ms (a gap
                          over 655.35 s, GIF's longest, is shortened with a warning);
                          one palette for the whole animation (--palette frame: one each)
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

A range that picks no frame is a usage error, and writes nothing. A video
or GIF is written under a temporary name beside OUT and renamed when
complete, and pictures already written are removed on failure: an error or
Ctrl-C leaves nothing behind. A picture is never written over: a file that
has a picture's name already stops the export (and is left as it was). A
pattern's file name has exactly one %d (flags and width allowed: %05d),
and %% for a %.`,
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
	f.StringVar(&o.fps, "fps", "", "output frame rate for video, such as 30, 29.97 or 30000/1001 (default: one that keeps every frame)")
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
	if fi, err := os.Stat(out); (err == nil && fi.IsDir()) || strings.HasSuffix(out, "/") {
		return toPictures, filepath.Join(out, "%05d.png"), nil
	}
	if strings.Contains(filepath.Base(out), "%") {
		if err := checkPattern(out); err != nil {
			return 0, "", err
		}
		return toPictures, out, nil
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

// errBadPattern is the usage error of a picture pattern that would not give
// each frame a name of its own.
var errBadPattern = errors.New("a picture pattern needs exactly one %d, such as %05d, and no other % verb (%% is a %)")

// checkPattern accepts a picture pattern whose file name has exactly one
// integer verb, %d with optional flags and width (%d, %05d, %-3d), and no
// other verb: %% stands for a %. Anything else (%s, %.png, %%d alone, two
// %d) would give every frame one name, or a garbled one. The directory is
// taken as it is, % and all.
func checkPattern(pattern string) error {
	verbs := 0
	base := filepath.Base(pattern)
	for i := 0; i < len(base); i++ {
		if base[i] != '%' {
			continue
		}
		i++
		if i < len(base) && base[i] == '%' {
			continue
		}
		for i < len(base) && strings.IndexByte("+- #0", base[i]) >= 0 {
			i++
		}
		for i < len(base) && base[i] >= '0' && base[i] <= '9' {
			i++
		}
		if i >= len(base) || base[i] != 'd' {
			return usageError{fmt.Errorf("%s: %w", pattern, errBadPattern)}
		}
		verbs++
	}
	if verbs != 1 {
		return usageError{fmt.Errorf("%s: %w", pattern, errBadPattern)}
	}
	return nil
}

// picked is what a recording's index says, before anything is written, of
// the frames a selection picks.
type picked struct {
	at     []time.Duration // the picked frames' times since the first frame
	frames int             // the recording's frames
	length time.Duration   // from its first frame to its last
}

// scanRange indexes the recording at path and returns what sel picks of
// it; nil for stdin or a file that cannot be indexed, which are read only
// once (the reading itself then reports the error).
func scanRange(path string, sel selection) *picked {
	if path == "-" {
		return nil
	}
	// Only a regular file is read twice: a FIFO's open would wait for a
	// writer (O_NONBLOCK), and its frames, read here, would be gone.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	x, _ := container.ReadIndex(f)
	if x == nil {
		return nil
	}
	s := &picked{frames: len(x.Entries)}
	more := true
	for i, e := range x.Entries {
		if i > 0 {
			s.length += e.Elapsed
		}
		var want bool
		if more {
			if want, more = sel.wants(i, s.length); want {
				s.at = append(s.at, s.length)
			}
		}
	}
	return s
}

// rate returns the output rate: --fps, or else avi.RateFor the picked
// frames' times (what the player's /export.avi gives for the same frames);
// 30 fps when they are not known.
func (s *picked) rate(fps string) (avi.Rate, error) {
	switch {
	case fps != "":
		r, err := avi.ParseRate(fps)
		if err != nil {
			return r, usageError{err}
		}
		return r, nil
	case s == nil:
		return avi.RateFor(nil), nil
	}
	return avi.RateFor(s.at), nil
}

// count returns the number of frames picked, for progress; 0 when unknown.
func (s *picked) count() int {
	if s == nil {
		return 0
	}
	return len(s.at)
}

// errNoFrames is the error of a command that would write no frame: a
// usage error, and nothing is left behind.
var errNoFrames = errors.New("no frames to write")

// noFrames returns the usage error for a selection that picks no frame of
// the recording at path.
func noFrames(path, frames, times string, s *picked) error {
	what := "the recording"
	switch {
	case frames != "":
		what = "--frames " + frames
	case times != "":
		what = "--time " + times
	}
	if s == nil {
		return usageError{fmt.Errorf("%s: %w: %s picks none", path, errNoFrames, what)}
	}
	return usageError{fmt.Errorf("%s: %w: %s picks none of its %d frames over %v", path, errNoFrames, what, s.frames, s.length)}
}

// A partial is an output file written under a temporary name beside its
// own (.NAME.partial-*.EXT), renamed into place by keep: a command that
// fails or is interrupted removes it with drop, and leaves nothing behind,
// and any older file of that name as it was. An output that exists and is
// not a regular file (a device such as /dev/stdout, a named pipe) is
// written as it is, and never removed.
type partial struct {
	*os.File
	final  string
	direct bool // written in place: not ours to remove
	kept   bool
}

// createPartial creates the partial file of final (through a symbolic
// link, beside the file it names). An output that is not a regular file
// is opened in place, beside ctx: a FIFO's open waits for a reader, and
// returns ctx's cause when ctx is done first.
func createPartial(ctx context.Context, final string) (*partial, error) {
	if fi, err := os.Stat(final); err == nil {
		if !fi.Mode().IsRegular() {
			f, err := openOutput(ctx, final)
			if err != nil {
				return nil, err
			}
			return &partial{File: f, final: final, direct: true}, nil
		}
	}
	final = resolveLinks(final)
	dir, base := filepath.Split(final)
	ext := filepath.Ext(base)
	f, err := os.CreateTemp(dir, "."+strings.TrimSuffix(base, ext)+".partial-*"+ext)
	if err != nil {
		return nil, err
	}
	return &partial{File: f, final: final}, nil
}

// resolveLinks follows the symbolic links at path, even to a file that
// does not exist yet, so that an output through a link is written where
// it leads and the link stays.
func resolveLinks(path string) string {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path
		}
		to, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return path
}

// keep closes the file and gives it its name.
func (p *partial) keep() error {
	if err := p.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	if !p.direct {
		if err := os.Chmod(p.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(p.Name(), p.final); err != nil {
			return err
		}
	}
	p.kept = true
	return nil
}

// drop removes the file unless keep has given it its name, or it was
// written in place.
func (p *partial) drop() {
	if !p.kept {
		p.Close()
		if !p.direct {
			os.Remove(p.Name())
		}
	}
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
	if o.fps != "" {
		if _, err := avi.ParseRate(o.fps); err != nil {
			return usageError{err}
		}
	}
	var ffmpeg string
	if kind == toFFmpeg {
		if ffmpeg, err = exec.LookPath("ffmpeg"); err != nil {
			return fmt.Errorf("export to %s needs ffmpeg, which is not installed (apt-get install ffmpeg); .avi and .gif need nothing", filepath.Ext(out))
		}
	}
	name := in
	warn := cmd.ErrOrStderr()
	if quiet(cmd) {
		warn = io.Discard
	}
	if !readTwice(in) && (kind == toAVI || kind == toFFmpeg) && o.fps == "" {
		// The rate that keeps every frame needs their times first: stdin,
		// a FIFO or a device is read into a temporary file, up to the
		// selection's last frame, and exported from there.
		r, err := openInput(cmd.Context(), in, cmd.InOrStdin())
		if err != nil {
			return err
		}
		tmp, err := spool(cmd.Context(), name, r, sel, warn, MaxSpool)
		r.Close()
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		in = tmp
	}
	scanned := scanRange(in, sel)
	rate, err := scanned.rate(o.fps)
	if err != nil {
		return err
	}
	if scanned != nil && len(scanned.at) == 0 {
		return noFrames(name, o.frames, o.times, scanned)
	}
	src, err := openSourceIn(cmd.Context(), in, cmd.InOrStdin())
	if err != nil {
		return err
	}
	defer src.Close()
	src.path = name
	bar := progress(cmd, scanned.count(), "exporting")
	defer bar.Finish()
	x := &exporter{ctx: cmd.Context(), src: src, sel: sel, sc: sc, o: o, bar: bar, warn: warn}
	switch kind {
	case toAVI:
		err = x.avi(target, rate)
	case toGIF:
		err = x.gif(target, o.palette == "frame")
	case toFFmpeg:
		err = x.ffmpeg(ffmpeg, target, rate)
	default:
		err = x.pictures(target)
	}
	if errors.Is(err, errNoFrames) {
		return noFrames(name, o.frames, o.times, nil)
	}
	return err
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
func spool(ctx context.Context, path string, r io.Reader, sel selection, warn io.Writer, limit int64) (string, error) {
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

func spoolTo(ctx context.Context, f *os.File, path string, r io.Reader, sel selection, warn io.Writer, limit int64) error {
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
	var at time.Duration
	for i := 0; ; i++ {
		if err := flush(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		h, d, err := zr.ReadFrame(data)
		data = d
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			var fe *container.FrameError
			if errors.As(err, &fe) && !ioFailure(err) {
				fmt.Fprintf(warn, "imgstream: warning: %s is damaged at %v; using the %d frames before it\n", path, err, i)
				return nil
			}
			return fmt.Errorf("%s: %w", path, err)
		}
		if i > 0 {
			at += h.Elapsed
		}
		if _, more := sel.wants(i, at); !more {
			return flush()
		}
	}
}

// An exporter writes the frames a selection picks from a source, looking
// at ctx before each (Ctrl-C stops it, and the partial output is removed).
type exporter struct {
	ctx  context.Context
	src  *source
	sel  selection
	sc   *scaler
	o    exportOptions
	bar  *bar
	warn io.Writer
}

// each is source.each, stopped when the context ends.
func (x *exporter) each(fn func(i int, at time.Duration, m *imageio.Image) error) error {
	return x.src.each(x.sel, x.warn, func(i int, at time.Duration, m *imageio.Image) error {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		x.bar.Add(1)
		return fn(i, at, m)
	})
}

// gridNotes warns of frames a video's grid left out (frames closer together
// than its period) and of gaps shortened to avi.DefaultMaxHold.
func (x *exporter) gridNotes(rate avi.Rate, frames, dropped, shortened int) {
	if dropped > 0 {
		why := "leave --fps out to keep every frame"
		if x.o.fps == "" {
			why = fmt.Sprintf("no grid up to %d fps (1 ms) gives them a slot of their own: they were recorded at the same time as the frame before, or less than 1 ms after it", avi.MaxRateFor)
		}
		fmt.Fprintf(x.warn, "imgstream: warning: %d of %d frames left out at %v fps: each came within a frame period (%v) of the one before; %s\n",
			dropped, frames, rate, rate.Period(), why)
	}
	if shortened > 0 {
		fmt.Fprintf(x.warn, "imgstream: warning: %d gaps between frames longer than %v shortened to %v (the longest a frame is shown)\n",
			shortened, avi.DefaultMaxHold, avi.DefaultMaxHold)
	}
}

// jpegFrames calls emit with every selected frame as a JPEG and its time,
// in order: JPEG frames as they are (unless scaled), others encoded on
// every core. It returns errNoFrames when none was picked.
func (x *exporter) jpegFrames(emit func(jpg []byte, at time.Duration) error) error {
	var p *pool
	n := 0
	err := x.each(func(_ int, at time.Duration, m *imageio.Image) error {
		n++
		// JPEG frames go straight out, as they are, until a frame needs
		// encoding; from then on every frame goes through the pool, to
		// stay in order.
		if m.Format == container.JPEG && x.sc == nil && p == nil {
			return emit(m.Data, at)
		}
		if p == nil {
			p = newPool(x.o.workers, func(m *imageio.Image, s *scratch) ([]byte, error) { return jpegWith(m, x.sc, x.o.quality, false, s) },
				func(b []byte, at int64) error { return emit(b, time.Duration(at)) })
		}
		p.put(m, int64(at))
		return nil
	})
	if p != nil {
		if perr := p.close(); err == nil {
			err = perr
		}
	}
	if err == nil && n == 0 {
		err = errNoFrames
	}
	return err
}

func (x *exporter) avi(out string, rate avi.Rate) error {
	f, err := createPartial(x.ctx, out)
	if err != nil {
		return err
	}
	defer f.drop()
	bf := &bufferedFile{f: f.File, w: bufio.NewWriterSize(f, 64<<10)}
	var w *avi.Writer
	frames := 0
	err = x.jpegFrames(func(jpg []byte, at time.Duration) error {
		if w == nil {
			cfg, err := jpegConfig(jpg)
			if err != nil {
				return err
			}
			if w, err = avi.NewWriter(bf, avi.Config{Width: cfg.Width, Height: cfg.Height, Rate: rate, SegmentSize: x.o.segment}); err != nil {
				return err
			}
		}
		frames++
		return w.WriteFrame(jpg, at)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bf.w.Flush(); err != nil {
		return err
	}
	x.gridNotes(rate, frames, w.Dropped(), w.Shortened())
	return f.keep()
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

func (x *exporter) ffmpeg(ffmpeg, out string, rate avi.Rate) error {
	f, err := createPartial(x.ctx, out)
	if err != nil {
		return err
	}
	defer f.drop()
	f.Close() // ffmpeg writes it
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "mjpeg", "-framerate", rate.String(), "-i", "-",
		"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-r", rate.String()}
	if strings.HasSuffix(strings.ToLower(out), ".webm") {
		args = append(args, "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32")
	} else {
		args = append(args, "-c:v", "libx264", "-pix_fmt", "yuv420p")
	}
	c := exec.CommandContext(x.ctx, ffmpeg, append(args, f.Name())...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	stdin, err := c.StdinPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	// Frames go to ffmpeg on the grid, as avi.Writer places them: a frame
	// shown for several slots is sent that many times (for at most
	// avi.DefaultMaxHold), one that lands on a taken slot is left out.
	hold := min(max(rate.Slot(avi.DefaultMaxHold), 1), avi.MaxHoldSlots)
	var last []byte
	var t0 time.Duration
	slot, skip := int64(-1), int64(0)
	frames, dropped, shortened := 0, 0, 0
	werr := x.jpegFrames(func(jpg []byte, at time.Duration) error {
		frames++
		if slot < 0 {
			t0 = at
		}
		s := rate.Slot(at-t0) - skip
		if s <= slot {
			dropped++
			return nil
		}
		if slot >= 0 && s-slot > hold {
			skip += s - slot - hold
			s = slot + hold
			shortened++
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
	if werr != nil {
		return werr
	}
	if err != nil {
		if cerr := x.ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	x.gridNotes(rate, frames, dropped, shortened)
	return f.keep()
}

// errPictureExists is the error of a picture export that meets a file with
// the name of a picture: it is left as it was, and the pictures written
// before it are removed.
var errPictureExists = errors.New("exists already: pictures are never written over (remove the old ones, or export elsewhere)")

func (x *exporter) pictures(pattern string) (err error) {
	ext := strings.ToLower(filepath.Ext(pattern))
	asJPEG := ext == ".jpg" || ext == ".jpeg"
	if !asJPEG && ext != ".png" {
		return usageError{fmt.Errorf("%s: pictures are .png or .jpg", pattern)}
	}
	// Only the directories made here and the pictures written here are
	// removed when the export fails.
	var made []string
	for d := filepath.Dir(pattern); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	if err := os.MkdirAll(filepath.Dir(pattern), 0o755); err != nil {
		return err
	}
	dir, base := filepath.Split(pattern) // the directory as it is
	var written []string
	defer func() {
		if err != nil {
			for _, name := range written {
				os.Remove(name)
			}
			for _, d := range made {
				os.Remove(d) // only when empty
			}
		}
	}()
	encode := func(m *imageio.Image, s *scratch) ([]byte, error) {
		if asJPEG {
			return jpegWith(m, x.sc, x.o.quality, false, s)
		}
		img, err := m.Decode()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		err = png.Encode(&b, x.sc.apply(img))
		return b.Bytes(), err
	}
	p := newPool(x.o.workers, encode, func(b []byte, i int64) error {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		name := dir + fmt.Sprintf(base, i)
		// O_EXCL: a file that has the name already is the user's, never
		// written over, and never removed by the clean-up.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", name, errPictureExists)
		}
		if err != nil {
			return err
		}
		written = append(written, name)
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	n := 0
	err = x.each(func(i int, _ time.Duration, m *imageio.Image) error {
		n++
		p.put(m, int64(i))
		return nil
	})
	if perr := p.close(); err == nil {
		err = perr
	}
	if err == nil && n == 0 {
		err = errNoFrames
	}
	return err
}

func (x *exporter) gif(out string, perFrame bool) error {
	f, err := createPartial(x.ctx, out)
	if err != nil {
		return err
	}
	defer f.drop()
	bw := bufio.NewWriterSize(f, 1<<20)
	anim := gifenc.NewAnimation(bw, perFrame)
	err = x.each(func(i int, at time.Duration, m *imageio.Image) error {
		img, err := m.Decode()
		if err != nil {
			return err
		}
		return anim.Add(x.sc.apply(img), at)
	})
	if err != nil {
		return err
	}
	if anim.Frames() == 0 {
		return errNoFrames
	}
	if err := anim.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if n := anim.Shortened(); n > 0 {
		fmt.Fprintf(x.warn, "imgstream: warning: %d gaps between frames longer than %v, the longest a GIF shows a frame, shortened to it\n", n, gifenc.MaxDelay)
	}
	return f.keep()
}
