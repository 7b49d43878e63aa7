package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/imgstream/imgstream/avi"
	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// ErrInvalidOptions is returned by Convert for options that contradict
// each other or are out of range.
var ErrInvalidOptions = errors.New("export: invalid options")

// ConvertOptions refine Convert. The zero value copies every frame as it
// is, with its timing, into a V2.0 recording.
type ConvertOptions struct {
	// Range picks the frames to copy: every frame when zero.
	Range Range
	// Version is the output's version: container.V2_0 when 0.
	Version container.Version
	// Rate, if not zero, retimes the frames to this fixed rate: Num and
	// Den from 1 to math.MaxInt32, else Convert is ErrInvalidOptions.
	Rate avi.Rate
	// Speed, if more than 0, retimes the frames: their times since the
	// first are divided by it (2 plays twice as fast). Not with Rate; a
	// negative, NaN or infinite Speed is ErrInvalidOptions.
	Speed float64
	// Quality, if more than 0 (at most 100), encodes raw frames as JPEG
	// at this quality; JPEG frames stay as they are unless scaled, and
	// are encoded at this quality then.
	Quality int
	// Scale resizes every frame (JPEG frames are encoded again): none
	// when zero.
	Scale Scale
	// Progress, if not nil, is called after each frame picked is read,
	// with the number read so far.
	Progress func(frames int)
}

// Convert copies the frames of rec that o picks to w as an OMV IMG STR
// recording of o.Version, in the canonical form the strict reader accepts,
// retimed, encoded and scaled as o asks. A retimed frame's interval is the
// rest of the way to its retimed time, rounded to the version's unit, so
// that rounding never adds up (67 ms at Speed 2 alternates 33 and 34 ms). A
// gap longer than the version's time field holds (V2.0: 49.7 days of
// milliseconds; V2.1: 71.6 minutes of microseconds) is shortened to the
// longest it holds, and counted in Result.Shortened. A frame the version
// cannot hold (PNG or YUV in V1.x) is an error; o.Quality makes it a JPEG.
// It returns ErrNoFrames when o picks no frame, and ctx's cause when ctx
// is done; w then holds no whole recording. It does not close w.
func Convert(ctx context.Context, w io.Writer, rec *Recording, o ConvertOptions) (*Result, error) {
	v := o.Version
	if v == 0 {
		v = container.V2_0
	}
	if err := checkRate(o.Rate); err != nil {
		return nil, err
	}
	var period time.Duration
	if o.Rate != (avi.Rate{}) {
		period = o.Rate.Period()
	}
	if !(o.Speed >= 0) || math.IsInf(o.Speed, 1) || (o.Speed > 0 && period > 0) || o.Quality < 0 || o.Quality > 100 {
		return nil, fmt.Errorf("%w: Speed %g, Rate %v, Quality %d: want Speed or Rate, not both, and a Quality from 0 to 100", ErrInvalidOptions, o.Speed, o.Rate, o.Quality)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	zw := container.NewWriter(bw)
	zw.Version = v
	var prevAt, firstAt time.Duration
	// written is the output's time so far.
	var written time.Duration
	unit := v.TimeUnit()
	longest := time.Duration(math.MaxUint32) * unit
	res := &Result{}
	var out imageio.Image
	var s scratch
	n := 0
	err := rec.each(ctx, o.Range, func(i int, at time.Duration, m *imageio.Image) error {
		n++
		if o.Progress != nil {
			o.Progress(n)
		}
		elapsed := at - prevAt
		if res.Frames > 0 && (period > 0 || o.Speed > 0) {
			target := float64(res.Frames) * float64(period) // the frame's retimed time
			if o.Speed > 0 {
				target = float64(at-firstAt) / o.Speed
			}
			if rest := target - float64(written); rest <= float64(longest) {
				elapsed = max(time.Duration(rest).Round(unit), 0)
			} else {
				// Shortened below; the time after it counts from this
				// frame's retimed time.
				elapsed = longest + 1
				written = time.Duration(min(target, math.MaxInt64/4)) - longest
			}
		}
		switch {
		case res.Frames == 0:
			elapsed, firstAt = 0, at
		case elapsed > longest:
			elapsed = longest
			res.Shortened++
		}
		if elapsed <= longest && written <= math.MaxInt64/4 {
			written += elapsed
		}
		prevAt = at
		img := m
		if !o.Scale.none() || (o.Quality > 0 && m.Format != container.JPEG) {
			if o.Quality > 0 {
				// A raw frame, or a JPEG frame scaled: a JPEG at Quality.
				b, err := jpegWith(m, o.Scale, o.Quality, true, &s)
				if err != nil {
					return frameError(i, err)
				}
				w, h := o.Scale.Size(m.Width, m.Height)
				out = imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: b}
			} else {
				dec, err := s.dec.Decode(m)
				if err != nil {
					return frameError(i, err)
				}
				if err := out.SetImage(o.Scale.Apply(dec), m.Format); err != nil {
					return frameError(i, err)
				}
			}
			img = &out
		}
		h := img.Header()
		h.Elapsed = elapsed
		if err := zw.WriteFrame(&h, img.Data); err != nil {
			return frameError(i, err)
		}
		res.Frames++
		return nil
	})
	if err == nil {
		err = stopped(ctx)
	}
	if err != nil {
		return nil, err
	}
	if res.Frames == 0 {
		return nil, ErrNoFrames
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return res, nil
}
