package imageio

import (
	"errors"
	"fmt"
)

// Grow makes a ring stream's buffer n bytes, keeping every frame it holds
// and their indexes, so that a ring can start small and grow as the frames
// it sees require (see circular.FrameBuffer.Grow); an n not larger than
// BufferSize does nothing. Clips that follow the ring ([Stream.ClipFrom],
// [Stream.SaveTo]) go on across it. Like Fits and Recent, it may be called
// while another goroutine copies from the ring, not while one writes to
// the stream. On a file or memory stream it returns an error matching
// errors.ErrUnsupported.
func (s *Stream) Grow(n int) error {
	if err := s.usable(); err != nil {
		return err
	}
	rb, ok := s.b.(*ringBackend)
	if !ok {
		return fmt.Errorf("imageio: Grow needs a ring stream, not a %v: %w", s.kind, errors.ErrUnsupported)
	}
	return rb.fb.Grow(n)
}
