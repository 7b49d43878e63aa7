package circular

import (
	"fmt"
	"io"
)

// ring is the storage both ring streams share: one byte ring allocated at
// construction, and a ring of write boundaries. Offsets are absolute: they
// count every byte ever appended, so they stay valid as old writes are
// dropped. The bytes held are [base, base+length), at data[off%size].
//
// ring is not safe for concurrent use; its owners lock around it.
type ring struct {
	data   []byte
	base   int64 // absolute offset of the oldest byte held
	head   int   // index in data of the byte at base
	length int   // bytes held

	// ends is a ring of the absolute end offsets of the writes held, oldest
	// first: write i covers [ends[i-1], ends[i]), write 0 starts at base.
	ends   []int64
	eHead  int // index in ends of the oldest write
	eCount int // writes held
}

func newRing(size, maxWrites int) ring {
	return ring{data: make([]byte, size), ends: make([]int64, maxWrites)}
}

func (r *ring) size() int  { return len(r.data) }
func (r *ring) end() int64 { return r.base + int64(r.length) }
func (r *ring) endAt(i int) int64 {
	return r.ends[wrap(r.eHead+i, len(r.ends))]
}

// wrap returns i modulo n for i in [0, 2n), without a division.
func wrap(i, n int) int {
	if i >= n {
		return i - n
	}
	return i
}

// index returns the index in data of absolute offset off, which must be in
// [base, base+size].
func (r *ring) index(off int64) int {
	return wrap(r.head+int(off-r.base), len(r.data))
}

// reserve drops the oldest whole writes until n more bytes and one more write
// fit. n must be at most the ring's size.
func (r *ring) reserve(n int) {
	for r.length+n > len(r.data) || r.eCount == len(r.ends) {
		if r.eCount == 0 {
			return
		}
		r.dropOldest()
	}
}

func (r *ring) dropOldest() {
	e := r.ends[r.eHead]
	n := int(e - r.base)
	r.length -= n
	r.base = e
	r.head = wrap(r.head+n, len(r.data))
	r.eHead = wrap(r.eHead+1, len(r.ends))
	r.eCount--
}

// dropBefore drops whole writes until the oldest byte held is at or after
// off, which must be a write boundary or the end.
func (r *ring) dropBefore(off int64) {
	for r.eCount > 0 && r.base < off {
		r.dropOldest()
	}
}

// append adds p as one write, dropping the oldest writes to make room.
// len(p) must be in 1..size.
func (r *ring) append(p []byte) {
	r.reserve(len(p))
	end := r.end()
	r.copyIn(end, p)
	r.pushEnd(end + int64(len(p)))
}

// appendZeros adds n zero bytes as one write; n must be in 1..size.
func (r *ring) appendZeros(n int) {
	r.reserve(n)
	start := r.end()
	r.segments(start, n, func(seg []byte) { clear(seg) })
	r.pushEnd(start + int64(n))
}

func (r *ring) pushEnd(e int64) {
	r.ends[wrap(r.eHead+r.eCount, len(r.ends))] = e
	r.eCount++
	r.length = int(e - r.base)
}

// segments calls fn with the one or two slices of data that hold the n
// bytes at absolute offset off.
func (r *ring) segments(off int64, n int, fn func([]byte)) {
	size := len(r.data)
	i := r.index(off)
	first := min(n, size-i)
	fn(r.data[i : i+first])
	if first < n {
		fn(r.data[:n-first])
	}
}

// copyIn writes p at absolute offset off, wrapping around the end of data.
func (r *ring) copyIn(off int64, p []byte) {
	i := r.index(off)
	if n := copy(r.data[i:], p); n < len(p) {
		copy(r.data, p[n:])
	}
}

// copyOut reads len(p) bytes at absolute offset off, which must be held.
func (r *ring) copyOut(p []byte, off int64) {
	i := r.index(off)
	if n := copy(p, r.data[i:]); n < len(p) {
		copy(p[n:], r.data[:len(p)-n])
	}
}

// writeEnd returns the absolute end of the write that holds absolute offset
// off, which must be in [base, end). It is a binary search over the held
// writes, whose ends are sorted.
func (r *ring) writeEnd(off int64) int64 {
	lo, hi := 0, r.eCount-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.endAt(mid) > off {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return r.endAt(lo)
}

// truncate drops the bytes from absolute offset off on; the write that holds
// off is cut short there.
func (r *ring) truncate(off int64) {
	for r.eCount > 0 {
		prevEnd := r.base
		if r.eCount > 1 {
			prevEnd = r.endAt(r.eCount - 2)
		}
		if prevEnd < off {
			break
		}
		r.eCount-- // the last write starts at or after off
	}
	if r.eCount > 0 {
		r.ends[wrap(r.eHead+r.eCount-1, len(r.ends))] = off
	}
	r.length = int(off - r.base)
}

// reset drops everything; absolute offsets go on counting.
func (r *ring) reset() {
	r.base = r.end()
	r.head = r.index(r.base)
	r.length = 0
	r.eCount = 0
}

// stream is a ring with a stream position: the part of the picamera
// CircularIO contract that both ring types share.
type stream struct {
	ring
	// pos is the absolute stream position. One before base reads as the
	// oldest byte (position 0): positions are relative to the oldest byte
	// held, so they move back as old writes are dropped.
	pos int64
}

// tell returns the position relative to the oldest byte held.
func (s *stream) tell() int64 { return max(s.pos-s.base, 0) }

func (s *stream) seek(offset int64, whence int) (int64, error) {
	var rel int64
	switch whence {
	case io.SeekStart:
		rel = offset
	case io.SeekCurrent:
		rel = s.tell() + offset
	case io.SeekEnd:
		rel = int64(s.length) + offset
	default:
		return 0, fmt.Errorf("%w: %d", ErrInvalidWhence, whence)
	}
	if rel < 0 {
		return 0, fmt.Errorf("%w: %d", ErrNegativePosition, rel)
	}
	s.pos = s.base + rel
	return rel, nil
}

// read reads from the position; chunk limits it to the end of the write
// that holds the position (picamera's read1).
func (s *stream) read(p []byte, chunk bool) (int, error) {
	abs := s.base + s.tell()
	if abs >= s.end() {
		return 0, io.EOF
	}
	limit := s.end()
	if chunk {
		limit = s.writeEnd(abs)
	}
	n := int(min(int64(len(p)), limit-abs))
	s.copyOut(p[:n], abs)
	s.pos = abs + int64(n)
	return n, nil
}

func (s *stream) readAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: %d", ErrNegativePosition, off)
	}
	if off >= int64(s.length) {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), int64(s.length)-off))
	s.copyOut(p[:n], s.base+off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// bytes returns a copy of the bytes held.
func (s *stream) bytes() []byte {
	b := make([]byte, s.length)
	s.copyOut(b, s.base)
	return b
}

// writeTo writes the bytes from the position to the end, and moves the
// position past them.
func (s *stream) writeTo(w io.Writer) (int64, error) {
	abs := s.base + s.tell()
	var total int64
	var err error
	if n := int(s.end() - abs); n > 0 {
		s.segments(abs, n, func(seg []byte) {
			if err != nil {
				return
			}
			var k int
			k, err = w.Write(seg)
			total += int64(k)
		})
	}
	s.pos = abs + total
	return total, err
}

func (s *stream) clear() {
	s.reset()
	s.pos = s.base
}

// defaultMaxWrites is how many write boundaries a ring of size bytes keeps:
// one per 256 bytes, at least 1024, and never more than size.
func defaultMaxWrites(size int) int {
	return min(size, max(1024, size/256))
}
