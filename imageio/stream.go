package imageio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/imgstream/imgstream/container"
)

// Errors returned by Stream, wrapped with context; match them with
// errors.Is. Damaged files give the container package's errors.
var (
	// ErrClosed is returned by a Stream's methods after Close.
	ErrClosed = errors.New("imageio: stream closed")

	// ErrEndOfStream is returned by Write on a memory stream whose slots are
	// all written (OpenMV's "End of stream").
	ErrEndOfStream = errors.New("imageio: end of stream")

	// ErrInvalidOffset is returned by Seek for a frame outside the stream.
	ErrInvalidOffset = errors.New("imageio: invalid stream offset")

	// ErrInvalidCount is returned by NewMemory for a slot count under 1.
	ErrInvalidCount = errors.New("imageio: invalid slot count")

	// ErrFrameTooLarge is returned by Write on a memory stream for a frame
	// larger than a slot (OpenMV's "Invalid frame size"), and on any
	// stream for a frame over container.DefaultMaxFrameSize, which Open
	// would not read back.
	ErrFrameTooLarge = errors.New("imageio: frame too large")

	// ErrReadOnly is returned by Write on a stream made with Open.
	ErrReadOnly = errors.New("imageio: stream opened for reading")

	// ErrTimeBackwards is returned by WriteAt for a capture time before the
	// previous frame's.
	ErrTimeBackwards = errors.New("imageio: capture time before the previous frame's")
)

// Kind is what a Stream keeps its frames in.
type Kind int

// The kinds of stream.
const (
	FileStream   Kind = iota // an OMV IMG STR file, or any io.ReadWriteSeeker holding one
	MemoryStream             // preallocated slots of one size
	RingStream               // the newest frames, in a ring
)

// String returns the kind's name, such as "file stream".
func (k Kind) String() string {
	switch k {
	case FileStream:
		return "file stream"
	case MemoryStream:
		return "memory stream"
	case RingStream:
		return "ring stream"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ReadOptions say how Read behaves. The zero value reads each frame once, as
// fast as the caller asks; OpenMV's read() defaults to both true.
type ReadOptions struct {
	// Loop makes Read start again at the first frame after the last,
	// instead of returning io.EOF.
	Loop bool
	// Pause makes Read wait until the recorded interval since the previous
	// frame has passed, so that playback keeps the recorded pace. Waits are
	// scheduled from the previous frame's due time, not from when Read was
	// called, so the pace does not drift with the caller's work.
	Pause bool
}

// A Clock tells the time and waits: the system clock unless Options say
// otherwise. Tests give a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the system's Clock, which a nil Options.Clock means:
// for other packages that take a Clock, such as natsbus's replays.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d on a timer, or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MinFramePeriod is the shortest time a [Pacer] lets pass between two
// frames: 1 ms, the time unit of V2.0 files, so no V2.0 recording plays
// slower than it was recorded (a V2.1 recording of over 1000 frames per
// second does). Without a floor, an interval of 0 (a one-frame recording
// played round and round, frames stamped in the same millisecond, a late
// schedule catching up) would send frames as fast as the CPU can.
const MinFramePeriod = time.Millisecond

// MinLoopPeriod is the shortest time one round of a looped playback takes:
// 100 ms. [MinFramePeriod] alone lets a one-frame recording (elapsed 0), or
// one whose frames all have elapsed 0, go round 1000 times a second, which
// fills a JetStream --keep budget in about a second and sends a viewer a
// still picture at hundreds of frames a second. At 100 ms a one-frame loop
// plays at 10 frames a second, enough to keep a still on screen and a
// stream alive, and a loop of N frames recorded at once at most 10*N;
// any loop whose recorded round is 100 ms or longer is not slowed.
const MinLoopPeriod = 100 * time.Millisecond

// A Pacer keeps the recorded pace of frames played back: Wait sleeps
// until a frame is due, an interval after the frame before was due (not
// after Wait was called), so that the caller's work between frames does
// not add up to drift. Frames are never closer than [MinFramePeriod], and
// a player that loops calls [Pacer.Loop] at each wrap, so that a round is
// never shorter than [MinLoopPeriod]. Paced reads of a Stream use one; so
// can a player of frames from elsewhere, such as natsbus's replays. The
// zero value paces on the system clock, and its first frame is due at
// once. A Pacer is not safe for concurrent use.
type Pacer struct {
	// Clock tells the time and sleeps: the system clock when nil.
	Clock Clock
	due   time.Time // when the last frame was due
	last  time.Time // when the last Wait returned
	round time.Time // when the first Wait of the current round returned
	wrap  bool      // Loop was called: the next Wait starts a round
}

func (p *Pacer) clock() Clock {
	if p.Clock == nil {
		return SystemClock{}
	}
	return p.Clock
}

// Wait sleeps until interval has passed since the previous frame was due
// (since Restart, or the first Wait), and at least [MinFramePeriod] since
// the previous Wait returned, and returns nil; or returns ctx.Err() when
// ctx is done first (even with nothing to wait for), leaving the pace as
// it was. The first Wait after [Pacer.Loop] also waits until
// [MinLoopPeriod] has passed since the first Wait of the round before; the
// frames after it are then due from that time.
func (p *Pacer) Wait(ctx context.Context, interval time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := p.clock()
	now := c.Now()
	if p.due.IsZero() {
		p.due = now
	}
	due := p.due.Add(interval)
	wake := due
	if !p.last.IsZero() {
		if floor := p.last.Add(MinFramePeriod); floor.After(wake) {
			wake = floor
		}
	}
	if p.wrap && !p.round.IsZero() {
		if floor := p.round.Add(MinLoopPeriod); floor.After(due) {
			due = floor // the next round's schedule starts from here
			if floor.After(wake) {
				wake = floor
			}
		}
	}
	if d := wake.Sub(now); d > 0 {
		if err := c.Sleep(ctx, d); err != nil {
			return err
		}
		now = wake
	}
	p.due, p.last = due, now
	if p.wrap || p.round.IsZero() {
		p.round, p.wrap = now, false
	}
	return nil
}

// Loop says that the next frame starts another round of a looped
// playback: the next Wait returns no sooner than [MinLoopPeriod] after the
// first Wait of the round before, so that a loop of one frame, or of
// frames recorded at the same time, does not go round a thousand times a
// second.
func (p *Pacer) Loop() { p.wrap = true }

// Restart makes the next interval count from now: after a seek, or a
// frame played without waiting. The floor of [MinFramePeriod] still
// counts from the last Wait.
func (p *Pacer) Restart() { p.due = p.clock().Now() }

// Options refine a new Stream. A nil *Options means the defaults.
type Options struct {
	// Version is the version a new file or ring stream is written in:
	// container.V2_0 (what current firmware writes) when zero.
	Version container.Version
	// Clock times writes and paced reads: the system clock when nil.
	Clock Clock
}

func (o *Options) version() container.Version {
	if o == nil || o.Version == 0 {
		return container.V2_0
	}
	return o.Version
}

func (o *Options) clock() Clock {
	if o == nil || o.Clock == nil {
		return SystemClock{}
	}
	return o.Clock
}

// backend is what a Stream keeps frames in. Frame indexes are absolute: a
// ring's oldest frame need not be 0.
type backend interface {
	span() (first, end int)
	// read reads the frame at index i, or the oldest after it when i was
	// dropped, into m, timing included, and returns its index.
	read(i int, m *Image) (int, error)
	// write writes a frame at index i (end appends), recorded at time at
	// since the stream was created, dropping the frames after it.
	write(i int, h *container.Header, data []byte, at time.Duration) error
	size() int64
	bufferSize() int
	sync() error
	close() error
}

// A Stream is OpenMV's ImageIO for Go: a sequence of images with the time
// between them, in a file ([Create], [Open], [New]), in preallocated memory
// ([NewMemory]) or in a ring that keeps the newest ([NewRing]). Write adds a
// frame at the current offset and Read returns the frame there; both move
// the offset on by one, and Seek moves it anywhere in O(1).
//
// A Stream is not safe for concurrent use.
type Stream struct {
	kind     Kind
	b        backend
	version  container.Version
	clock    Clock
	readOnly bool
	closed   bool
	damage   error // what stopped the frame index of a damaged file

	hdr container.Header // the header being written, kept here so it does not escape

	offset  int           // absolute index of the next frame to read or write
	created time.Time     // write times are measured from here
	last    time.Duration // time of the last write since created, in units
	pace    Pacer         // paced playback
}

func newStream(kind Kind, b backend, v container.Version, opts *Options) *Stream {
	c := opts.clock()
	now := c.Now()
	return &Stream{kind: kind, b: b, version: v, clock: c, created: now, pace: Pacer{Clock: c, due: now}}
}

func (s *Stream) usable() error {
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Type returns what the stream keeps its frames in.
func (s *Stream) Type() Kind { return s.kind }

// IsClosed reports whether Close has been called.
func (s *Stream) IsClosed() bool { return s.closed }

// Version returns the version of a file or ring stream's format, and 0 for
// a memory stream (OpenMV: None).
func (s *Stream) Version() container.Version {
	if s.kind == MemoryStream {
		return 0
	}
	return s.version
}

// Count returns the number of frames in the stream: in a memory stream, the
// frames written so far (OpenMV returns the slot count); in a ring, the
// frames it holds now.
func (s *Stream) Count() int {
	first, end := s.b.span()
	return end - first
}

// Offset returns the index of the frame the next Read returns or the next
// Write replaces, counting from the oldest frame held.
func (s *Stream) Offset() int {
	first, _ := s.b.span()
	return max(s.offset-first, 0)
}

// BufferSize returns the pixel capacity of one memory-stream slot, the byte
// capacity of a ring, and 0 for a file stream (OpenMV: None).
func (s *Stream) BufferSize() int { return s.b.bufferSize() }

// Size returns the stream's size in bytes: the bytes of a file stream's
// complete frames, magic included; the memory a memory stream or a ring
// reserved.
func (s *Stream) Size() int64 { return s.b.size() }

// Seek moves to frame n, counting from the oldest frame held; n may be
// Count(), the end. It takes constant time: a file's frames are indexed
// when it is opened. Paced playback starts again from the time of the Seek.
// Writing after a Seek replaces frame n and drops the frames after it, as
// the firmware does.
func (s *Stream) Seek(n int) error {
	if err := s.usable(); err != nil {
		return err
	}
	first, end := s.b.span()
	if n < 0 || first+n > end {
		return fmt.Errorf("%w: frame %d of %d", ErrInvalidOffset, n, end-first)
	}
	s.offset = first + n
	s.pace.Restart()
	return nil
}

// Write adds img at the current offset, recording the time since the
// previous Write (for the first, since the stream was made) from the
// stream's clock.
func (s *Stream) Write(img *Image) error {
	return s.WriteAt(img, s.clock.Now())
}

// WriteAt adds img as Write does, for a frame captured at t: the recorded
// interval is the time from the previous frame's capture. Times are kept
// whole in the stream's unit (milliseconds; microseconds in V2.1) from the
// stream's start, so rounding never accumulates. A t before the previous
// frame's is [ErrTimeBackwards].
func (s *Stream) WriteAt(img *Image, t time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.readOnly {
		return ErrReadOnly
	}
	if err := img.check(); err != nil {
		return err
	}
	if len(img.Data) > container.DefaultMaxFrameSize {
		return fmt.Errorf("%w: %d bytes, over the %d a reader accepts", ErrFrameTooLarge, len(img.Data), container.DefaultMaxFrameSize)
	}
	unit := s.version.TimeUnit()
	at := t.Sub(s.created)
	q := (at + unit/2) / unit
	if q < s.last {
		return fmt.Errorf("%w: %v after the start, the previous at %v", ErrTimeBackwards, at, s.last*unit)
	}
	s.hdr = container.Header{Elapsed: (q - s.last) * unit, Width: img.Width, Height: img.Height, Format: img.Format, Size: len(img.Data)}
	if err := s.b.write(s.offset, &s.hdr, img.Data, q*unit); err != nil {
		return err
	}
	s.last = q
	if s.kind == RingStream {
		_, s.offset = s.b.span()
	} else {
		s.offset++
	}
	return nil
}

// Damage returns what cut a damaged file stream short when it was opened:
// a *container.FrameError that says which frame and at which offset, after
// the Count() good frames. It is nil for an undamaged stream and for memory
// and ring streams. It tells of the damage at once, without reading to it.
func (s *Stream) Damage() error { return s.damage }

// Read returns the frame at the current offset in a new Image and moves on.
// At the end it returns io.EOF, or starts again with opts.Loop. If a file
// stream was damaged, Read returns the damage (a *container.FrameError,
// also given by [Stream.Damage]) after the last good frame instead of
// io.EOF; with opts.Loop it goes round the good frames.
func (s *Stream) Read(opts ReadOptions) (*Image, error) {
	m := new(Image)
	if err := s.ReadContext(context.Background(), m, opts); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadInto reads the frame at the current offset into m, reusing m.Data
// when it is large enough: a loop that reads into the same Image does not
// allocate.
func (s *Stream) ReadInto(m *Image, opts ReadOptions) error {
	return s.ReadContext(context.Background(), m, opts)
}

// ReadContext is ReadInto with a context that cancels a paced wait. A
// cancelled read returns ctx.Err() and leaves the offset where it was.
func (s *Stream) ReadContext(ctx context.Context, m *Image, opts ReadOptions) error {
	if err := s.usable(); err != nil {
		return err
	}
	first, end := s.b.span()
	if s.offset >= end {
		if !opts.Loop || end == first {
			if s.damage != nil {
				return s.damage
			}
			return io.EOF
		}
		s.offset = first // a damaged file loops round its good frames
		s.pace.Loop()
	}
	i, err := s.b.read(s.offset, m)
	if err != nil {
		return err
	}
	if opts.Pause {
		if err := s.pace.Wait(ctx, m.Elapsed); err != nil {
			return err
		}
	} else {
		s.pace.Restart()
	}
	s.offset = i + 1
	return nil
}

// All returns an iterator over the frames from the current offset to the
// end, each in a new Image, without pauses or looping. It stops after the
// first error, which it yields. It returns a single-use iterator.
func (s *Stream) All() iter.Seq2[*Image, error] {
	return func(yield func(*Image, error) bool) {
		for {
			m, err := s.Read(ReadOptions{})
			if err == io.EOF {
				return
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

// Sync commits what has been written to stable storage: fsync for a file.
// Frames written before Sync returns survive a crash of the program or the
// machine.
func (s *Stream) Sync() error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.b.sync()
}

// Close closes the stream and the file that Create or Open opened; New does
// not close the io.ReadWriteSeeker it was given. Closing twice is not an
// error.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.b.close()
}
