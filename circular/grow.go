package circular

import "fmt"

// Grow makes the ring size bytes, keeping every byte, write, frame and
// index it holds, and the stream position: a ring that starts small can
// grow as the frames it sees require, rather than be allocated for the
// largest it could need. When the FrameConfig left MaxFrames or MaxWrites
// at zero, they grow with the size, as they would have been made for it.
// A size not larger than Size does nothing.
//
// The new ring is allocated without the lock, then the bytes held are
// copied into it under the lock (a copy of Len bytes, which holds up
// writes and copies for that long); the old ring is left to the garbage
// collector. A size under 1 is [ErrInvalidSize].
func (b *FrameBuffer) Grow(size int) error {
	if size < 1 {
		return fmt.Errorf("%w: grow to %d bytes", ErrInvalidSize, size)
	}
	if size <= b.Size() {
		return nil
	}
	data := make([]byte, size)
	b.mu.Lock()
	defer b.mu.Unlock()
	r := &b.s.ring
	if size <= len(r.data) {
		return nil // grown meanwhile
	}
	r.copyOut(data[:r.length], r.base)
	r.data, r.head = data, 0
	if b.autoWrites {
		if n := defaultMaxWrites(size); n > len(r.ends) {
			ends := make([]int64, n)
			for i := range r.eCount {
				ends[i] = r.endAt(i)
			}
			r.ends, r.eHead = ends, 0
		}
	}
	if b.autoFrames {
		if n := defaultMaxFrames(size); n > len(b.frames) {
			frames := make([]frameRec, n)
			for i := range b.fCount {
				frames[i] = *b.rec(i)
			}
			b.frames, b.fHead = frames, 0
		}
	}
	b.size.Store(int64(size))
	return nil
}
