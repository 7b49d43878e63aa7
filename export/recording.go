package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
)

// ErrNoFrames is returned by an export whose range picks no frame of the
// recording: nothing is written.
var ErrNoFrames = errors.New("export: no frames to write")

// ErrStreamRead is returned by an export of a stream Recording that was
// read already: a stream's frames come once.
var ErrStreamRead = errors.New("export: the stream was read already")

// A Recording is what an export reads: a recording's frames in order, with
// their times since the first frame. It reads them from an index and the
// bytes it describes (FromIndex, Open), which gives every frame's time
// before a frame is read, or once from a stream (FromReader), whose times
// come as it is read. A Recording made from an index is safe for
// concurrent use by several exports (its io.ReaderAt must be, as an
// *os.File is); one made from a stream is read by one export, once.
type Recording struct {
	x  *container.Index
	ra io.ReaderAt

	zr     *container.Reader
	read   bool  // the stream has been read
	damage error // where the file or the stream is damaged

	closer io.Closer // what the Recording opened itself (Folder.Recording)
}

// Close closes the files a Recording opened itself, as one from
// Folder.Recording does; for others it does nothing. An export of a
// closed Recording fails.
func (r *Recording) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

// FromIndex returns the Recording of the frames that x indexes in r (the
// whole stream, offset 0 being the first byte of its magic), at the times
// its entries give (Entry.Time, as container.ReadIndex and Index.Append
// fill them).
func FromIndex(x *container.Index, r io.ReaderAt) *Recording {
	return &Recording{x: x, ra: r}
}

// A File is what Open reads a recording from: an *os.File, or a
// *bytes.Reader.
type File interface {
	io.ReaderAt
	io.ReadSeeker
}

// Open indexes the recording that f holds, from its start, and returns it.
// A damaged recording opens with its complete frames, and Damage says
// where the damage is; a file that is no recording is an error (see
// container.NewReader).
func Open(f File) (*Recording, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	x, err := container.ReadIndex(f)
	if x == nil {
		return nil, err
	}
	rec := FromIndex(x, f)
	rec.damage = err
	return rec, nil
}

// FromReader returns the Recording of the frames zr reads, from the next
// one on: an export reads them once, and a second export of it is
// ErrStreamRead. Damage after good frames ends the frames, and Damage says
// where it is.
func FromReader(zr *container.Reader) *Recording { return &Recording{zr: zr} }

// Index returns the index of a Recording made from one (FromIndex, Open);
// nil for a stream. It must not be changed.
func (r *Recording) Index() *container.Index { return r.x }

// Version returns the recording's version.
func (r *Recording) Version() container.Version {
	if r.x != nil {
		return r.x.Version
	}
	return r.zr.Version()
}

// Len returns the number of frames of an indexed recording, -1 for a
// stream.
func (r *Recording) Len() int {
	if r.x == nil {
		return -1
	}
	return len(r.x.Entries)
}

// Duration returns the time from an indexed recording's first frame to its
// last; 0 for a stream.
func (r *Recording) Duration() time.Duration {
	if r.x == nil {
		return 0
	}
	return r.x.Duration()
}

// Times returns the times since the first frame of the frames rng picks,
// in order; nil for a stream, whose times are not known before it is read.
func (r *Recording) Times(rng Range) []time.Duration {
	if r.x == nil {
		return nil
	}
	at := []time.Duration{}
	for i := range r.x.Entries {
		t := r.x.Entries[i].Time
		want, more := rng.Wants(i, t)
		if want {
			at = append(at, t)
		}
		if !more {
			break
		}
	}
	return at
}

// Damage returns where the recording is damaged, as a
// *container.FrameError: for Open, what its index met; for a stream, what
// the reading met after the frames it delivered. It is nil for an
// undamaged recording, and for FromIndex.
func (r *Recording) Damage() error { return r.damage }

// IsDamage reports whether err, from reading a recording, is damage in
// the bytes that were read (a *container.FrameError of a damaged frame, as
// [container.IsDamage] says), rather than a failure to read them (an I/O
// error, a socket's timeout, a stop), which container wraps in a
// FrameError too. The frames before damage are good; a failure to read
// says nothing of the recording.
func IsDamage(err error) bool {
	var fe *container.FrameError
	return errors.As(err, &fe) && container.IsDamage(err)
}

// stopped returns ctx's cause once ctx is done, else nil.
func stopped(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// each calls fn with every frame rng picks, its index and its time since
// the first frame, in order, looking at ctx before each frame; m.Data is
// reused from call to call. Damage after good frames ends a stream's
// frames without an error (Damage says where); a payload an index
// promised and the file no longer holds is an error.
func (r *Recording) each(ctx context.Context, rng Range, fn func(i int, at time.Duration, m *imageio.Image) error) error {
	var m imageio.Image
	if r.x != nil {
		for i := range r.x.Entries {
			if err := stopped(ctx); err != nil {
				return err
			}
			e := &r.x.Entries[i]
			want, more := rng.Wants(i, e.Time)
			if want {
				data, err := r.x.ReadPayload(r.ra, i, m.Data)
				m.Data = data
				if err != nil {
					return err
				}
				m = imageio.ImageOf(&e.Header, data)
				m.Time = e.Time
				if err := fn(i, e.Time, &m); err != nil {
					return err
				}
			}
			if !more {
				break
			}
		}
		return nil
	}
	if r.read {
		return ErrStreamRead
	}
	r.read = true
	for i := 0; ; i++ {
		if err := stopped(ctx); err != nil {
			return err
		}
		h, data, err := r.zr.ReadFrame(m.Data)
		if err == io.EOF {
			return nil
		}
		m.Data = data
		if err != nil {
			if err := stopped(ctx); err != nil {
				return err // a read that ctx cut is no damage
			}
			if IsDamage(err) {
				r.damage = err
				return nil
			}
			return err
		}
		m = imageio.ImageOf(h, data)
		m.Time = r.zr.Time()
		want, more := rng.Wants(i, m.Time)
		if want {
			if err := fn(i, m.Time, &m); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// frameError names frame i in err, unless err names a frame already.
func frameError(i int, err error) error {
	var fe *container.FrameError
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("frame %d: %w", i, err)
}
