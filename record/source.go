package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/shm"
)

// A Frame is one frame from a Source.
type Frame struct {
	// Image is the frame as it is stored: a JPEG as the camera sent it,
	// or raw pixels. Its Data is valid only during the emit call that
	// delivers it.
	imageio.Image
	// Time is when the frame was captured on the source's own clock, for
	// sources that carry their own timing (OMV streams, shm); zero for
	// the Recorder to time the frame by its arrival. Only the differences
	// between the frames of one Run count: the Recorder places the first
	// frame of a Run at its arrival and the others after it.
	Time time.Time
	// Skipped is how many frames the source lost just before this one
	// (a shm reader slower than its writer, corrupt frames it dropped).
	Skipped uint64
}

// A Source delivers frames to a Recorder. Run connects, passes each frame
// to emit in order until ctx is done, and returns. It returns io.EOF (or
// nil) when the source has ended for good (a pipe or file at its end), an
// error matching ErrPermanent (see Permanent) when running it again cannot
// help (a wrong URL), and any other error when it failed: the Recorder
// then runs it again after a backoff. An error from emit ends Run, which
// returns it.
//
// MJPEG, OMV and SHM are the sources of the package; NATS and programs
// add their own.
type Source interface {
	Run(ctx context.Context, emit func(*Frame) error) error
}

// SourceFunc adapts a function to the Source interface.
type SourceFunc func(ctx context.Context, emit func(*Frame) error) error

// Run calls f(ctx, emit).
func (f SourceFunc) Run(ctx context.Context, emit func(*Frame) error) error { return f(ctx, emit) }

// ErrPermanent matches a source error that connecting again cannot cure;
// Permanent marks one.
var ErrPermanent = errors.New("record: permanent source error")

// Permanent returns err marked as permanent: it matches ErrPermanent (and
// still err), and reads as err.
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// MJPEG returns the source of an MJPEG stream over HTTP at url: an IP
// camera, an ESP32-CAM, an OpenMV board or imgstream serve. Frames are
// kept as the camera sent them; a frame that is not a whole JPEG (cut off
// when the camera dropped) is skipped and counted. A response other than
// 200 OK, or one that is not a multipart stream, is retried like a drop,
// except 4xx answers other than 408 and 429, which are permanent. client
// is http.DefaultClient when nil.
func MJPEG(client *http.Client, url string) Source {
	if client == nil {
		client = http.DefaultClient
	}
	var skipped uint64 // told with the next frame, maybe after a reconnection
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		r, err := mjpeg.DialClient(ctx, client, url)
		if err != nil {
			var se *mjpeg.StatusError
			if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 &&
				se.StatusCode != http.StatusRequestTimeout && se.StatusCode != http.StatusTooManyRequests {
				return Permanent(err)
			}
			return err
		}
		defer r.Close()
		var f Frame
		for {
			data, err := r.NextFrame()
			switch {
			case err == io.EOF:
				return fmt.Errorf("record: %s: the stream ended", url) // a camera that drops: connect again
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, io.ErrUnexpectedEOF):
				skipped++ // the camera dropped inside a frame
				return fmt.Errorf("record: %s: the stream ended inside a frame", url)
			case err != nil:
				return err
			}
			w, h, ok := mjpeg.Dimensions(data)
			if !ok {
				skipped++ // not a whole JPEG
				continue
			}
			f.Image = imageio.Image{Width: w, Height: h, Format: container.JPEG, Data: data}
			f.Skipped = skipped
			if err := emit(&f); err != nil {
				return err
			}
			skipped = 0
		}
	})
}

// OMV returns the source of an OMV IMG STR stream read from r, such as a
// camera program's standard output: frames keep the stream's own timing.
// It ends with io.EOF at the end of r, and with the damage (a
// *container.FrameError) if r is cut inside a frame. It runs once: a pipe
// cannot be reopened.
func OMV(r io.Reader) Source {
	used := false
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		if used {
			return io.EOF
		}
		used = true
		zr, err := container.NewReader(r)
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return Permanent(err)
		}
		var (
			f   Frame
			buf []byte
			at  time.Duration
		)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			h, data, err := zr.ReadFrame(buf)
			if err == io.EOF {
				return io.EOF
			}
			if err != nil {
				return Permanent(err)
			}
			buf = data[:0]
			if !f.Time.IsZero() {
				at += h.Elapsed
			}
			f.Image = imageio.Image{Width: h.Width, Height: h.Height, Format: h.Format, Data: data}
			f.Time = sourceEpoch.Add(at)
			if err := emit(&f); err != nil {
				return err
			}
		}
	})
}

// sourceEpoch is the origin of the times a source without a clock of its
// own gives its frames: only their differences count.
var sourceEpoch = time.Unix(1, 0)

// SHM returns the source of the shm stream name: it waits for its writer,
// follows the writer's restarts, and copies each frame out of the shared
// memory (never torn). Frames keep the time the writer published them at;
// the frames a slow recorder skipped are counted.
func SHM(name string) Source {
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		r, err := shm.OpenWait(ctx, name)
		if err != nil {
			if errors.Is(err, shm.ErrInvalidName) || errors.Is(err, shm.ErrUnsupported) {
				return Permanent(err)
			}
			return err
		}
		defer r.Close()
		r.Follow = true
		var (
			f   Frame
			buf []byte
		)
		for {
			sf, err := r.NextInto(ctx, buf)
			if errors.Is(err, shm.ErrTorn) {
				continue // NextInto goes on, and Skipped counts what was missed
			}
			if err != nil {
				return err
			}
			buf = sf.Data[:0]
			h := sf.Header
			f.Image = imageio.Image{Width: h.Width, Height: h.Height, Format: h.Format, Data: sf.Data}
			f.Time, f.Skipped = sf.Time, sf.Skipped
			if err := emit(&f); err != nil {
				return err
			}
		}
	})
}
