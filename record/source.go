package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/shm"
)

// A Frame is one frame from a Source.
type Frame struct {
	// Image is the frame as it is stored: a JPEG as the camera sent it,
	// or raw pixels in a format an OMV file holds. RGB24 and BGR24
	// frames (numpy's and OpenCV's), which no OMV file holds, are
	// encoded to JPEG at imageio.JPEGQuality (90) on their way to the
	// file; a frame in a format the Recorder can neither store nor
	// convert ends Run with ErrUnstorable. Its Data is valid only during
	// the emit call that delivers it.
	imageio.Image
	// Time is when the frame was captured on the source's own clock, for
	// sources that carry their own timing (OMV streams, shm); zero for
	// the Recorder to time the frame by its arrival. Only the differences
	// between the frames of one Run count: the Recorder places the first
	// frame of a Run at its arrival and the others after it. (It hides
	// the embedded Image's Time, a stream's time since its first frame,
	// which the Recorder does not use: reach that as Image.Time.)
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

// ErrUnstorable matches the permanent error of a frame in a pixel format
// an OMV file cannot hold and the Recorder does not convert.
var ErrUnstorable = errors.New("record: a frame no OMV file can hold")

// storable returns src with each frame made one an OMV file holds: RGB24
// and BGR24 frames are encoded to JPEG at imageio.JPEGQuality by one
// imageio.JPEGEncoder (the bytes of jpeg.Encode of their RGBA), frames of
// OMV's formats pass as they are (the ring refuses and counts a malformed
// one), and a frame of any other format ends Run with a permanent
// ErrUnstorable. The Recorder runs one source at a time, so the buffers
// are reused from frame to frame.
func storable(src Source) Source {
	var (
		out Frame
		enc imageio.JPEGEncoder
		jpg []byte
	)
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		return src.Run(ctx, func(f *Frame) error {
			switch m := &f.Image; {
			case m.Format == container.RGB24 || m.Format == container.BGR24:
				n, ok := m.Format.PayloadSize(m.Width, m.Height)
				if !ok || n != len(m.Data) {
					return emit(f) // malformed: the ring drops and counts it
				}
				var err error
				if jpg, err = enc.Append(jpg[:0], m); err != nil {
					return Permanent(fmt.Errorf("%w: a %dx%d %v frame does not encode to JPEG: %w", ErrUnstorable, m.Width, m.Height, m.Format, err))
				}
				out = *f
				out.Image = imageio.Image{Width: m.Width, Height: m.Height, Format: container.JPEG, Data: jpg}
				return emit(&out)
			case !m.Format.Valid():
				return Permanent(fmt.Errorf("%w: a %dx%d frame in %v (the formats are OpenMV's, and RGB24 and BGR24, stored as JPEG)", ErrUnstorable, m.Width, m.Height, m.Format))
			}
			return emit(f)
		})
	})
}

// MJPEG returns the source of an MJPEG stream over HTTP at url: an IP
// camera, an ESP32-CAM, an OpenMV board or imgstream serve. Frames are
// kept as the camera sent them; a frame that is not a whole JPEG (cut off
// when the camera dropped) is skipped and counted. A response other than
// 200 OK, or one that is not a multipart stream, is retried like a drop,
// except 4xx answers other than 408 and 429, which are permanent. An
// answer that is not a stream is an error matching mjpeg.ErrNotMultipart
// that says what came instead, such as "text/html: is this the page, not
// the stream?". client is NewClient() when nil, whose timeouts bound
// connecting and the wait for the headers (not http.DefaultClient, which
// has none).
func MJPEG(client *http.Client, url string) Source {
	if client == nil {
		client = NewClient()
	}
	var skipped uint64 // told with the next frame, maybe after a reconnection
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		r, body, err := dialMJPEG(ctx, client, url)
		if err != nil {
			var se *mjpeg.StatusError
			if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 &&
				se.StatusCode != http.StatusRequestTimeout && se.StatusCode != http.StatusTooManyRequests {
				return Permanent(err)
			}
			return err
		}
		defer body.Close()
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

// dialMJPEG is mjpeg.DialClient, whose error for an answer that is not a
// stream also says what the answer was and what it is likely to be: the
// log of a recorder that never gets a frame is all its user sees. It
// returns the Reader and the body to close.
func dialMJPEG(ctx context.Context, client *http.Client, url string) (*mjpeg.Reader, io.Closer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, Permanent(err) // a URL that no retry mends
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, nil, &mjpeg.StatusError{URL: url, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	ct := resp.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		resp.Body.Close()
		var what string
		switch {
		case ct == "":
			what = "no Content-Type, not an MJPEG stream (multipart/x-mixed-replace)"
		case mt == "text/html":
			what = ct + ": is this the page, not the stream? (imgstream's is /stream.mjpg)"
		case strings.HasPrefix(mt, "image/"):
			what = ct + ": one picture: is this a snapshot, not the stream?"
		case mt == "application/octet-stream":
			what = ct + ": is this a file, not the stream? (record a file with: record - < FILE)"
		default:
			what = ct + ", not an MJPEG stream (multipart/x-mixed-replace)"
		}
		return nil, nil, fmt.Errorf("%w: %s answers %s", mjpeg.ErrNotMultipart, url, what)
	}
	return mjpeg.NewReader(resp.Body, params["boundary"]), resp.Body, nil
}

// OMV returns the source of an OMV IMG STR stream read from r, such as a
// camera program's standard output: frames keep the stream's own timing.
// It ends with io.EOF at the end of r, and with the damage (a
// *container.FrameError) if r is cut inside a frame. A Run that its
// context ends (the Recorder's stall watchdog, when the pipe pauses)
// leaves the stream where it is, and the next Run goes on from the next
// frame; once the stream has ended, a Run ends at once with io.EOF: a
// pipe cannot be reopened.
func OMV(r io.Reader) Source {
	var (
		zr    *container.Reader // nil until the magic is read
		ended bool
		f     Frame
		buf   []byte
	)
	return SourceFunc(func(ctx context.Context, emit func(*Frame) error) error {
		if ended {
			return io.EOF
		}
		if zr == nil {
			z, err := container.NewReader(r)
			if err == io.EOF {
				ended = true
				return io.EOF
			}
			if err != nil {
				ended = true
				return Permanent(err)
			}
			zr = z
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			h, data, err := zr.ReadFrame(buf)
			if err == io.EOF {
				ended = true
				return io.EOF
			}
			if err != nil {
				ended = true
				return Permanent(err)
			}
			buf = data[:0]
			f.Image = imageio.ImageOf(h, data)
			f.Image.Time = zr.Time()
			f.Time = sourceEpoch.Add(f.Image.Time)
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
// the frames a slow recorder skipped are counted. The RGB24 and BGR24
// frames of numpy and OpenCV writers are stored as JPEG (see Frame).
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
			f.Image = imageio.ImageOf(&sf.Header, sf.Data)
			f.Time, f.Skipped = sf.Time, sf.Skipped
			if err := emit(&f); err != nil {
				return err
			}
		}
	})
}
