package avi

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// ErrLayoutMismatch is returned by a Writer made by Layout.NewWriter when
// it is given a frame of another size than the Layout was, or more frames.
// The Writer stops: what it wrote is not a whole file.
var ErrLayoutMismatch = errors.New("avi: frame does not match the layout")

// A Layout is the file a Writer makes of frames known in advance by their
// sizes and times, worked out without their bytes: the file's size, and the
// header fields and index sizes a Writer patches once it has seen every
// frame. With it, Layout.NewWriter writes the file to an io.Writer that
// cannot seek, such as an HTTP response, from its first byte to its last,
// with its size known before the first: no temporary copy. Memory is what
// a Writer holds, and a few bytes per frame (its size, to check the frames
// given later). A Layout is not safe for concurrent use.
type Layout struct {
	c     Config
	plan  *Writer
	sink  *planSink
	sizes []int // every frame's size, in the order given to Add
	size  int64 // the file's, once done
	done  bool
	err   error
}

// NewLayout returns an empty Layout of a file described by c, as NewWriter
// would write it.
func NewLayout(c Config) (*Layout, error) {
	sink := &planSink{}
	w, err := NewWriter(sink, c)
	if err != nil {
		return nil, err
	}
	return &Layout{c: w.c, plan: w, sink: sink}, nil
}

// Add lays out a frame of size bytes recorded at at, and returns what
// Writer.WriteFrame would for such a frame. After Size, it returns
// ErrWriteAfterClose.
func (l *Layout) Add(size int, at time.Duration) error {
	if l.done {
		return ErrWriteAfterClose
	}
	l.sizes = append(l.sizes, size)
	if size <= 0 {
		// WriteFrame's answer for an empty frame, which frame would take
		// for one to skip.
		return fmt.Errorf("%w: %d bytes", ErrInvalidFrame, size)
	}
	return l.plan.frame(nil, size, at)
}

// Size finishes the layout, as Close finishes a file, and returns the
// file's size in bytes; frames added after it are ErrWriteAfterClose.
func (l *Layout) Size() (int64, error) {
	if !l.done {
		l.done = true
		l.err = l.plan.Close()
		l.size = l.sink.end
		slices.SortStableFunc(l.sink.patches, func(a, b patch) int { return int(min(max(a.at-b.at, -1), 1)) })
	}
	return l.size, l.err
}

// Frames, Dropped and Shortened return what the Writer's methods of those
// names will return once it has written the file.
func (l *Layout) Frames() int64 { return l.plan.Frames() }

// Dropped: see Frames.
func (l *Layout) Dropped() int { return l.plan.Dropped() }

// Shortened: see Frames.
func (l *Layout) Shortened() int { return l.plan.Shortened() }

// NewWriter finishes the layout (see Size) and returns a Writer that writes
// the laid out file to w in order, without seeking. Give it the frames
// given to Add, with the same sizes and times in the same order, then
// Close it; a frame of another size is ErrLayoutMismatch. Each frame is
// two writes: give a buffered io.Writer. Several Writers may be made from
// one Layout, one after the other.
func (l *Layout) NewWriter(w io.Writer) (*Writer, error) {
	if _, err := l.Size(); err != nil {
		return nil, err
	}
	aw, err := NewWriter(&streamSink{w: w, patches: l.sink.patches, size: l.size}, l.c)
	if err != nil {
		return nil, err
	}
	aw.layout = l
	return aw, nil
}

// patch is bytes written at an offset already passed.
type patch struct {
	at int64
	b  []byte
}

// planSink is the io.WriteSeeker of a Layout's plan: it keeps no bytes but
// the patches, the writes behind the furthest offset written.
type planSink struct {
	pos, end int64
	patches  []patch
}

func (s *planSink) Write(p []byte) (int, error) {
	if s.pos < s.end {
		if s.pos+int64(len(p)) > s.end {
			return 0, fmt.Errorf("avi: layout: a patch at %d past the end %d", s.pos, s.end)
		}
		s.patches = append(s.patches, patch{s.pos, slices.Clone(p)})
	}
	s.pos += int64(len(p))
	s.end = max(s.end, s.pos)
	return len(p), nil
}

func (s *planSink) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.pos
	default:
		off += s.end
	}
	if off < 0 {
		return 0, fmt.Errorf("avi: layout: seek to %d", off)
	}
	s.pos = off
	s.end = max(s.end, s.pos)
	return off, nil
}

// streamSink is the io.WriteSeeker of a Writer made by Layout.NewWriter:
// it sends bytes to w as they come, with the Layout's patches already in
// them, and takes the Writer's patches of bytes already sent as written.
type streamSink struct {
	w         io.Writer
	patches   []patch // sorted by offset
	next      int     // the first patch that may still cover bytes not sent
	size      int64
	pos, sent int64
	buf       []byte
}

func (s *streamSink) Write(p []byte) (int, error) {
	end := s.pos + int64(len(p))
	if s.pos < s.sent {
		// A patch of bytes already sent, with what the Layout had.
		if end > s.sent {
			return 0, fmt.Errorf("%w: a patch at %d past the %d bytes sent", ErrLayoutMismatch, s.pos, s.sent)
		}
		s.pos = end
		return len(p), nil
	}
	if s.pos != s.sent || end > s.size {
		return 0, fmt.Errorf("%w: %d bytes at %d of a file of %d", ErrLayoutMismatch, len(p), s.pos, s.size)
	}
	for s.next < len(s.patches) && s.patches[s.next].at+int64(len(s.patches[s.next].b)) <= s.pos {
		s.next++
	}
	out := p
	for _, pt := range s.patches[s.next:] {
		if pt.at >= end {
			break
		}
		if len(out) > 0 && &out[0] == &p[0] {
			s.buf = append(s.buf[:0], p...)
			out = s.buf
		}
		from := max(pt.at, s.pos)
		copy(out[from-s.pos:], pt.b[from-pt.at:])
	}
	n, err := s.w.Write(out)
	s.pos += int64(n)
	s.sent = s.pos
	return n, err
}

func (s *streamSink) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.pos
	default:
		off += s.size
	}
	if off < 0 || off > s.sent {
		return 0, fmt.Errorf("%w: seek to %d, %d bytes sent", ErrLayoutMismatch, off, s.sent)
	}
	s.pos = off
	return off, nil
}
