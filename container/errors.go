package container

import (
	"errors"
	"fmt"
	"io"
)

// Errors returned by this package. Frame errors come wrapped in a
// [*FrameError]; all of them match with [errors.Is].
var (
	// ErrBadMagic means the stream does not start with
	// "OMV IMG STR V<digit>.<digit>".
	ErrBadMagic = errors.New("container: not an OMV IMG STR stream")

	// ErrUnsupportedVersion means the magic is well formed but names a
	// version other than 1.0, 1.1, 2.0 and 2.1.
	ErrUnsupportedVersion = errors.New("container: unsupported version")

	// ErrInvalidPixFormat means a frame's pixel format is not one a stream
	// can carry (or, when writing, not one its version can carry).
	ErrInvalidPixFormat = errors.New("container: invalid pixel format")

	// ErrInvalidDimensions means a frame's width or height is 0 or greater
	// than MaxDimension.
	ErrInvalidDimensions = errors.New("container: invalid dimensions")

	// ErrInvalidSize means a JPEG or PNG frame's size is 0, a frame's size
	// is over the reader's limit, or, when writing, a header's size does not
	// match its payload.
	ErrInvalidSize = errors.New("container: invalid frame size")

	// ErrInvalidElapsed means, when writing, a negative elapsed time or one
	// that does not fit the stream's 32-bit time field.
	ErrInvalidElapsed = errors.New("container: invalid elapsed time")

	// ErrNonZeroPadding means a reserved header byte or an alignment padding
	// byte is not zero. Only a strict Reader returns it.
	ErrNonZeroPadding = errors.New("container: non-zero padding")

	// ErrTruncatedHeader means the stream ends inside the magic or inside a
	// frame header. It matches io.ErrUnexpectedEOF.
	ErrTruncatedHeader = fmt.Errorf("container: stream ends inside a header: %w", io.ErrUnexpectedEOF)

	// ErrTruncatedPayload means the stream ends inside a frame's payload or
	// its alignment padding. It matches io.ErrUnexpectedEOF.
	ErrTruncatedPayload = fmt.Errorf("container: stream ends inside a frame: %w", io.ErrUnexpectedEOF)

	// ErrInvalidIndex is returned by Index.ReadPayload for a frame number
	// outside the index.
	ErrInvalidIndex = errors.New("container: frame not in the index")

	// ErrWriteAfterClose is returned by a Writer's methods after Close.
	ErrWriteAfterClose = errors.New("container: write after close")
)

// A FrameError reports a damaged or invalid frame: which frame, where its
// header starts, and what is wrong. Every complete frame before it was
// delivered.
type FrameError struct {
	Index  int   // index of the frame, counting from 0
	Offset int64 // byte offset of the frame's header from the start of the stream
	Err    error // what is wrong: one of this package's errors, possibly wrapped
}

// Error says which frame, where, and what is wrong with it.
func (e *FrameError) Error() string {
	return fmt.Sprintf("frame %d at offset %d: %v", e.Index, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *FrameError) Unwrap() error { return e.Err }

// damageErrs are the errors that say a stream's bytes are damaged.
var damageErrs = []error{io.ErrUnexpectedEOF, ErrInvalidPixFormat, ErrInvalidDimensions, ErrInvalidSize, ErrInvalidElapsed, ErrNonZeroPadding}

// IsDamage reports whether err, from reading a stream, is damage in the
// bytes that were read: a frame cut off ([ErrTruncatedHeader],
// [ErrTruncatedPayload]) or not valid ([ErrInvalidPixFormat],
// [ErrInvalidDimensions], [ErrInvalidSize], [ErrInvalidElapsed],
// [ErrNonZeroPadding]), which a repair may cut off. A failure to read the
// bytes (an I/O error, a socket's timeout, a cancelled read), which a
// [Reader] also reports inside a [FrameError], is not damage: it says
// nothing of the stream.
func IsDamage(err error) bool {
	for _, d := range damageErrs {
		if errors.Is(err, d) {
			return true
		}
	}
	return false
}
