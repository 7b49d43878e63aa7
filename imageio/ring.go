package imageio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/imgstream/imgstream/circular"
	"github.com/imgstream/imgstream/container"
)

// NewRing returns a ring stream: it keeps the newest frames within the
// bounds of c (bytes, or bytes and a maximum age), dropping the oldest, for
// a recorder that saves the seconds before a trigger ([Stream.SaveTo]).
// Frames are held as OMV chunks of opts.Version (V2.0 or V2.1), so saving
// them is a copy. Writes always append, whatever the offset.
func NewRing(c circular.FrameConfig, opts *Options) (*Stream, error) {
	v := opts.version()
	if v != container.V2_0 && v != container.V2_1 {
		return nil, fmt.Errorf("%w: a ring holds V2.x chunks, not %s", container.ErrUnsupportedVersion, v)
	}
	fb, err := circular.NewFrameBuffer(c)
	if err != nil {
		return nil, err
	}
	rb := &ringBackend{fb: fb, v: v}
	// The chunk's header, payload and padding go straight into the ring's
	// open frame, and the payload comes back straight into the Image: one
	// copy each way.
	rb.zw = container.NewAppendWriter(fb, v)
	return newStream(RingStream, rb, v, opts), nil
}

type ringBackend struct {
	fb *circular.FrameBuffer
	zw *container.Writer // writes chunks into fb's open frame
	v  container.Version
	// first is the write time of the ring's first frame, which frame
	// times count from; wrote says it is set.
	first time.Duration
	wrote bool
	head  [32]byte // a chunk's header, read back
}

func (rb *ringBackend) span() (int, int) {
	first, end := rb.fb.Span()
	return int(first), int(end)
}

func (rb *ringBackend) read(i int, m *Image) (int, error) {
	head := rb.head[:rb.v.HeaderSize()]
	f, body, err := rb.fb.ReadFrameTo(int64(i), head, m.Data)
	if err != nil {
		return i, err
	}
	var h container.Header
	if err := h.Unmarshal(rb.v, head); err != nil {
		return i, err
	}
	if h.Size > len(body) {
		return i, fmt.Errorf("%w: ring frame %d holds %d of %d bytes", container.ErrTruncatedPayload, f.Index, len(body), h.Size)
	}
	*m = ImageOf(&h, body[:h.Size])
	m.Time = f.Timestamp - rb.first
	return int(f.Index), nil
}

func (rb *ringBackend) write(_ int, h *container.Header, data []byte, at time.Duration) error {
	// A chunk larger than the ring could not be held: refuse it before
	// any of it goes in, so that writes into the ring never fail halfway.
	if n := rb.v.HeaderSize() + len(data) + container.Padding(len(data)); n > rb.fb.Size() {
		return fmt.Errorf("%w: a chunk of %d bytes in a ring of %d", circular.ErrTooLarge, n, rb.fb.Size())
	}
	if err := rb.zw.WriteFrame(h, data); err != nil {
		return err // an invalid header: nothing was written
	}
	if err := rb.fb.WriteFrame(nil, circular.Key, at); err != nil {
		return err
	}
	if !rb.wrote {
		rb.first, rb.wrote = at, true
	}
	return nil
}

func (rb *ringBackend) size() int64     { return int64(rb.fb.Size()) }
func (rb *ringBackend) bufferSize() int { return rb.fb.Size() }
func (rb *ringBackend) sync() error     { return nil }
func (rb *ringBackend) close() error    { return nil }

// SaveTo writes the frames of a ring stream recorded in the last d (all of
// them if d is 0) to w as a complete OMV IMG STR file, and returns a Clip
// that appends the frames recorded afterwards to the same file: the seconds
// before a trigger, then what follows, with no gap and no overlap. The
// first saved frame keeps its recorded interval from the frame before it.
// The ring is copied under its lock and written to w outside it, so a slow
// w never holds up recording. On a file or memory stream it returns an
// error matching errors.ErrUnsupported.
func (s *Stream) SaveTo(w io.Writer, d time.Duration) (*Clip, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	rb, ok := s.b.(*ringBackend)
	if !ok {
		return nil, fmt.Errorf("imageio: SaveTo needs a ring stream, not a %v: %w", s.kind, errors.ErrUnsupported)
	}
	m := rb.v.Magic()
	if _, err := w.Write(m[:]); err != nil {
		return nil, err
	}
	c := &Clip{fb: rb.fb, w: w, magic: m}
	first, last, err := rb.fb.CopyTo(w, circular.Limit{Duration: d}, circular.AnyFrame)
	if errors.Is(err, circular.ErrNoFrame) {
		return c, nil // an empty recording so far
	}
	if err != nil {
		return nil, err
	}
	c.first, c.last, c.frames, c.next = first, last, int(last.Index-first.Index)+1, last.Index+1
	return c, nil
}

// ClipFrom starts a file on w, a complete OMV IMG STR file of no frame
// yet, whose first frame is to be the ring's frame index (an absolute
// index, as [Range] gives): [Clip.FlushTo] and [Clip.Flush] append the
// frames from there, so that a writer on its own goroutine follows the
// ring exactly, frame by frame, however far behind it runs. The frame
// keeps its recorded interval from the one before it. On a file or memory
// stream it returns an error matching errors.ErrUnsupported.
//
// ClipFrom, Recent, Fits and the Clip's methods may be called while
// another goroutine writes to the ring: the ring is safe for that, and
// they touch nothing else of the Stream.
func (s *Stream) ClipFrom(w io.Writer, index int) (*Clip, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	rb, ok := s.b.(*ringBackend)
	if !ok {
		return nil, fmt.Errorf("imageio: ClipFrom needs a ring stream, not a %v: %w", s.kind, errors.ErrUnsupported)
	}
	m := rb.v.Magic()
	if _, err := w.Write(m[:]); err != nil {
		return nil, err
	}
	return &Clip{fb: rb.fb, w: w, magic: m, next: int64(index)}, nil
}

// A Range is a run of a ring stream's frames, from Recent.
type Range struct {
	First, Last int           // absolute indexes of the first and last frames
	Span        time.Duration // from the first frame's recorded time to the last's
	Bytes       int64         // of their OMV chunks, as a file holds them
}

// Recent returns the frames of a ring stream that SaveTo(w, d) would save
// now, without saving them: those recorded less than d before the newest
// (all of them when d is 0). It returns an error matching
// circular.ErrNoFrame when the ring holds none.
func (s *Stream) Recent(d time.Duration) (Range, error) {
	rb, ok := s.b.(*ringBackend)
	if !ok {
		return Range{}, fmt.Errorf("imageio: Recent needs a ring stream, not a %v: %w", s.kind, errors.ErrUnsupported)
	}
	first, last, err := rb.fb.Find(circular.Limit{Duration: d}, circular.AnyFrame)
	if err != nil {
		return Range{}, err
	}
	return Range{First: int(first.Index), Last: int(last.Index), Span: last.Timestamp - first.Timestamp,
		Bytes: last.Position + int64(last.Size) - first.Position}, nil
}

// Fits reports whether writing m to a ring stream now would keep the
// frame at index keep (absolute, as [Range] gives) and every frame after
// it: a writer that follows the ring with a [Clip] can be given the time
// to copy them before they are overwritten. A keep already dropped is no
// bound. On a file or memory stream it returns true.
func (s *Stream) Fits(keep int, m *Image) bool {
	rb, ok := s.b.(*ringBackend)
	if !ok {
		return true
	}
	// A chunk goes in as its header, its payload and its padding.
	return rb.fb.Fits(int64(keep), rb.v.HeaderSize()+len(m.Data)+container.Padding(len(m.Data)), 3)
}

// A Clip continues a file that SaveTo or ClipFrom started with the frames
// a ring stream records after it. It is not safe for concurrent use; the
// ring is.
type Clip struct {
	fb     *circular.FrameBuffer
	w      io.Writer
	magic  [container.MagicSize]byte
	first  circular.Frame // valid when frames > 0
	last   circular.Frame
	frames int   // frames written
	next   int64 // the index of the next frame to append
	lost   int   // frames the ring dropped before they were appended
}

// Frames returns how many frames the clip's file holds.
func (c *Clip) Frames() int { return c.frames }

// Lost returns how many frames the clip missed: the ring dropped them
// before Flush or FlushTo could append them.
func (c *Clip) Lost() int { return c.lost }

// Next returns the absolute index of the next frame the clip appends.
func (c *Clip) Next() int { return int(c.next) }

// Span returns the time from the clip's first frame to its last, as its
// file records it (0 before its second frame).
func (c *Clip) Span() time.Duration {
	if c.frames == 0 {
		return 0
	}
	return c.last.Timestamp - c.first.Timestamp
}

// Flush appends the frames recorded since the clip's last frame, and returns
// how many frames the clip moved on by. If the ring dropped some before they were appended
// (the clip was flushed too rarely), it appends the rest and returns an
// error matching circular.ErrOverrun: the file then has a gap, and Lost
// counts the frames missing.
func (c *Clip) Flush() (int, error) {
	return c.FlushTo(math.MaxInt)
}

// FlushTo is Flush up to and including the frame at absolute index last:
// the frames after it are left for the next call, so that a file ends or
// splits at an exact frame however late it is written.
func (c *Clip) FlushTo(last int) (int, error) {
	before := c.next
	r, err := c.fb.CopyRange(c.w, c.next, int64(last))
	if r.Frames > 0 {
		if c.frames == 0 {
			c.first = r.First
		}
		c.last = r.Last
		c.frames += r.Frames
	}
	c.lost += int(r.Lost)
	c.next = r.Next
	return int(r.Next - before), err
}

// Continue starts a new file on w, a complete OMV IMG STR file, that goes
// on from c's last frame: the frames recorded after it go into the new
// clip, none into c. It splits a long recording into files with no frame
// lost or repeated at the split; the new file's first frame keeps its
// recorded interval from c's last. Flush c before Continue to keep every
// frame recorded so far in c.
func (c *Clip) Continue(w io.Writer) (*Clip, error) {
	if _, err := w.Write(c.magic[:]); err != nil {
		return nil, err
	}
	return &Clip{fb: c.fb, w: w, magic: c.magic, next: c.next}, nil
}

// Follow appends frames as they are recorded until ctx is done, and then
// returns ctx.Err(); or until appending fails.
func (c *Clip) Follow(ctx context.Context) error {
	for {
		if err := c.fb.Wait(ctx, circular.Frame{Index: c.next - 1}); err != nil {
			return err
		}
		if _, err := c.Flush(); err != nil {
			return err
		}
	}
}
