// Package bufferio implements a fixed-capacity stream over a caller's byte
// slice: picamera's BufferIO for Go. The stream is the whole slice; it never
// grows and never copies the slice, so a program can record into memory it
// preallocated (or that something else, such as shared memory, owns).
//
// A [Buffer] is an [io.ReadWriteSeeker], [io.ReaderAt], [io.WriterAt],
// [io.ReaderFrom] and [io.WriterTo].
//
// # Limits
//
// A write that runs past the end of the slice writes what fits and returns
// [ErrFull], which matches [io.ErrShortWrite]; nothing is ever written past
// the end, and the slice is never reallocated.
package bufferio

import (
	"errors"
	"fmt"
	"io"
)

// Errors returned by Buffer.
var (
	// ErrFull is returned by a write that does not fit before the end of the
	// buffer; it matches io.ErrShortWrite.
	ErrFull = fmt.Errorf("bufferio: buffer full: %w", io.ErrShortWrite)

	// ErrReadOnly is returned by writes to a buffer made with NewReadOnly.
	ErrReadOnly = errors.New("bufferio: read-only buffer")

	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("bufferio: buffer closed")

	// ErrNegativePosition is returned by Seek, ReadAt and WriteAt for a
	// position before the start of the buffer.
	ErrNegativePosition = errors.New("bufferio: negative position")

	// ErrInvalidWhence is returned by Seek for a whence other than
	// io.SeekStart, io.SeekCurrent and io.SeekEnd.
	ErrInvalidWhence = errors.New("bufferio: invalid whence")
)

// A Buffer is a stream over a fixed byte slice. Its content is the whole
// slice, from offset 0 to Size.
//
// The zero value is an empty stream of size 0: reads return io.EOF and
// writes ErrFull. A Buffer is not safe for concurrent use.
type Buffer struct {
	buf      []byte
	pos      int64
	readOnly bool
	closed   bool
}

// New returns a Buffer over buf, positioned at 0. The Buffer reads and writes
// buf in place.
func New(buf []byte) *Buffer { return &Buffer{buf: buf} }

// NewReadOnly returns a Buffer over buf that rejects writes with
// [ErrReadOnly].
func NewReadOnly(buf []byte) *Buffer { return &Buffer{buf: buf, readOnly: true} }

// Reset makes b a stream over buf at position 0, open and writable.
func (b *Buffer) Reset(buf []byte) { *b = Buffer{buf: buf} }

// Size returns the capacity of the stream: len of the slice.
func (b *Buffer) Size() int { return len(b.buf) }

// Bytes returns the whole underlying slice (not a copy): what picamera's
// getvalue should have been.
func (b *Buffer) Bytes() []byte { return b.buf }

// Read reads from the position; it returns io.EOF at or past the end.
func (b *Buffer) Read(p []byte) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.pos >= int64(len(b.buf)) {
		return 0, io.EOF
	}
	n := copy(p, b.buf[b.pos:])
	b.pos += int64(n)
	return n, nil
}

// ReadAt reads len(p) bytes at off, as io.ReaderAt does; the position is
// unchanged.
func (b *Buffer) ReadAt(p []byte, off int64) (int, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("%w: %d", ErrNegativePosition, off)
	}
	if off >= int64(len(b.buf)) {
		return 0, io.EOF
	}
	n := copy(p, b.buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write writes p at the position and moves the position past it. If p does
// not fit, it writes what fits and returns the count with [ErrFull]; at or
// past the end it writes nothing and leaves the position alone.
func (b *Buffer) Write(p []byte) (int, error) {
	n, err := b.WriteAt(p, b.pos)
	b.pos += int64(n)
	return n, err
}

// WriteAt writes p at off, as io.WriterAt does, with Write's rules for what
// does not fit; the position is unchanged.
func (b *Buffer) WriteAt(p []byte, off int64) (int, error) {
	switch {
	case b.closed:
		return 0, ErrClosed
	case b.readOnly:
		return 0, ErrReadOnly
	case off < 0:
		return 0, fmt.Errorf("%w: %d", ErrNegativePosition, off)
	case len(p) == 0:
		return 0, nil
	case off >= int64(len(b.buf)):
		return 0, ErrFull
	}
	n := copy(b.buf[off:], p)
	if n < len(p) {
		return n, ErrFull
	}
	return n, nil
}

// Seek sets the position relative to the start, the position or the end of
// the buffer and returns it. A position past the end is allowed (reads there
// return io.EOF, writes ErrFull); a negative one is [ErrNegativePosition].
func (b *Buffer) Seek(offset int64, whence int) (int64, error) {
	if b.closed {
		return 0, ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = b.pos + offset
	case io.SeekEnd:
		abs = int64(len(b.buf)) + offset
	default:
		return 0, fmt.Errorf("%w: %d", ErrInvalidWhence, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("%w: %d", ErrNegativePosition, abs)
	}
	b.pos = abs
	return abs, nil
}

// ReadFrom reads from r into the buffer at the position until r returns
// io.EOF or the buffer is full. When the buffer fills, ReadFrom reads one more
// byte to learn whether r had more; if it had, that byte is lost and
// ReadFrom returns [ErrFull].
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	switch {
	case b.closed:
		return 0, ErrClosed
	case b.readOnly:
		return 0, ErrReadOnly
	}
	var total int64
	empty := 0 // reads in a row that returned nothing
	for empty < maxEmptyReads {
		var n int
		var err error
		if b.pos < int64(len(b.buf)) {
			n, err = r.Read(b.buf[b.pos:])
			b.pos += int64(n)
			total += int64(n)
		} else {
			var probe [1]byte
			if n, err = r.Read(probe[:]); n > 0 {
				return total, ErrFull
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	return total, io.ErrNoProgress
}

// maxEmptyReads is how many reads in a row may return no data and no error
// before ReadFrom gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// WriteTo writes the bytes from the position to the end to w, and moves the
// position past what was written.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	if b.closed {
		return 0, ErrClosed
	}
	if b.pos >= int64(len(b.buf)) {
		return 0, nil
	}
	n, err := w.Write(b.buf[b.pos:])
	b.pos += int64(n)
	return int64(n), err
}

// Truncate returns an error matching errors.ErrUnsupported: the size of a
// Buffer is fixed.
func (b *Buffer) Truncate(int64) error {
	return fmt.Errorf("bufferio: truncate a fixed-size buffer: %w", errors.ErrUnsupported)
}

// Close closes the stream; later calls to its methods return [ErrClosed]
// (Size and Bytes still answer). Closing twice is not an error. The slice
// is the caller's and is left as it is.
func (b *Buffer) Close() error {
	b.closed = true
	return nil
}
