package export

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"time"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// Options refine an export. The zero value exports every frame, at the
// rate that keeps them all, in their own size, with raw frames encoded at
// DefaultQuality on every core.
type Options struct {
	// Range picks the frames to export: every frame when zero.
	Range Range
	// Rate is a video's frame rate (AVI, Video): Num and Den from 1 to
	// math.MaxInt32, else the export is ErrInvalidOptions. When zero, it is
	// avi.RateFor the picked frames' times: the rate on whose grid no two
	// of them share a slot, so that none is dropped; 30/1 for a stream
	// Recording, whose times are not known before it is read. The command
	// line and the player both leave it zero, so the same frames give the
	// same file.
	Rate avi.Rate
	// Scale resizes every frame: none when zero.
	Scale Scale
	// Quality is the JPEG quality, 1 to 100, of frames that are encoded
	// (raw frames, scaled frames, JPEG pictures): DefaultQuality when 0.
	Quality int
	// Workers is how many frames are encoded at once: one per core when
	// 0 or less, at most MaxWorkers.
	Workers int
	// SegmentSize is an AVI's largest RIFF segment
	// (avi.Config.SegmentSize): avi.DefaultSegmentSize when 0.
	SegmentSize int64
	// PalettePerFrame gives each frame of a GIF a palette of its own;
	// else the first GIFPaletteSample frames choose one for all.
	PalettePerFrame bool
	// FFmpeg is the ffmpeg program Video runs: "ffmpeg" on the PATH when
	// empty.
	FFmpeg string
	// Progress, if not nil, is called after each frame picked is read,
	// with the number read so far, on the goroutine that runs the export.
	Progress func(frames int)
	// Render, if not nil, is called before a GIF's frame is decoded and
	// mapped to its palette, and the function it returns (if not nil)
	// after: a caller that bounds how many frames it renders at once (the
	// player's MaxRenders) makes it wait for a place, and an error (ctx
	// done first) stops the export with it.
	Render func(ctx context.Context) (done func(), err error)
}

func (o *Options) quality() int {
	if o.Quality <= 0 {
		return DefaultQuality
	}
	return min(o.Quality, 100)
}

// VideoRate returns the frame rate that AVI, NewAVIStream and Video give
// the frames of rec that o picks: o.Rate when set, else avi.RateFor their
// times (30/1 for a stream). It is the one rule of the command line and
// the player.
func VideoRate(rec *Recording, o Options) avi.Rate { return o.rate(rec) }

func (o *Options) rate(rec *Recording) avi.Rate {
	if o.Rate.Num > 0 && o.Rate.Den > 0 {
		return o.Rate
	}
	return avi.RateFor(rec.Times(o.Range))
}

// checkRate returns ErrInvalidOptions for a rate r that is set (not zero)
// and is no frame rate: Num and Den from 1 to math.MaxInt32, as
// avi.ParseRate reads them, with a period of a nanosecond or more.
func checkRate(r avi.Rate) error {
	if r == (avi.Rate{}) || r.Num >= 1 && r.Den >= 1 && r.Num <= math.MaxInt32 && r.Den <= math.MaxInt32 && r.Period() > 0 {
		return nil
	}
	return fmt.Errorf("%w: frame rate %v", ErrInvalidOptions, r)
}

// Result is what an export wrote.
type Result struct {
	// Frames is the number of frames picked and written; for video,
	// Dropped of them are left out of it.
	Frames int
	// Rate is a video's frame rate.
	Rate avi.Rate
	// Dropped counts a video's frames left out: each came within a frame
	// period of the one before, and had no slot of the grid of its own.
	Dropped int
	// Shortened counts the gaps between frames longer than the output
	// shows a frame (avi.DefaultMaxHold for video, MaxGIFDelay for a GIF,
	// the version's longest interval for Convert), shortened to it.
	Shortened int
}

// eachPicked is rec.each over o.Range, reporting progress.
func eachPicked(ctx context.Context, rec *Recording, o *Options, fn func(i int, at time.Duration, m *imageio.Image) error) error {
	n := 0
	return rec.each(ctx, o.Range, func(i int, at time.Duration, m *imageio.Image) error {
		n++
		if o.Progress != nil {
			o.Progress(n)
		}
		return fn(i, at, m)
	})
}

// jpegFrames calls emit with every picked frame as a JPEG and its time,
// in order: JPEG frames as they are (unless scaled), others encoded on
// o.Workers goroutines. It returns ErrNoFrames when none was picked.
func jpegFrames(ctx context.Context, rec *Recording, o *Options, emit func(jpg []byte, at time.Duration) error) error {
	var p *pool
	n := 0
	q := o.quality()
	err := eachPicked(ctx, rec, o, func(_ int, at time.Duration, m *imageio.Image) error {
		n++
		// JPEG frames go straight out, as they are, until a frame needs
		// encoding; from then on every frame goes through the pool, to
		// stay in order.
		if m.Format == container.JPEG && o.Scale.none() && p == nil {
			return emit(m.Data, at)
		}
		if p == nil {
			p = newPool(o.Workers, func(m *imageio.Image, s *scratch) ([]byte, error) { return jpegWith(m, o.Scale, q, false, s) },
				func(b []byte, at int64) error { return emit(b, time.Duration(at)) })
		}
		return p.put(m, int64(at))
	})
	if p != nil {
		if perr := p.close(); err == nil || err == errPoolFailed {
			err = perr
		}
	}
	if err == nil {
		err = stopped(ctx)
	}
	if err == nil && n == 0 {
		err = ErrNoFrames
	}
	return err
}

func jpegConfig(b []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	return cfg, err
}

// AVI writes the frames of rec that o picks to w as an MJPEG AVI (see
// package avi), at o's rate: JPEG frames pass through untouched, others
// are encoded on o.Workers goroutines. The video's size is the first
// frame's. It writes nothing and returns ErrNoFrames when o picks no
// frame; it looks at ctx before each frame, and returns its cause when it
// is done (what w holds then is no whole file). The same frames and
// options give the same bytes as an AVIStream.
func AVI(ctx context.Context, w io.WriteSeeker, rec *Recording, o Options) (*Result, error) {
	if err := checkRate(o.Rate); err != nil {
		return nil, err
	}
	rate := o.rate(rec)
	bw := &bufferedSeeker{ws: w, w: bufio.NewWriterSize(w, 64<<10)}
	var aw *avi.Writer
	res := &Result{Rate: rate}
	err := jpegFrames(ctx, rec, &o, func(jpg []byte, at time.Duration) error {
		if aw == nil {
			cfg, err := jpegConfig(jpg)
			if err != nil {
				return err
			}
			if aw, err = avi.NewWriter(bw, avi.Config{Width: cfg.Width, Height: cfg.Height, Rate: rate, SegmentSize: o.SegmentSize}); err != nil {
				return err
			}
		}
		res.Frames++
		return aw.WriteFrame(jpg, at)
	})
	if err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	if err := bw.w.Flush(); err != nil {
		return nil, err
	}
	res.Dropped, res.Shortened = aw.Dropped(), aw.Shortened()
	return res, nil
}

// bufferedSeeker is a WriteSeeker whose writes are buffered, flushed
// before each Seek: the AVI writer's two writes a frame become one system
// call every 64 KiB.
type bufferedSeeker struct {
	ws io.WriteSeeker
	w  *bufio.Writer
}

// Write buffers small writes (chunk headers, index entries); a frame goes
// out as it is, after what the buffer holds.
func (b *bufferedSeeker) Write(p []byte) (int, error) {
	if len(p) >= 4<<10 {
		if err := b.w.Flush(); err != nil {
			return 0, err
		}
		return b.ws.Write(p)
	}
	return b.w.Write(p)
}

func (b *bufferedSeeker) Seek(off int64, whence int) (int64, error) {
	if err := b.w.Flush(); err != nil {
		return 0, err
	}
	return b.ws.Seek(off, whence)
}

// ErrNotLaidOut is returned by NewAVIStream when the AVI cannot be laid
// out before its frames are read: the Recording is a stream, a frame
// picked is not a JPEG, or the frames are scaled. AVI writes it.
var ErrNotLaidOut = errors.New("export: the AVI cannot be laid out from the index")

// An AVIStream is the AVI of an indexed recording's JPEG frames, laid out
// from the index before a frame is read: its Size is known before its
// first byte, and WriteTo sends it to an io.Writer that cannot seek (an
// HTTP response) as it is made. It holds the same bytes as AVI makes of
// the same frames with the same options.
type AVIStream struct {
	rec    *Recording
	o      Options
	layout *avi.Layout
	size   int64
	res    Result
}

// NewAVIStream lays out the AVI of the frames of rec that o picks, reading
// only the first (for the video's size). It returns ErrNotLaidOut when
// that cannot be done (see ErrNotLaidOut), and ErrNoFrames when o picks no
// frame.
func NewAVIStream(ctx context.Context, rec *Recording, o Options) (*AVIStream, error) {
	if err := checkRate(o.Rate); err != nil {
		return nil, err
	}
	if rec.x == nil || !o.Scale.none() {
		return nil, ErrNotLaidOut
	}
	rate := o.rate(rec)
	s := &AVIStream{rec: rec, o: o, res: Result{Rate: rate}}
	var l *avi.Layout
	for i := range rec.x.Entries {
		at := rec.x.Entries[i].Time
		if i%4096 == 0 {
			if err := stopped(ctx); err != nil {
				return nil, err
			}
		}
		want, more := o.Range.Wants(i, at)
		if want {
			e := &rec.x.Entries[i]
			if e.Format != container.JPEG {
				return nil, ErrNotLaidOut
			}
			if l == nil {
				data, err := rec.x.ReadPayload(rec.ra, i, nil)
				if err != nil {
					return nil, err
				}
				cfg, err := jpegConfig(data)
				if err != nil {
					return nil, err
				}
				if l, err = avi.NewLayout(avi.Config{Width: cfg.Width, Height: cfg.Height, Rate: rate, SegmentSize: o.SegmentSize}); err != nil {
					return nil, err
				}
			}
			if err := l.Add(e.Size, at); err != nil {
				return nil, err
			}
			s.res.Frames++
		}
		if !more {
			break
		}
	}
	if l == nil {
		return nil, ErrNoFrames
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	s.layout, s.size = l, size
	s.res.Dropped, s.res.Shortened = l.Dropped(), l.Shortened()
	return s, nil
}

// Size returns the AVI's size in bytes.
func (s *AVIStream) Size() int64 { return s.size }

// Result returns what WriteTo writes, known from the layout.
func (s *AVIStream) Result() Result { return s.res }

// WriteTo writes the AVI to w, reading each frame as it goes, and
// returns the number of bytes written. It looks at ctx before each frame
// and returns its cause when it is done: then w has fewer bytes than Size.
// An AVIStream is written once.
func (s *AVIStream) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	aw, err := s.layout.NewWriter(bw)
	if err != nil {
		return 0, err
	}
	o := s.o
	err = eachPicked(ctx, s.rec, &o, func(i int, at time.Duration, m *imageio.Image) error {
		return aw.WriteFrame(m.Data, at)
	})
	if err == nil {
		err = aw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	return cw.n, err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// GIF writes the frames of rec that o picks to w as an animated GIF that
// loops for ever. Each frame is shown until the next one's time, in
// hundredths of a second with the rounding carried, so the total stays
// within 10 ms of the recording's (a gap over MaxGIFDelay is shortened
// to it, and counted in Result.Shortened); the last frame shows as long
// as the gap before it. One palette serves the whole animation, chosen
// from its first GIFPaletteSample frames, unless o.PalettePerFrame. The
// GIF's size is the first frame's: a frame of another size is scaled to
// it (a frame larger than the GIF is one that decoders refuse). It
// writes nothing and returns ErrNoFrames when o picks no frame; it looks
// at ctx before each frame and returns its cause when it is done. It
// does not close w.
func GIF(ctx context.Context, w io.Writer, rec *Recording, o Options) (*Result, error) {
	anim := newAnimation(w, o.PalettePerFrame)
	// One picture for every frame: the animation copies those it keeps.
	var dec imageio.Decoder
	err := eachPicked(ctx, rec, &o, func(i int, at time.Duration, m *imageio.Image) error {
		if o.Render != nil {
			done, err := o.Render(ctx)
			if err != nil {
				return err
			}
			if done != nil {
				defer done()
			}
		}
		img, err := dec.Decode(m)
		if err != nil {
			return frameError(i, err)
		}
		return anim.Add(o.Scale.Apply(img), at)
	})
	if err != nil {
		return nil, err
	}
	if anim.Frames() == 0 {
		return nil, ErrNoFrames
	}
	if err := anim.Close(); err != nil {
		return nil, err
	}
	return &Result{Frames: anim.Frames(), Shortened: anim.Shortened()}, nil
}
