package imageio

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	fb   *circular.FrameBuffer
	zw   *container.Writer // writes chunks into fb's open frame
	v    container.Version
	head [32]byte // a chunk's header, read back
}

func (rb *ringBackend) span() (int, int) {
	first, end := rb.fb.Span()
	return int(first), int(end)
}

func (rb *ringBackend) read(i int, m *Image) (int, time.Duration, error) {
	head := rb.head[:rb.v.HeaderSize()]
	f, body, err := rb.fb.ReadFrameTo(int64(i), head, m.Data)
	if err != nil {
		return i, 0, err
	}
	var h container.Header
	if err := h.Unmarshal(rb.v, head); err != nil {
		return i, 0, err
	}
	if h.Size > len(body) {
		return i, 0, fmt.Errorf("%w: ring frame %d holds %d of %d bytes", container.ErrTruncatedPayload, f.Index, len(body), h.Size)
	}
	*m = Image{Width: h.Width, Height: h.Height, Format: h.Format, Data: body[:h.Size]}
	return int(f.Index), h.Elapsed, nil
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
	return rb.fb.WriteFrame(nil, circular.Key, at)
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
	c := &Clip{fb: rb.fb, w: w, magic: m, last: circular.Frame{Index: -1}}
	first, last, err := rb.fb.CopyTo(w, circular.Limit{Duration: d}, circular.AnyFrame)
	if errors.Is(err, circular.ErrNoFrame) {
		return c, nil // an empty recording so far
	}
	if err != nil {
		return nil, err
	}
	c.first, c.last, c.frames = first, last, int(last.Index-first.Index)+1
	return c, nil
}

// A Clip continues a file that SaveTo started with the frames a ring stream
// records after it. It is not safe for concurrent use; the ring is.
type Clip struct {
	fb     *circular.FrameBuffer
	w      io.Writer
	magic  [container.MagicSize]byte
	first  circular.Frame // valid when frames > 0
	last   circular.Frame
	frames int
}

// Frames returns how many frames the clip's file holds.
func (c *Clip) Frames() int { return c.frames }

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
// error matching circular.ErrOverrun: the file then has a gap.
func (c *Clip) Flush() (int, error) {
	before := c.last.Index
	last, err := c.fb.CopySince(c.w, c.last)
	if c.frames == 0 && last.Index > before {
		// The clip's first frame (a clip that Continue made): the one
		// after before, or the oldest held if the ring dropped it.
		for f := range c.fb.All() {
			if f.Index > before {
				c.first = f
				break
			}
		}
	}
	c.last = last
	c.frames += int(last.Index - before)
	return int(last.Index - before), err
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
	return &Clip{fb: c.fb, w: w, magic: c.magic, last: c.last}, nil
}

// Follow appends frames as they are recorded until ctx is done, and then
// returns ctx.Err(); or until appending fails.
func (c *Clip) Follow(ctx context.Context) error {
	for {
		if err := c.fb.Wait(ctx, c.last); err != nil {
			return err
		}
		if _, err := c.Flush(); err != nil {
			return err
		}
	}
}
