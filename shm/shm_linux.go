//go:build linux

package shm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/imgstream/imgstream/container"
)

// The layout. All fields are little-endian and naturally aligned.
const (
	magic         = "IMGSHM01"
	layoutVersion = 1
	headerSize    = 4096
	slotHeader    = 64
	pageSize      = 4096

	offMagic    = 0  // [8]byte
	offVersion  = 8  // uint32
	offHdrSize  = 12 // uint32
	offSlots    = 16 // uint32
	offStride   = 24 // uint64: bytes from one slot to the next
	offCapacity = 32 // uint64: frame bytes a slot holds
	offFutex    = 40 // uint32: incremented by every publish; readers wait on it
	offLatest   = 48 // uint64: number of the newest published frame, 0 for none
	offClosed   = 56 // uint32: 1 once the writer closed the stream
	offPID      = 60 // uint32: the writer's process ID

	slotSeq    = 0  // uint64: 2n+1 while frame n is written, 2n once it is published
	slotTime   = 8  // int64: Unix nanoseconds of the publish
	slotWidth  = 16 // uint32
	slotHeight = 20 // uint32
	slotFormat = 24 // uint32: container.PixFormat
	slotLength = 32 // uint64: frame bytes
)

// waitSlice bounds each futex wait, so that a dead writer and a cancelled
// context are noticed within about this long.
const waitSlice = 100 * time.Millisecond

type mapping struct {
	mem      []byte
	slots    int
	stride   int
	capacity int
}

func (m *mapping) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&m.mem[off])) }
func (m *mapping) u64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&m.mem[off])) }
func (m *mapping) slot(n uint64) int   { return headerSize + int(n%uint64(m.slots))*m.stride }

func path(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return "", fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return filepath.Join(Dir, name), nil
}

func stride(capacity int) int {
	return (slotHeader + capacity + pageSize - 1) / pageSize * pageSize
}

// A Writer publishes frames to a stream; there is one per stream. It never
// waits for readers. A Writer is not safe for concurrent use.
type Writer struct {
	m      mapping
	f      *os.File
	path   string
	next   uint64 // number of the frame Acquire hands out
	leased bool   // Acquire was called and Publish not yet
	closed bool
}

// Create makes the stream name in Dir with slots slots (DefaultSlots when
// 0) of frameSize bytes each, and returns its Writer. The file's space is
// reserved at once, so a full tmpfs fails here rather than mid-stream. A
// stale stream of the same name, whose writer died, is replaced; one whose
// writer lives is ErrExists. Close removes the stream.
func Create(name string, frameSize, slots int) (*Writer, error) {
	p, err := path(name)
	if err != nil {
		return nil, err
	}
	if slots == 0 {
		slots = DefaultSlots
	}
	if frameSize < 1 || slots < 2 || slots > 1<<16 {
		return nil, fmt.Errorf("%w: %d slots of %d bytes: need 2 to 65536 slots of at least 1 byte", ErrInvalidSize, slots, frameSize)
	}
	size := headerSize + slots*stride(frameSize)
	f, err := createLocked(p)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Writer, error) {
		os.Remove(p)
		f.Close()
		return nil, err
	}
	if err := unix.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		return fail(fmt.Errorf("shm: reserve %d bytes in %s: %w", size, Dir, err))
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail(fmt.Errorf("shm: map %s: %w", p, err))
	}
	w := &Writer{m: mapping{mem: mem, slots: slots, stride: stride(frameSize), capacity: frameSize}, f: f, path: p, next: 1}
	le := binary.LittleEndian
	le.PutUint32(mem[offVersion:], layoutVersion)
	le.PutUint32(mem[offHdrSize:], headerSize)
	le.PutUint32(mem[offSlots:], uint32(slots))
	le.PutUint64(mem[offStride:], uint64(w.m.stride))
	le.PutUint64(mem[offCapacity:], uint64(frameSize))
	le.PutUint32(mem[offPID:], uint32(os.Getpid()))
	copy(mem[offMagic:], magic) // last: a reader that sees the magic sees the rest
	return w, nil
}

// createLocked creates p exclusively and locks it, replacing a stale file
// that no writer holds.
func createLocked(p string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
				f.Close()
				os.Remove(p)
				return nil, fmt.Errorf("shm: lock %s: %w", p, err)
			}
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) || attempt > 0 {
			return nil, fmt.Errorf("shm: create %s: %w", p, err)
		}
		old, err := os.Open(p)
		if err != nil {
			continue // gone meanwhile: try again
		}
		if err := unix.Flock(int(old.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			old.Close()
			return nil, fmt.Errorf("%w: %s", ErrExists, p)
		}
		// Nobody holds it: a writer died without removing it.
		os.Remove(p)
		old.Close()
	}
}

// FrameSize returns the largest frame the stream holds, in bytes.
func (w *Writer) FrameSize() int { return w.m.capacity }

// Path returns the stream's file.
func (w *Writer) Path() string { return w.path }

// Acquire returns the slot the next frame goes into, to fill in place (no
// copy), and marks it as being written: a reader never returns it until
// Publish. Calling Acquire again before Publish returns the same slot.
func (w *Writer) Acquire() ([]byte, error) {
	if w.closed {
		return nil, ErrClosed
	}
	off := w.m.slot(w.next)
	if !w.leased {
		// A swap, not a store: it orders the writes into the slot after
		// it on every architecture.
		atomic.SwapUint64(w.m.u64(off+slotSeq), 2*w.next+1)
		w.leased = true
	}
	return w.m.mem[off+slotHeader : off+slotHeader+w.m.capacity : off+slotHeader+w.m.capacity], nil
}

// Publish makes the frame in the acquired slot visible to readers, with
// h describing it (h.Size bytes of it count), and wakes readers waiting
// for it.
func (w *Writer) Publish(h container.Header) error {
	if w.closed {
		return ErrClosed
	}
	if !w.leased {
		return ErrNotAcquired
	}
	if h.Size < 0 || h.Size > w.m.capacity {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, h.Size, w.m.capacity)
	}
	off := w.m.slot(w.next)
	s := w.m.mem[off : off+slotHeader]
	le := binary.LittleEndian
	le.PutUint64(s[slotTime:], uint64(time.Now().UnixNano()))
	le.PutUint32(s[slotWidth:], uint32(h.Width))
	le.PutUint32(s[slotHeight:], uint32(h.Height))
	le.PutUint32(s[slotFormat:], uint32(h.Format))
	le.PutUint64(s[slotLength:], uint64(h.Size))
	atomic.StoreUint64(w.m.u64(off+slotSeq), 2*w.next)
	atomic.StoreUint64(w.m.u64(offLatest), w.next)
	atomic.AddUint32(w.m.u32(offFutex), 1)
	futexWake(w.m.u32(offFutex))
	w.next++
	w.leased = false
	return nil
}

// Write copies frame into the next slot and publishes it.
func (w *Writer) Write(h container.Header, frame []byte) error {
	if len(frame) > w.m.capacity {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, len(frame), w.m.capacity)
	}
	slot, err := w.Acquire()
	if err != nil {
		return err
	}
	copy(slot, frame)
	h.Size = len(frame)
	return w.Publish(h)
}

// Close marks the stream closed (readers get io.EOF once they have the
// last frame), removes its file, and releases the Writer's memory. Readers
// that have it open keep their mapping.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	atomic.StoreUint32(w.m.u32(offClosed), 1)
	atomic.AddUint32(w.m.u32(offFutex), 1)
	futexWake(w.m.u32(offFutex))
	err := os.Remove(w.path)
	if e := unix.Munmap(w.m.mem); err == nil {
		err = e
	}
	if e := w.f.Close(); err == nil { // releases the lock
		err = e
	}
	return err
}

// A Reader reads the frames of a stream; any number of processes may each
// have any number. A Reader is not safe for concurrent use.
type Reader struct {
	m      mapping
	f      *os.File
	last   uint64 // number of the last frame returned
	fence  uint32 // target of the atomic read fence
	closed bool
}

// Open attaches to the stream name in Dir. A file that is not such a
// stream, or that is cut short, is ErrFormat.
func Open(name string) (*Reader, error) {
	p, err := path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	fail := func(format string, args ...any) (*Reader, error) {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %s", ErrFormat, p, fmt.Sprintf(format, args...))
	}
	if fi.Size() < headerSize {
		return fail("%d bytes, less than a header", fi.Size())
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("shm: map %s: %w", p, err)
	}
	le := binary.LittleEndian
	slots, strd, capacity := int(le.Uint32(mem[offSlots:])), le.Uint64(mem[offStride:]), le.Uint64(mem[offCapacity:])
	bad := ""
	switch {
	case string(mem[offMagic:offMagic+8]) != magic:
		bad = fmt.Sprintf("magic %q", mem[offMagic:offMagic+8])
	case le.Uint32(mem[offVersion:]) != layoutVersion || le.Uint32(mem[offHdrSize:]) != headerSize:
		bad = fmt.Sprintf("layout %d with a %d-byte header", le.Uint32(mem[offVersion:]), le.Uint32(mem[offHdrSize:]))
	case slots < 2 || capacity < 1 || capacity > 1<<40 || strd != uint64(stride(int(capacity))):
		bad = fmt.Sprintf("%d slots of %d bytes every %d", slots, capacity, strd)
	case uint64(fi.Size()) < headerSize+uint64(slots)*strd:
		bad = fmt.Sprintf("%d bytes, %d slots need %d", fi.Size(), slots, headerSize+uint64(slots)*strd)
	}
	if bad != "" {
		unix.Munmap(mem)
		return fail("%s", bad)
	}
	return &Reader{m: mapping{mem: mem, slots: slots, stride: int(strd), capacity: int(capacity)}, f: f}, nil
}

// FrameSize returns the largest frame the stream holds, in bytes.
func (r *Reader) FrameSize() int { return r.m.capacity }

// view returns frame n as a view of its slot if the slot still holds it
// whole, and whether it does.
func (r *Reader) view(n uint64) (Frame, bool) {
	off := r.m.slot(n)
	seq := r.m.u64(off + slotSeq)
	if atomic.LoadUint64(seq) != 2*n {
		return Frame{}, false
	}
	le := binary.LittleEndian
	s := r.m.mem[off : off+slotHeader]
	length := le.Uint64(s[slotLength:])
	f := Frame{
		Number: n,
		Time:   time.Unix(0, int64(le.Uint64(s[slotTime:]))),
		Header: container.Header{
			Width:  int(le.Uint32(s[slotWidth:])),
			Height: int(le.Uint32(s[slotHeight:])),
			Format: container.PixFormat(le.Uint32(s[slotFormat:])),
		},
		seq:    seq,
		wanted: 2 * n,
		fence:  &r.fence,
	}
	if length > uint64(r.m.capacity) {
		return Frame{}, false // torn header
	}
	f.Header.Size = int(length)
	f.Data = r.m.mem[off+slotHeader : off+slotHeader+int(length) : off+slotHeader+int(length)]
	if !f.Valid() {
		return Frame{}, false
	}
	return f, true
}

// Valid reports whether f.Data still holds frame f.Number: call it after
// using a view from Next or Latest; false means the writer reused the slot
// meanwhile and what was read may be torn.
func (f *Frame) Valid() bool {
	if f.seq == nil {
		return true // a copy
	}
	// An atomic read-modify-write keeps the reads of the frame before it
	// from moving after the sequence word's load, on every architecture.
	atomic.AddUint32(f.fence, 1)
	return atomic.LoadUint64(f.seq) == f.wanted
}

// Latest returns the newest frame, as a view, without waiting; ErrNoFrame
// before the first.
func (r *Reader) Latest() (Frame, error) {
	if r.closed {
		return Frame{}, ErrClosed
	}
	for {
		n := atomic.LoadUint64(r.m.u64(offLatest))
		if n == 0 {
			return Frame{}, ErrNoFrame
		}
		f, err := r.newest(n)
		if err != nil || f.Number != 0 {
			return f, err
		}
	}
}

// newest reads frame n, which the header names as the newest. It returns
// a zero Frame when the writer overwrote the slot as it was read (the
// caller tries the newer frame), and ErrFormat when the slot does not hold
// frame n though the writer has not moved on: the writer stores a slot's
// sequence word before it names the frame, so that is no race but a
// corrupt or foreign file.
func (r *Reader) newest(n uint64) (Frame, error) {
	if f, ok := r.view(n); ok {
		return f, nil
	}
	if atomic.LoadUint64(r.m.u64(offLatest)) == n {
		return Frame{}, fmt.Errorf("%w: the header names frame %d, which its slot does not hold", ErrFormat, n)
	}
	return Frame{}, nil
}

// Next waits for a frame newer than the last one this Reader returned and
// returns the newest, as a view of the shared memory (see Frame.Data and
// Valid); Skipped says how many it jumped over. Waiting uses no CPU: the
// Reader sleeps on a futex. It returns io.EOF when the writer has closed
// the stream and every frame was read, ErrWriterGone within about 100 ms of
// the writer dying, and ctx.Err() when ctx is done.
func (r *Reader) Next(ctx context.Context) (Frame, error) {
	if r.closed {
		return Frame{}, ErrClosed
	}
	for {
		word := atomic.LoadUint32(r.m.u32(offFutex))
		n := atomic.LoadUint64(r.m.u64(offLatest))
		if n > r.last {
			f, err := r.newest(n)
			if err != nil {
				return f, err
			}
			if f.Number == 0 {
				continue // overwritten as we looked: a newer one is there
			}
			f.Skipped = n - r.last - 1
			r.last = n
			return f, nil
		}
		if atomic.LoadUint32(r.m.u32(offClosed)) != 0 {
			return Frame{}, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		slice := waitSlice
		if d, ok := ctx.Deadline(); ok {
			slice = min(slice, max(time.Until(d), time.Millisecond))
		}
		if timedOut := futexWait(r.m.u32(offFutex), word, slice); timedOut && !r.writerAlive() {
			if atomic.LoadUint32(r.m.u32(offClosed)) != 0 {
				continue // closed cleanly after all
			}
			if atomic.LoadUint64(r.m.u64(offLatest)) > r.last {
				continue // a last frame before dying
			}
			return Frame{}, ErrWriterGone
		}
	}
}

// NextInto is Next, copying the frame into buf (grown if needed, reused if
// large enough) so that it stays valid; a frame overwritten during the copy
// is detected and the newest read again, never returned torn.
func (r *Reader) NextInto(ctx context.Context, buf []byte) (Frame, error) {
	for range 64 {
		f, err := r.Next(ctx)
		if err != nil {
			return f, err
		}
		if cap(buf) < len(f.Data) {
			buf = make([]byte, len(f.Data))
		}
		buf = buf[:len(f.Data)]
		copy(buf, f.Data)
		if f.Valid() {
			f.Data, f.seq = buf, nil
			return f, nil
		}
		// Torn: the writer lapped the copy. The next Next returns a newer
		// frame; count this one as skipped.
		r.last = f.Number
	}
	return Frame{}, ErrTorn
}

// writerAlive reports whether a writer holds the stream's lock.
func (r *Reader) writerAlive() bool {
	err := unix.Flock(int(r.f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if err != nil {
		return true // the writer's exclusive lock is held
	}
	unix.Flock(int(r.f.Fd()), unix.LOCK_UN)
	return false
}

// Close detaches the Reader.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := unix.Munmap(r.m.mem)
	if e := r.f.Close(); err == nil {
		err = e
	}
	return err
}

const (
	futexWaitOp = 0 // FUTEX_WAIT, shared between processes
	futexWakeOp = 1 // FUTEX_WAKE, shared between processes
)

// futexWait sleeps while *addr == val, for at most d, and reports whether
// it timed out.
func futexWait(addr *uint32, val uint32, d time.Duration) bool {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
	return errno == unix.ETIMEDOUT
}

// futexWake wakes every process waiting on addr.
func futexWake(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(^uint32(0)>>1), 0, 0, 0)
}
