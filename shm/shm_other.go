//go:build !linux

package shm

import (
	"context"

	"github.com/imgstream/imgstream/container"
)

// DefaultSlots and the types exist everywhere, so that programs build; the
// functions return ErrUnsupported off Linux.

// A Writer publishes frames to a stream. See the Linux documentation.
type Writer struct{}

// Create returns ErrUnsupported off Linux.
func Create(name string, frameSize, slots int) (*Writer, error) { return nil, ErrUnsupported }

// CreateWith returns ErrUnsupported off Linux.
func CreateWith(name string, frameSize int, o Options) (*Writer, error) { return nil, ErrUnsupported }

// FrameSize returns 0 off Linux.
func (w *Writer) FrameSize() int { return 0 }

// Path returns "" off Linux.
func (w *Writer) Path() string { return "" }

// Acquire returns ErrUnsupported off Linux.
func (w *Writer) Acquire() ([]byte, error) { return nil, ErrUnsupported }

// Publish returns ErrUnsupported off Linux.
func (w *Writer) Publish(h container.Header) error { return ErrUnsupported }

// Write returns ErrUnsupported off Linux.
func (w *Writer) Write(h container.Header, frame []byte) error { return ErrUnsupported }

// Close returns nil.
func (w *Writer) Close() error { return nil }

// A Reader reads frames of a stream. See the Linux documentation.
type Reader struct {
	// Follow: see the Linux documentation.
	Follow bool
}

// Open returns ErrUnsupported off Linux.
func Open(name string) (*Reader, error) { return nil, ErrUnsupported }

// OpenWait returns ErrUnsupported off Linux.
func OpenWait(ctx context.Context, name string) (*Reader, error) { return nil, ErrUnsupported }

// Reopen returns ErrUnsupported off Linux.
func (r *Reader) Reopen(ctx context.Context) error { return ErrUnsupported }

// FrameSize returns 0 off Linux.
func (r *Reader) FrameSize() int { return 0 }

// Latest returns ErrUnsupported off Linux.
func (r *Reader) Latest() (Frame, error) { return Frame{}, ErrUnsupported }

// Next returns ErrUnsupported off Linux.
func (r *Reader) Next(ctx context.Context) (Frame, error) { return Frame{}, ErrUnsupported }

// NextInto returns ErrUnsupported off Linux.
func (r *Reader) NextInto(ctx context.Context, buf []byte) (Frame, error) {
	return Frame{}, ErrUnsupported
}

// Close returns nil.
func (r *Reader) Close() error { return nil }

// Valid reports true: off Linux there are no views.
func (f *Frame) Valid() bool { return true }

// List returns ErrUnsupported off Linux.
func List() ([]Info, error) { return nil, ErrUnsupported }

// Remove returns ErrUnsupported off Linux.
func Remove(name string) error { return ErrUnsupported }

// RemoveStale returns ErrUnsupported off Linux.
func RemoveStale() ([]string, error) { return nil, ErrUnsupported }
