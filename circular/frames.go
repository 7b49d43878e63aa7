package circular

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by FrameBuffer.
var (
	// ErrNoFrame is returned by CopyTo when no complete frame of the wanted
	// type lies within the limit; nothing is copied.
	ErrNoFrame = errors.New("circular: no frame of the wanted type within the limit")

	// ErrOverrun is returned by CopySince when frames after the given one
	// were dropped before they could be copied.
	ErrOverrun = errors.New("circular: frames dropped before they were copied")

	// ErrInvalidLimit is returned by CopyTo for a Limit with more than one
	// kind of bound, or a negative one.
	ErrInvalidLimit = errors.New("circular: invalid limit")

	// ErrInvalidFrame is returned by WriteFrame for an empty frame, a frame
	// type that is not one of Delta, Key, Header and Motion, or a timestamp
	// before the previous frame's.
	ErrInvalidFrame = errors.New("circular: invalid frame")

	// ErrFrameLost is returned by WriteFrame when the start of the frame it
	// completes was dropped (the frame is larger than the ring): the frame
	// is not recorded.
	ErrFrameLost = errors.New("circular: frame larger than the buffer")
)

// FrameType is the kind of a frame, as picamera's PiVideoFrameType.
type FrameType uint8

// Frame types. AnyFrame matches every type; it is only a filter.
const (
	AnyFrame FrameType = iota // any type (a filter, not a type to write)
	Delta                     // a frame that depends on earlier ones (picamera: frame)
	Key                       // a frame that stands alone (picamera: key_frame)
	Header                    // stream headers such as H.264 SPS/PPS (picamera: sps_header)
	Motion                    // motion vector data (picamera: motion_data)
)

// String returns the type's name, such as "key".
func (t FrameType) String() string {
	switch t {
	case AnyFrame:
		return "any"
	case Delta:
		return "delta"
	case Key:
		return "key"
	case Header:
		return "header"
	case Motion:
		return "motion"
	}
	return fmt.Sprintf("FrameType(%d)", uint8(t))
}

// A Frame describes one complete frame held by a FrameBuffer.
type Frame struct {
	Index     int64         // frame number, counting from 0, never reused
	Type      FrameType     // as given to WriteFrame
	Size      int           // bytes
	Timestamp time.Duration // as given to WriteFrame
	// Position is the offset of the frame's first byte in the stream, as it
	// was when the Frame was returned: positions move back as old frames
	// are dropped.
	Position int64
}

// A Limit bounds what CopyTo copies: at most Bytes bytes, or the frames
// whose timestamps are less than Duration before the newest frame's (a
// frame exactly Duration before it is left out, as MaxAge drops it), or the
// newest Frames frames. At most one may be set; the zero Limit means every
// complete frame held.
type Limit struct {
	Bytes    int
	Duration time.Duration
	Frames   int
}

// FrameConfig configures a FrameBuffer. Give Size, or Duration (and
// optionally Bitrate) as picamera's seconds and bitrate; MaxAge adds a time
// bound to either.
type FrameConfig struct {
	// Size is the ring's capacity in bytes.
	Size int
	// Duration and Bitrate size the ring for Duration of a stream of
	// Bitrate bits per second (picamera's seconds and bitrate), when Size
	// is 0. Bitrate defaults to 17 000 000, picamera's default.
	Duration time.Duration
	Bitrate  int
	// MaxAge, when positive, drops frames whose timestamp is MaxAge or
	// more before the newest frame's, whatever their sizes: a real time
	// bound rather than one that assumes a bitrate.
	MaxAge time.Duration
	// MaxFrames is how many frames are tracked at most: when it is reached,
	// the oldest frame is dropped with its bytes. Zero means one per KiB of
	// Size, at least 1024.
	MaxFrames int
	// MaxWrites is how many write boundaries are kept (see Buffer). Zero
	// means one per 256 bytes of Size, at least 1024.
	MaxWrites int
}

// DefaultBitrate is the bitrate FrameConfig assumes with Duration: 17 Mbit/s,
// picamera's default for video recording.
const DefaultBitrate = 17_000_000

// A FrameBuffer is a ring-buffer stream that tracks frames: picamera's
// PiCameraCircularIO, for the security camera that keeps the last seconds
// of video and saves them when something happens.
//
// Bytes go in with Write (part of the current frame) and WriteFrame (the
// last part of the current frame, with its type and timestamp). Writes always
// append, as to a file opened with O_APPEND, and move the position to the
// end. Old writes are dropped whole, as in a [Buffer]; a frame whose first
// byte is dropped disappears from the frame list. CopyTo saves the newest
// complete frames, and CopySince follows on with the frames recorded after
// them.
//
// Memory is fixed at construction, until Grow makes the ring larger;
// writes allocate nothing.
//
// A FrameBuffer is safe for concurrent use; each call is atomic with respect
// to the others. CopyTo and CopySince copy the frames they select under the
// lock into a buffer of their own and write them out after releasing it, so
// recording never waits for a slow destination; concurrent copies take turns
// with that buffer.
type FrameBuffer struct {
	mu     sync.Mutex // guards everything up to size
	s      stream
	maxAge time.Duration
	// autoFrames and autoWrites say that the counts of frame records and
	// write boundaries follow Size (the config gave none): Grow grows them.
	autoFrames, autoWrites bool

	frames     []frameRec // ring of complete frames, oldest first
	fHead      int        // index in frames of the oldest
	fCount     int        // frames held
	firstIndex int64      // Index of the oldest frame held
	openStart  int64      // absolute start of the frame being written
	notify     chan struct{}

	// size is len(s.data), for the checks made before the lock is taken:
	// Grow stores it under mu once the ring is larger.
	size atomic.Int64

	copyMu  sync.Mutex // serializes copies; guards scratch
	scratch []byte
}

type frameRec struct {
	start int64 // absolute offset of the first byte
	size  int
	ts    time.Duration
	typ   FrameType
}

// NewFrameBuffer returns an empty FrameBuffer configured by c.
func NewFrameBuffer(c FrameConfig) (*FrameBuffer, error) {
	size := c.Size
	if size == 0 && c.Duration > 0 {
		rate := c.Bitrate
		if rate == 0 {
			rate = DefaultBitrate
		}
		size = int(c.Duration.Seconds() * float64(rate) / 8)
	}
	maxFrames := c.MaxFrames
	if maxFrames == 0 {
		maxFrames = defaultMaxFrames(size)
	}
	maxWrites := c.MaxWrites
	if maxWrites == 0 {
		maxWrites = defaultMaxWrites(size)
	}
	if size < 1 || maxFrames < 1 || maxWrites < 1 || c.MaxAge < 0 || c.Bitrate < 0 {
		return nil, fmt.Errorf("%w: %+v", ErrInvalidSize, c)
	}
	b := &FrameBuffer{
		s:          stream{ring: newRing(size, maxWrites)},
		maxAge:     c.MaxAge,
		frames:     make([]frameRec, maxFrames),
		autoFrames: c.MaxFrames == 0,
		autoWrites: c.MaxWrites == 0,
	}
	b.size.Store(int64(size))
	return b, nil
}

// defaultMaxFrames is how many frame records a ring of size bytes keeps:
// one per KiB, at least 1024, and never more than size.
func defaultMaxFrames(size int) int {
	return min(max(size, 1), max(1024, size/1024))
}

// Size returns the capacity in bytes.
func (b *FrameBuffer) Size() int { return int(b.size.Load()) }

// Len returns the number of bytes held, including those of the frame being
// written.
func (b *FrameBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.length
}

// Write appends p to the frame being written; the frame is complete when
// WriteFrame adds its last part. A p larger than Size is [ErrTooLarge].
func (b *FrameBuffer) Write(p []byte) (int, error) {
	if size := b.Size(); len(p) > size { // the size only grows: checked before the lock
		return 0, fmt.Errorf("%w: %d bytes into %d", ErrTooLarge, len(p), size)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.appendLocked(p)
	return len(p), nil
}

func (b *FrameBuffer) appendLocked(p []byte) {
	if len(p) == 0 {
		return
	}
	b.s.append(p)
	b.s.pos = b.s.end()
	b.forgetDropped()
}

// WriteFrame appends p as the last part of the frame being written (p may be
// empty when Write already added all of it) and completes the frame with its
// type and timestamp. Timestamps must not go backwards. It returns
// [ErrFrameLost] if the frame outgrew the ring and its start was dropped.
func (b *FrameBuffer) WriteFrame(p []byte, typ FrameType, ts time.Duration) error {
	if typ < Delta || typ > Motion || len(p) > b.Size() {
		return b.frameError(p, typ, ts)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if (b.fCount > 0 && ts < b.rec(b.fCount-1).ts) || (len(p) == 0 && b.openStart >= b.s.end()) {
		return b.frameError(p, typ, ts)
	}
	b.appendLocked(p)
	start, end := b.openStart, b.s.end()
	b.openStart = end
	if start < b.s.base {
		return lostError(end-start, b.s.size())
	}
	if b.fCount == len(b.frames) {
		b.dropFrameLocked()
	}
	*b.rec(b.fCount) = frameRec{start: start, size: int(end - start), ts: ts, typ: typ}
	b.fCount++
	if b.maxAge > 0 {
		for b.fCount > 1 && ts-b.rec(0).ts >= b.maxAge {
			b.dropFrameLocked()
		}
	}
	if b.notify != nil {
		close(b.notify)
		b.notify = nil
	}
	return nil
}

// frameError explains why WriteFrame rejects a frame. It is kept out of
// WriteFrame so that the hot path stays small.
//
//go:noinline
func (b *FrameBuffer) frameError(p []byte, typ FrameType, ts time.Duration) error {
	switch {
	case typ < Delta || typ > Motion:
		return fmt.Errorf("%w: type %v", ErrInvalidFrame, typ)
	case len(p) > b.Size():
		return fmt.Errorf("%w: %d bytes into %d", ErrTooLarge, len(p), b.Size())
	case len(p) == 0:
		return fmt.Errorf("%w: empty frame", ErrInvalidFrame)
	}
	return fmt.Errorf("%w: timestamp %v before the previous %v", ErrInvalidFrame, ts, b.rec(b.fCount-1).ts)
}

//go:noinline
func lostError(n int64, size int) error {
	return fmt.Errorf("%w: %d bytes into %d", ErrFrameLost, n, size)
}

// rec returns the i-th oldest frame record held.
func (b *FrameBuffer) rec(i int) *frameRec {
	return &b.frames[wrap(b.fHead+i, len(b.frames))]
}

// dropFrameLocked drops the oldest frame and the bytes before the next one.
func (b *FrameBuffer) dropFrameLocked() {
	next := b.openStart
	if b.fCount > 1 {
		next = b.rec(1).start
	}
	b.s.dropBefore(next)
	b.forgetDropped()
}

// forgetDropped removes the frames whose first byte is no longer held.
func (b *FrameBuffer) forgetDropped() {
	for b.fCount > 0 && b.rec(0).start < b.s.base {
		b.fHead = wrap(b.fHead+1, len(b.frames))
		b.fCount--
		b.firstIndex++
	}
}

func (b *FrameBuffer) frameLocked(i int) Frame {
	r := b.rec(i)
	return Frame{
		Index:     b.firstIndex + int64(i),
		Type:      r.typ,
		Size:      r.size,
		Timestamp: r.ts,
		Position:  r.start - b.s.base,
	}
}

// Frames returns the number of complete frames held.
func (b *FrameBuffer) Frames() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fCount
}

// All returns an iterator over the complete frames held when it starts,
// oldest first. Frames dropped while it runs are skipped. The buffer is not
// locked while the loop body runs.
func (b *FrameBuffer) All() iter.Seq[Frame] {
	return func(yield func(Frame) bool) {
		first, end := b.Span()
		for i := first; i < end; {
			f, ok := b.frameFrom(i)
			if !ok || f.Index >= end || !yield(f) {
				return
			}
			i = f.Index + 1
		}
	}
}

// Backward returns an iterator over the complete frames held when it
// starts, newest first. It stops at the first frame dropped while it runs.
// The buffer is not locked while the loop body runs.
func (b *FrameBuffer) Backward() iter.Seq[Frame] {
	return func(yield func(Frame) bool) {
		_, end := b.Span()
		for i := end - 1; ; i-- {
			f, ok := b.frameFrom(i)
			if !ok || f.Index != i || !yield(f) {
				return
			}
		}
	}
}

// ReadFrame returns the oldest frame held whose index is at least index,
// with its bytes appended to buf[:0] (reusing buf when it is large enough),
// read atomically with respect to writes. It returns [ErrNoFrame] when no
// such frame is held yet.
func (b *FrameBuffer) ReadFrame(index int64, buf []byte) (Frame, []byte, error) {
	return b.ReadFrameTo(index, nil, buf)
}

// ReadFrameTo is ReadFrame for frames that start with a header of a known
// size: it copies the frame's first len(head) bytes into head and appends
// the rest to buf[:0], all read atomically with respect to writes, so that
// a frame's body lands in the caller's buffer with no second copy. A frame
// shorter than head is an error matching io.ErrUnexpectedEOF.
func (b *FrameBuffer) ReadFrameTo(index int64, head, buf []byte) (Frame, []byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := max(index, b.firstIndex)
	if i >= b.firstIndex+int64(b.fCount) {
		return Frame{}, buf[:0], ErrNoFrame
	}
	f := b.frameLocked(int(i - b.firstIndex))
	if f.Size < len(head) {
		return f, buf[:0], fmt.Errorf("circular: frame %d of %d bytes has no %d-byte header: %w", f.Index, f.Size, len(head), io.ErrUnexpectedEOF)
	}
	off := b.s.base + f.Position
	b.s.copyOut(head, off)
	n := f.Size - len(head)
	buf = slices.Grow(buf[:0], n)[:n]
	b.s.copyOut(buf, off+int64(len(head)))
	return f, buf, nil
}

// Span returns the index of the oldest complete frame held and one past the
// newest: the indexes All would visit.
func (b *FrameBuffer) Span() (first, end int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.firstIndex, b.firstIndex + int64(b.fCount)
}

// frameFrom returns the oldest frame held whose index is at least i.
func (b *FrameBuffer) frameFrom(i int64) (Frame, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i = max(i, b.firstIndex)
	if i >= b.firstIndex+int64(b.fCount) {
		return Frame{}, false
	}
	return b.frameLocked(int(i - b.firstIndex)), true
}

// selectLocked returns the range [from, to) of frame slots CopyTo copies.
func (b *FrameBuffer) selectLocked(limit Limit, first FrameType) (from, to int, err error) {
	set := 0
	for _, v := range []int64{int64(limit.Bytes), int64(limit.Duration), int64(limit.Frames)} {
		if v < 0 {
			return 0, 0, fmt.Errorf("%w: %+v", ErrInvalidLimit, limit)
		}
		if v > 0 {
			set++
		}
	}
	if set > 1 {
		return 0, 0, fmt.Errorf("%w: %+v sets more than one bound", ErrInvalidLimit, limit)
	}
	to = b.fCount
	if to == 0 {
		return 0, 0, fmt.Errorf("%w: no complete frame held", ErrNoFrame)
	}
	newest := b.rec(to - 1)
	end := newest.start + int64(newest.size)
	switch {
	case limit.Bytes > 0:
		// The oldest frame from which the copy fits; starts are increasing.
		from = sort.Search(to, func(i int) bool { return end-b.rec(i).start <= int64(limit.Bytes) })
	case limit.Duration > 0:
		from = sort.Search(to, func(i int) bool { return newest.ts-b.rec(i).ts < limit.Duration })
	case limit.Frames > 0:
		from = max(0, to-limit.Frames)
	}
	for ; from < to; from++ {
		if first == AnyFrame || b.rec(from).typ == first {
			return from, to, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: no %v frame among the newest %d within %+v", ErrNoFrame, first, to, limit)
}

// CopyTo writes the newest complete frames to w and returns the first and
// last frames written. The frames are those within limit (the zero Limit
// means all of them), starting at the oldest frame of type first (AnyFrame:
// of any type) from which the frames up to the newest complete one fit in
// the limit. It writes exactly those frames' bytes: never more than the
// limit, never a partial frame. If no such frame exists it writes nothing
// and returns [ErrNoFrame]. The stream position is unchanged.
//
// To follow a pre-trigger copy with the frames recorded after it, with no
// gap and no overlap, pass the returned last frame to [FrameBuffer.CopySince].
func (b *FrameBuffer) CopyTo(w io.Writer, limit Limit, first FrameType) (firstFrame, last Frame, err error) {
	firstFrame, last, _, err = b.copyOut(w, func() (int, int, error) { return b.selectLocked(limit, first) })
	return firstFrame, last, err
}

// CopySince writes to w every complete frame recorded after frame after,
// and returns the last frame written (after itself when there is none yet).
// If some of those frames were already dropped, it writes the ones still
// held and returns an error matching [ErrOverrun] that says how many were
// lost; the returned frame is still the one to pass to the next call.
func (b *FrameBuffer) CopySince(w io.Writer, after Frame) (last Frame, err error) {
	lost := int64(0)
	_, last, copied, err := b.copyOut(w, func() (int, int, error) {
		from := after.Index + 1 - b.firstIndex
		lost = max(0, -from)
		return int(max(from, 0)), b.fCount, nil
	})
	if !copied {
		last = after
	}
	if err == nil && lost > 0 {
		err = fmt.Errorf("%w: %d frames after frame %d", ErrOverrun, lost, after.Index)
	}
	return last, err
}

// A Range is what [FrameBuffer.CopyRange] copied.
type Range struct {
	// First and Last are the first and last frames written; they are
	// valid when Frames is positive.
	First, Last Frame
	// Frames is how many frames were written.
	Frames int
	// Lost is how many frames of the range were dropped before they
	// could be copied.
	Lost int64
	// Next is the index after the last one the range covered: the from
	// of the next call, to follow on with no gap and no overlap.
	Next int64
}

// CopyRange writes to w the complete frames whose indexes are from from
// up to and including through, in one write, and returns what it wrote.
// The frames not recorded yet are left for a later call: Range.Next is
// then the first of them. If some of the range were already dropped, it
// writes the ones still held and returns an error matching [ErrOverrun]
// that says how many were lost (Range.Lost). Like CopySince, it copies
// under the lock and writes to w after releasing it.
func (b *FrameBuffer) CopyRange(w io.Writer, from, through int64) (Range, error) {
	r := Range{Next: from}
	first, last, copied, err := b.copyOut(w, func() (int, int, error) {
		end := b.firstIndex + int64(b.fCount)
		r.Next = max(from, min(through, end-1)+1)
		r.Lost = max(0, min(b.firstIndex, r.Next)-from)
		lo, hi := max(from, b.firstIndex)-b.firstIndex, r.Next-b.firstIndex
		if hi < lo {
			hi = lo
		}
		return int(lo), int(hi), nil
	})
	if copied {
		r.First, r.Last, r.Frames = first, last, int(last.Index-first.Index)+1
	}
	if err == nil && r.Lost > 0 {
		err = fmt.Errorf("%w: %d frames from frame %d", ErrOverrun, r.Lost, from)
	}
	return r, err
}

// Fits reports whether a frame of n bytes, written in at most writes
// writes, can be added without dropping frame keep or any frame after it
// (or the bytes of the frame being written, when keep is not recorded
// yet): a writer that must not overwrite what a reader has not copied yet
// asks before it writes. A keep already dropped is no bound. Frames that
// MaxAge drops are not counted.
func (b *FrameBuffer) Fits(keep int64, n, writes int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	end := b.firstIndex + int64(b.fCount)
	if keep < b.firstIndex {
		return true
	}
	start := b.openStart
	if keep < end {
		start = b.rec(int(keep - b.firstIndex)).start
	}
	r := &b.s.ring
	if b.s.end()-start+int64(n) > int64(r.size()) || int(end-keep)+1 > len(b.frames) {
		return false
	}
	// The writes that end after start are the ones to keep.
	held := r.eCount - sort.Search(r.eCount, func(i int) bool { return r.endAt(i) > start })
	return held+writes <= len(r.ends)
}

// Find returns the first and last frames CopyTo would copy with the same
// limit and first type, without copying them; [ErrNoFrame] when there
// are none.
func (b *FrameBuffer) Find(limit Limit, first FrameType) (firstFrame, last Frame, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	from, to, err := b.selectLocked(limit, first)
	if err != nil {
		return Frame{}, Frame{}, err
	}
	return b.frameLocked(from), b.frameLocked(to - 1), nil
}

// copyOut copies the frames in the slot range sel returns into the scratch
// buffer under the lock, then writes them to w without it.
func (b *FrameBuffer) copyOut(w io.Writer, sel func() (int, int, error)) (first, last Frame, copied bool, err error) {
	b.copyMu.Lock()
	defer b.copyMu.Unlock()
	b.mu.Lock()
	from, to, err := sel()
	for err == nil && from < to {
		start := b.rec(from).start
		n := int(b.rec(to-1).start + int64(b.rec(to-1).size) - start)
		if cap(b.scratch) < n {
			// Allocate without holding up the writer, then select again.
			size := b.s.size()
			b.mu.Unlock()
			b.scratch = make([]byte, min(size, n+n/4))
			b.mu.Lock()
			from, to, err = sel()
			continue
		}
		first, last = b.frameLocked(from), b.frameLocked(to-1)
		b.s.copyOut(b.scratch[:n], start)
		b.mu.Unlock()
		_, err = w.Write(b.scratch[:n])
		return first, last, true, err
	}
	b.mu.Unlock()
	return first, last, false, err
}

// Wait blocks until a frame newer than after is complete, or ctx is done.
func (b *FrameBuffer) Wait(ctx context.Context, after Frame) error {
	for {
		b.mu.Lock()
		if b.firstIndex+int64(b.fCount) > after.Index+1 {
			b.mu.Unlock()
			return nil
		}
		if b.notify == nil {
			b.notify = make(chan struct{})
		}
		ch := b.notify
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Read reads from the position up to the end of the stream (the bytes of
// the frame being written included); it returns io.EOF at the end.
func (b *FrameBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.read(p, false)
}

// ReadChunk reads from the position at most up to the end of the write that
// added the byte at the position (picamera's read1).
func (b *FrameBuffer) ReadChunk(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.read(p, true)
}

// ReadAt reads len(p) bytes at offset off from the oldest byte held, without
// moving the position.
func (b *FrameBuffer) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.readAt(p, off)
}

// Seek sets the position for Read, as [Buffer.Seek] does. Writes always
// append, whatever the position.
func (b *FrameBuffer) Seek(offset int64, whence int) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.seek(offset, whence)
}

// Truncate drops the stream's bytes from size on, and the frames that are no
// longer whole; the frame being written is abandoned. A frame ring grows only
// by writes: a size larger than Len is [ErrTooLarge]. The position is
// unchanged. The indexes of the frames it cuts are given again to the
// frames written next.
func (b *FrameBuffer) Truncate(size int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if size < 0 {
		return fmt.Errorf("%w: %d", ErrNegativePosition, size)
	}
	if size > int64(b.s.length) {
		return fmt.Errorf("%w: truncate to %d bytes grows a frame ring of %d", ErrTooLarge, size, b.s.length)
	}
	cut := b.s.base + size
	b.s.truncate(cut)
	for b.fCount > 0 && b.rec(b.fCount-1).start+int64(b.rec(b.fCount-1).size) > cut {
		b.fCount--
	}
	b.openStart = cut
	return nil
}

// Bytes returns a copy of the bytes held.
func (b *FrameBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.s.bytes()
}

// Reset empties the stream and its frame list and sets the position to 0
// (picamera's clear). Frame indexes go on counting.
func (b *FrameBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s.clear()
	b.firstIndex += int64(b.fCount)
	b.fCount = 0
	b.openStart = b.s.end()
}
