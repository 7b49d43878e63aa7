package circular

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// Errors returned by this package.
var (
	// ErrTooLarge is returned for a write (or a zero fill by Truncate or a
	// write past the end) larger than the ring: it could never be held whole.
	ErrTooLarge = errors.New("circular: write larger than the buffer")

	// ErrNegativePosition is returned by Seek and ReadAt for a position
	// before the start of the stream.
	ErrNegativePosition = errors.New("circular: negative position")

	// ErrInvalidWhence is returned by Seek for a whence other than
	// io.SeekStart, io.SeekCurrent and io.SeekEnd.
	ErrInvalidWhence = errors.New("circular: invalid whence")

	// ErrInvalidSize is returned by the constructors for a size or capacity
	// below 1.
	ErrInvalidSize = errors.New("circular: invalid size")
)

// A Buffer is a ring-buffer stream of at most Size bytes: picamera's
// CircularIO. Writes append (or overwrite in place when the position is
// inside the stream); when an append would overflow the ring, the oldest
// whole writes are dropped, so the stream always starts at the start of a
// write. Positions are relative to the oldest byte held, so they move back
// as old writes are dropped.
//
// Unlike picamera 1.13, which cuts the head off the oldest write to keep
// exactly Size bytes, a Buffer drops whole writes: a frame written in one
// write is held whole or not at all.
//
// Memory is fixed at construction: the ring of Size bytes and a ring of
// MaxWrites write boundaries (8 bytes each). Writes allocate nothing. When
// MaxWrites writes are held, the next write drops the oldest one even if its
// bytes would fit.
//
// A Buffer is safe for concurrent use: every method runs under one mutex,
// so each call is atomic with respect to the others. Read, Write, Seek and
// WriteTo share one position, as in picamera; a goroutine that reads while
// another writes should use ReadAt or Bytes, which leave it alone.
type Buffer struct {
	mu sync.Mutex // guards s
	s  stream
}

// New returns an empty Buffer of size bytes, keeping up to one write boundary
// per 256 bytes (at least 1024; see [NewWrites]).
func New(size int) (*Buffer, error) {
	return NewWrites(size, defaultMaxWrites(size))
}

// NewWrites returns an empty Buffer of size bytes that holds at most
// maxWrites writes: choose it for workloads of many small writes.
func NewWrites(size, maxWrites int) (*Buffer, error) {
	if size < 1 || maxWrites < 1 {
		return nil, fmt.Errorf("%w: size %d, %d writes", ErrInvalidSize, size, maxWrites)
	}
	return &Buffer{s: stream{ring: newRing(size, maxWrites)}}, nil
}

// Size returns the capacity in bytes.
func (b *Buffer) Size() int { return b.s.size() }

// Len returns the number of bytes held.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.length
}

// Read reads from the position up to the end of the stream; it returns
// io.EOF at the end.
func (b *Buffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.read(p, false)
}

// ReadChunk is picamera's read1: it reads from the position at most up to the
// end of the write that added the byte at the position, so a loop of
// ReadChunk calls returns the stream write by write. It returns io.EOF at
// the end.
func (b *Buffer) ReadChunk(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.read(p, true)
}

// ReadAt reads len(p) bytes at offset off from the oldest byte held, as
// io.ReaderAt does, without moving the position.
func (b *Buffer) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.readAt(p, off)
}

// Seek sets the position for the next Read or Write, relative to the oldest
// byte held (io.SeekStart), the position (io.SeekCurrent) or the end
// (io.SeekEnd), and returns it. A position past the end is allowed: the next
// Write fills the gap with zero bytes. A negative position is an error.
func (b *Buffer) Seek(offset int64, whence int) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.seek(offset, whence)
}

// Write writes p at the position: over the bytes held from the position
// on, then appending what is left as one write, which drops the oldest
// writes as needed. A position past the end is first filled with zero bytes,
// as one write. A p larger than Size is [ErrTooLarge], and nothing is
// written.
func (b *Buffer) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > b.s.size() {
		return 0, fmt.Errorf("%w: %d bytes into %d", ErrTooLarge, len(p), b.s.size())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &b.s
	abs := s.base + s.tell()
	if gap := abs - s.end(); gap > 0 {
		if gap > int64(s.size()) {
			return 0, fmt.Errorf("%w: a gap of %d bytes to fill", ErrTooLarge, gap)
		}
		s.appendZeros(int(gap))
		abs = s.end()
	}
	n := len(p)
	if abs < s.end() {
		k := int(min(int64(len(p)), s.end()-abs))
		s.copyIn(abs, p[:k])
		abs += int64(k)
		p = p[k:]
	}
	if len(p) > 0 {
		s.append(p)
		abs = s.end()
	}
	s.pos = abs
	return n, nil
}

// Truncate resizes the stream to size bytes. Shrinking drops the tail (the
// write that holds the new end is cut short); growing appends zero bytes as
// one write. The position is unchanged.
func (b *Buffer) Truncate(size int64) error {
	if size < 0 {
		return fmt.Errorf("%w: %d", ErrNegativePosition, size)
	}
	if size > int64(b.s.size()) {
		return fmt.Errorf("%w: %d bytes into %d", ErrTooLarge, size, b.s.size())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &b.s
	if n := int(size) - s.length; n > 0 {
		s.appendZeros(n)
	} else {
		s.truncate(s.base + size)
	}
	return nil
}

// WriteTo writes the bytes from the position to the end of the stream to w
// and moves the position past what was written. It implements io.WriterTo
// without a copy, so it holds the lock while w writes: give it fast
// destinations (memory, a pipe being drained), and copy out with Bytes or
// ReadAt for slow ones.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.writeTo(w)
}

// Bytes returns a copy of the bytes held.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.bytes()
}

// Reset empties the stream and sets the position to 0 (picamera's clear).
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s.clear()
}
